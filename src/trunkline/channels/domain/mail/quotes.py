"""Quoted-reply trimming for display: the new part of a reply, and the earlier messages it quotes (folded).

Recognised: "On … wrote:" (Gmail, Apple Mail, Thunderbird; also split over two lines), Bulgarian "… написа:",
Outlook's "-----Original Message-----" and its underscore rule followed by "From:", the Bulgarian Outlook's
"-----Оригинално съобщение-----", and a trailing block of "> " lines. Nothing is trimmed when no new text would
remain (a forward, or a message that is all quote)."""

from __future__ import annotations

import re
from dataclasses import dataclass

ATTRIBUTION = re.compile(
    r"^\s*(On\s.+\swrote:|На\s.+\sнаписа:|.+\sнаписа:|Am\s.+\sschrieb\s.+:|Le\s.+\sa\sécrit\s?:)\s*$",
    re.IGNORECASE,
)
ATTRIBUTION_START = re.compile(r"^\s*(On|На)\s.+", re.IGNORECASE)
SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Оригинално съобщение|Forwarded message|Препратено съобщение)\s*-{2,}|_{20,})\s*$",
    re.IGNORECASE,
)
HEADER_LINE = re.compile(r"^\s*\*?(From|От|Sent|Изпратено):\*?\s", re.IGNORECASE)


@dataclass(frozen=True)
class Split:
    visible: str
    quoted: str


def _quote_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if ATTRIBUTION.match(line):
            return index
        if (
            ATTRIBUTION_START.match(line)
            and index + 1 < len(lines)
            and ATTRIBUTION.match(f"{line.rstrip()} {lines[index + 1].strip()}")
        ):
            return index
        if SEPARATOR.match(line):
            if line.strip().startswith("_"):  # Outlook's rule counts only before a header block
                following = [candidate for candidate in lines[index + 1 : index + 3] if candidate.strip()]
                if not following or not HEADER_LINE.match(following[0]):
                    continue
            return index
    # A trailing block of "> " lines (blank lines inside it allowed).
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > 0 and (lines[start - 1].startswith(">") or not lines[start - 1].strip()):
        start -= 1
    if start < end and any(line.startswith(">") for line in lines[start:end]):
        return start
    return None


def split_quoted(text: str) -> Split:
    """The new text and the quoted rest of a plain-text reply."""
    lines = text.replace("\r\n", "\n").split("\n")
    start = _quote_start(lines)
    if start is None:
        return Split(text.strip(), "")
    visible = "\n".join(lines[:start]).strip()
    if not visible:
        return Split(text.strip(), "")
    return Split(visible, "\n".join(lines[start:]).strip())
