"""PT-16 bandwidth planning: kbit/s per simultaneous line, by the kind of phone."""

from __future__ import annotations

from dataclasses import dataclass

IP_PHONE_KBITS = 80
WEB_PHONE_KBITS = 145


@dataclass(frozen=True)
class BandwidthPlan:
    ip_phone_lines: int
    web_phone_lines: int
    ip_phone_kbits: int = IP_PHONE_KBITS
    web_phone_kbits: int = WEB_PHONE_KBITS

    @property
    def total_kbits(self) -> int:
        return self.ip_phone_lines * self.ip_phone_kbits + self.web_phone_lines * self.web_phone_kbits


def bandwidth_needed(*, ip_phone_lines: int, web_phone_lines: int) -> BandwidthPlan:
    """kbit/s in each direction for the given simultaneous lines (PT-16). Negative counts are refused."""
    if ip_phone_lines < 0 or web_phone_lines < 0:
        raise ValueError("line counts cannot be negative")
    return BandwidthPlan(ip_phone_lines=ip_phone_lines, web_phone_lines=web_phone_lines)
