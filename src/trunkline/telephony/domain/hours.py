"""Business-hours routing of a User Number: a weekly schedule on the customer's wall clock, closed on Bulgarian public
holidays, and what happens outside it (another list of business numbers, a voice message then hang-up, or busy).

The schedule is written per weekday as ``08:30-12:00, 13:00-17:30`` (Monday is 0); the edge receives it as minutes of
the day, so its check per INVITE is a comparison, not a parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from itertools import pairwise

DAYS = 7
SPAN = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-4]):([0-5]\d)\s*$")

FORWARD = "forward"
MESSAGE = "message"
BUSY = "busy"
ACTIONS = (FORWARD, MESSAGE, BUSY)


class ScheduleError(ValueError):
    pass


def parse_day(text: str) -> list[tuple[int, int]]:
    """``"08:30-12:00, 13:00-17:30"`` as minutes of the day ``[(510, 720), (780, 1050)]``; empty text: closed."""
    spans: list[tuple[int, int]] = []
    for part in (item for item in text.replace(";", ",").split(",") if item.strip()):
        match = SPAN.match(part)
        if match is None:
            raise ScheduleError(f"{part.strip()!r} is not a time span like 08:30-17:00")
        start = int(match[1]) * 60 + int(match[2])
        end = int(match[3]) * 60 + int(match[4])
        if end > 24 * 60 or end <= start:
            raise ScheduleError(f"{part.strip()!r} ends before it starts")
        spans.append((start, end))
    spans.sort()
    for (_start, end), (next_start, _end) in pairwise(spans):
        if next_start < end:
            raise ScheduleError("time spans overlap")
    return spans


def format_day(spans: Iterable[Iterable[int]]) -> str:
    return ", ".join(f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}" for start, end in spans)


def parse_week(days: list[str]) -> list[list[tuple[int, int]]]:
    if len(days) != DAYS:
        raise ScheduleError("a week has seven days")
    return [parse_day(text) for text in days]


def closed_dates(holidays: Iterable[date], *, start: date, days: int = 400) -> list[str]:
    """The holidays from ``start`` on, as ISO dates, for the edge (it never loads a calendar itself)."""
    end = start.toordinal() + days
    return sorted(day.isoformat() for day in holidays if start.toordinal() <= day.toordinal() < end)
