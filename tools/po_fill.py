"""Fill msgstr entries of a .po file from a JSON mapping {msgid: msgstr}: `python tools/po_fill.py FILE.po MAP.json`.

Used by translators working without a PO editor; it clears the fuzzy flag of every entry it fills."""

import json
import sys
from pathlib import Path

import polib

po = polib.pofile(sys.argv[1])
mapping = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
for entry in po:
    if entry.msgid in mapping:
        if entry.msgid_plural:
            entry.msgstr_plural = {int(k): v for k, v in mapping[entry.msgid].items()}
        else:
            entry.msgstr = mapping[entry.msgid]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
po.save()
missing = [entry.msgid for entry in po.untranslated_entries()] + [entry.msgid for entry in po.fuzzy_entries()]
print("\n".join(f"missing: {msgid!r}" for msgid in missing) or "all translated")
