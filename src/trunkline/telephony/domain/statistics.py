"""Call statistics maths (PT-15.1): answer-seizure ratio and average call duration from counted calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass
class Tally:
    calls: int = 0
    answered: int = 0
    missed: int = 0  # no answer within the timeouts, unreachable, or cancelled by the caller
    busy: int = 0
    failed: int = 0
    talk_seconds: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def add(self, *, disposition: str, duration_seconds: int = 0) -> None:
        self.calls += 1
        if disposition == "answered":
            self.answered += 1
            self.talk_seconds += duration_seconds
        elif disposition == "busy":
            self.busy += 1
        elif disposition in ("no_answer", "cancelled"):
            self.missed += 1
        else:
            self.failed += 1

    @property
    def asr(self) -> Decimal | None:
        """Answered calls as a percentage of calls, one decimal, half up; None without calls."""
        if not self.calls:
            return None
        return (Decimal(100 * self.answered) / Decimal(self.calls)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def acd(self) -> Decimal | None:
        """Average duration of the answered calls in seconds, one decimal, half up; None without answered calls."""
        if not self.answered:
            return None
        return (Decimal(self.talk_seconds) / Decimal(self.answered)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def as_dict(self) -> dict[str, object]:
        return {
            "calls": self.calls,
            "answered": self.answered,
            "missed": self.missed,
            "busy": self.busy,
            "failed": self.failed,
            "talk_seconds": self.talk_seconds,
            "asr": self.asr,
            "acd": self.acd,
        }
