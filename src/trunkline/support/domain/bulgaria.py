"""Bulgarian public holidays from the ``holidays`` package (country BG), moved days off included."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _holidays_of(years: tuple[int, ...]) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BG", years=years).keys())


def bulgarian_holidays(years: Iterable[int]) -> frozenset[date]:
    """The public holidays of Bulgaria in ``years``, including days off moved by law (e.g. 2026-12-28)."""
    return _holidays_of(tuple(sorted(set(years))))


def bulgarian_holiday_name(day: date, language: str = "bg") -> str:
    names = holidays.country_holidays("BG", years=day.year, language="en_US" if language == "en" else "bg")
    return str(names.get(day, ""))
