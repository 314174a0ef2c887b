"""PT-8.8: spotting unsolicited outbound calling — many short calls to many distinct numbers in a short window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class OutboundCall:
    at: datetime
    b_number: str
    duration_seconds: int


@dataclass(frozen=True)
class Thresholds:
    window_minutes: int = 60
    min_calls: int = 50
    min_distinct_numbers: int = 40
    short_call_seconds: int = 10
    min_short_share_percent: int = 80


@dataclass(frozen=True)
class Finding:
    window_start: datetime
    window_end: datetime
    calls: int
    distinct_numbers: int
    short_calls: int


def detect(calls: list[OutboundCall], thresholds: Thresholds) -> Finding | None:
    """The first window of ``window_minutes`` (sliding, starting at each call) in which the pattern shows: at least
    ``min_calls`` calls, to at least ``min_distinct_numbers`` distinct numbers, of which at least
    ``min_short_share_percent`` % lasted under ``short_call_seconds``. None when the calls look ordinary."""
    ordered = sorted(calls, key=lambda call: call.at)
    width = timedelta(minutes=thresholds.window_minutes)
    end = 0
    for start, first in enumerate(ordered):
        end = max(end, start)
        while end < len(ordered) and ordered[end].at < first.at + width:
            end += 1
        window = ordered[start:end]
        if len(window) < thresholds.min_calls:
            continue
        distinct = len({call.b_number for call in window})
        short = sum(1 for call in window if call.duration_seconds < thresholds.short_call_seconds)
        if distinct >= thresholds.min_distinct_numbers and 100 * short >= thresholds.min_short_share_percent * len(
            window
        ):
            return Finding(
                window_start=first.at,
                window_end=window[-1].at,
                calls=len(window),
                distinct_numbers=distinct,
                short_calls=short,
            )
    return None
