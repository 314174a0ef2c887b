"""A readable side-by-side diff of two texts: line by line, with the changed words marked inside changed lines."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from html import escape

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "equal", "insert", "delete", "replace" or "skip" (unchanged lines left out)
    old_number: int | None
    old_html: str
    new_number: int | None
    new_html: str
    skipped: int = 0  # for "skip": how many unchanged lines are not shown


@dataclass(frozen=True)
class Diff:
    rows: list[DiffRow]
    added: int  # lines only in the new text
    removed: int  # lines only in the old text
    changed: int  # lines changed in place

    @property
    def is_empty(self) -> bool:
        return self.added == self.removed == self.changed == 0


def _words(old: str, new: str) -> tuple[str, str]:
    """Both lines as HTML, with the removed words in <del> and the added words in <ins>."""
    old_tokens, new_tokens = _TOKENS.findall(old), _TOKENS.findall(new)
    old_html: list[str] = []
    new_html: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = escape("".join(old_tokens[i1:i2])), escape("".join(new_tokens[j1:j2]))
        if tag == "equal":
            old_html.append(before)
            new_html.append(after)
            continue
        if before:
            old_html.append(f"<del>{before}</del>")
        if after:
            new_html.append(f"<ins>{after}</ins>")
    return "".join(old_html), "".join(new_html)


def text_diff(old: str, new: str, *, context: int = 2) -> Diff:
    """Compare two texts line by line; runs of unchanged lines longer than ``2 × context`` are folded."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    added = removed = changed = 0
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            span = list(range(i2 - i1))
            keep_head = 0 if index == 0 else context
            keep_tail = 0 if index == len(opcodes) - 1 else context
            if len(span) > keep_head + keep_tail + 1:
                shown = [*span[:keep_head], -1, *span[len(span) - keep_tail :]]
            else:
                shown = span
            for offset in shown:
                if offset == -1:
                    rows.append(DiffRow("skip", None, "", None, "", skipped=len(span) - keep_head - keep_tail))
                    continue
                line = escape(old_lines[i1 + offset])
                rows.append(DiffRow("equal", i1 + offset + 1, line, j1 + offset + 1, line))
            continue
        if tag == "delete":
            removed += i2 - i1
            rows.extend(DiffRow("delete", i + 1, f"<del>{escape(old_lines[i])}</del>", None, "") for i in range(i1, i2))
            continue
        if tag == "insert":
            added += j2 - j1
            rows.extend(DiffRow("insert", None, "", j + 1, f"<ins>{escape(new_lines[j])}</ins>") for j in range(j1, j2))
            continue
        # replace: pair the lines up; the surplus on either side is a plain delete or insert
        pairs = min(i2 - i1, j2 - j1)
        for offset in range(pairs):
            old_html, new_html = _words(old_lines[i1 + offset], new_lines[j1 + offset])
            rows.append(DiffRow("replace", i1 + offset + 1, old_html, j1 + offset + 1, new_html))
        changed += pairs
        for i in range(i1 + pairs, i2):
            removed += 1
            rows.append(DiffRow("delete", i + 1, f"<del>{escape(old_lines[i])}</del>", None, ""))
        for j in range(j1 + pairs, j2):
            added += 1
            rows.append(DiffRow("insert", None, "", j + 1, f"<ins>{escape(new_lines[j])}</ins>"))
    return Diff(rows=rows, added=added, removed=removed, changed=changed)
