"""Fill msgstr entries of a .po file from a JSON mapping {msgid: msgstr}: `python tools/po_fill.py FILE.po MAP.json`.

Used by translators working without a PO editor. Only untranslated and fuzzy entries are filled, so a mapping made
for another catalogue never overwrites a reviewed translation; `--overwrite` replaces those too. It clears the fuzzy
flag of every entry it fills."""

import json
import sys
from pathlib import Path

import polib

overwrite = "--overwrite" in sys.argv
paths = [arg for arg in sys.argv[1:] if arg != "--overwrite"]
po = polib.pofile(paths[0])
mapping = json.loads(Path(paths[1]).read_text(encoding="utf-8"))
for entry in po:
    if entry.msgid in mapping and (overwrite or not entry.translated() or "fuzzy" in entry.flags):
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
