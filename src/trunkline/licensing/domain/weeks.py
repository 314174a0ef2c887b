"""ISO calendar weeks (Monday to Sunday) on a wall clock, for the weekly reset allowance (RT-4.5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def week_start(at: datetime, zone: str) -> date:
    """The Monday of the ISO week that contains ``at`` as seen in ``zone``."""
    local = at.astimezone(ZoneInfo(zone))
    return local.date() - timedelta(days=local.weekday())


def next_week_starts_at(at: datetime, zone: str) -> datetime:
    """The instant (UTC) the next ISO week begins in ``zone``: next Monday 00:00 local time."""
    monday = week_start(at, zone) + timedelta(days=7)
    return datetime.combine(monday, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
