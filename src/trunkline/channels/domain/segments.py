"""SMS segment counting (3GPP TS 23.038 / 23.040): GSM-7 or UCS-2, the extension table, 160/153 and 70/67.

Pure Python. ``count`` answers what the composer shows and what metering records; ``split`` gives the parts an SMPP
client submits, never cutting an escape pair or a surrogate pair (smpplib's own splitter does both).
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "gsm7"
UCS2 = "ucs2"

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_LIMIT = {GSM7: 160, UCS2: 70}
PART_LIMIT = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    remaining: int  # units still free in the last segment

    @property
    def per_segment(self) -> int:
        return SINGLE_LIMIT[self.encoding] if self.segments <= 1 else PART_LIMIT[self.encoding]


def encoding_of(text: str) -> str:
    """GSM-7 when every character is in the basic or extension table; one other character makes it UCS-2."""
    return GSM7 if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text) else UCS2


def width(char: str, encoding: str) -> int:
    """Units one character takes: 2 for an extension character in GSM-7 (ESC + code) or a non-BMP one in UCS-2."""
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def split(text: str, encoding: str | None = None) -> list[str]:
    """The text of each segment, packed greedily; a character's units never straddle two parts."""
    encoding = encoding or encoding_of(text)
    if not text:
        return []
    widths = [width(char, encoding) for char in text]
    if sum(widths) <= SINGLE_LIMIT[encoding]:
        return [text]
    limit = PART_LIMIT[encoding]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char, units in zip(text, widths, strict=True):
        if used + units > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += units
    parts.append("".join(current))
    return parts


def count(text: str) -> SegmentCount:
    """Encoding, units and segments of ``text`` as a carrier bills it (0 segments for an empty text)."""
    encoding = encoding_of(text)
    units = sum(width(char, encoding) for char in text)
    if not text:
        return SegmentCount(encoding, 0, 0, SINGLE_LIMIT[encoding])
    if units <= SINGLE_LIMIT[encoding]:
        return SegmentCount(encoding, units, 1, SINGLE_LIMIT[encoding] - units)
    parts = split(text, encoding)
    last = sum(width(char, encoding) for char in parts[-1])
    return SegmentCount(encoding, units, len(parts), PART_LIMIT[encoding] - last)
