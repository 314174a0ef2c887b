"""PT-15.7: a deadline counted in working days (Monday to Friday, public holidays excluded)."""

from __future__ import annotations

from collections.abc import Container
from datetime import date, timedelta


def add_working_days(start: date, days: int, *, holidays: Container[date]) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    if days < 0:
        raise ValueError("days cannot be negative")
    current = start
    left = days
    while left:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            left -= 1
    return current
