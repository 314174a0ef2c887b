"""SLA deadlines of a ticket: three milestones per priority, a clock that starts on a complete description and stops
while the operator waits for the customer (PT-7.2, PT-7.3).

Targets are amounts of hours or days; a day is one ``calendar.day_length`` (9 business hours on the business
calendar, 24 hours around the clock). Pauses are half-open intervals ``[start, end)``; an open pause (no end) stops
the clock, so a ticket waiting for its customer has no deadline until the customer answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from trunkline.support.domain.calendar import Calendar


class Milestone(StrEnum):
    RESPONSE = "response"
    RESTORATION = "restoration"
    SOLUTION = "solution"


class Unit(StrEnum):
    HOURS = "hours"
    DAYS = "days"


@dataclass(frozen=True)
class Target:
    amount: int
    unit: Unit

    def duration(self, calendar: Calendar) -> timedelta:
        """The counted time this target allows on ``calendar``: days are whole days of that calendar."""
        if self.unit == Unit.DAYS:
            return calendar.day_length * self.amount
        return timedelta(hours=self.amount)

    def __str__(self) -> str:
        return f"{self.amount} {'h' if self.unit == Unit.HOURS else 'd'}"


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class Warning:
    """Warn when a share of the target has been used (``percent``) or ``minutes_before`` the deadline (wall clock)."""

    percent: int | None = None
    minutes_before: int | None = None


def merged(pauses: Iterable[Pause]) -> list[Pause]:
    """Pauses sorted and merged; an open pause swallows everything after its start."""
    result: list[Pause] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        if pause.end is not None and pause.end <= pause.start:
            continue
        if result and (result[-1].end is None or pause.start <= result[-1].end):
            last = result[-1]
            end = None if last.end is None or pause.end is None else max(last.end, pause.end)
            result[-1] = Pause(last.start, end)
        else:
            result.append(pause)
    return result


def counted(calendar: Calendar, start: datetime, end: datetime, pauses: Sequence[Pause] = ()) -> timedelta:
    """Counted time between ``start`` and ``end``: open hours of the calendar outside the pauses."""
    total = timedelta(0)
    cursor = start
    for pause in merged(pauses):
        if pause.end is not None and pause.end <= cursor:
            continue
        if pause.start >= end:
            break
        total += calendar.elapsed(cursor, min(pause.start, end))
        if pause.end is None:
            return total
        cursor = max(cursor, pause.end)
    return total + calendar.elapsed(cursor, end)


def due_at(
    calendar: Calendar, clock_start: datetime | None, budget: timedelta, pauses: Sequence[Pause] = ()
) -> datetime | None:
    """When ``budget`` of counted time is used up, or None while the clock has not started or is stopped."""
    if clock_start is None:
        return None
    remaining = budget
    cursor = clock_start
    for pause in merged(pauses):
        if pause.end is not None and pause.end <= cursor:
            continue
        available = calendar.elapsed(cursor, pause.start) if pause.start > cursor else timedelta(0)
        if remaining <= available:
            return calendar.add(cursor, remaining)
        remaining -= available
        if pause.end is None:
            return None
        cursor = max(cursor, pause.end)
    return calendar.add(cursor, remaining)


def deadlines(
    calendar: Calendar,
    clock_start: datetime | None,
    targets: Mapping[Milestone, Target],
    pauses: Sequence[Pause] = (),
) -> dict[Milestone, datetime | None]:
    """The due time of each milestone."""
    return {
        milestone: due_at(calendar, clock_start, target.duration(calendar), pauses)
        for milestone, target in targets.items()
    }


def warning_times(
    calendar: Calendar,
    clock_start: datetime | None,
    target: Target,
    pauses: Sequence[Pause],
    warnings: Iterable[Warning],
) -> list[datetime]:
    """When to warn before a milestone breaches, sorted and without duplicates; empty while the clock is stopped."""
    budget = target.duration(calendar)
    due = due_at(calendar, clock_start, budget, pauses)
    if due is None or clock_start is None:
        return []
    times: set[datetime] = set()
    for warning in warnings:
        if warning.percent is not None and 0 < warning.percent < 100:
            moment = due_at(calendar, clock_start, budget * warning.percent / 100, pauses)
            if moment is not None:
                times.add(moment)
        if warning.minutes_before is not None and warning.minutes_before > 0:
            times.add(max(clock_start, due - timedelta(minutes=warning.minutes_before)))
    return sorted(moment for moment in times if moment < due)
