"""Business calendars: when the support desk is open, as interval arithmetic in microseconds (PT-7.1, PT-7.3).

A calendar is either ``AroundTheClock`` (every moment counts: Critical tickets) or ``BusinessCalendar`` (working days
with daily opening hours on a wall clock in an IANA zone, minus holidays, plus decreed working days). Business time is
measured on a "business axis": the number of open microseconds since the start of the calendar's built range. Adding
business time or measuring it between two moments is a lookup on that axis (two bisects), never a walk over minutes.
Every day's opening and closing instant is computed on the local wall clock and converted to UTC, so days stay right
across changes of daylight saving time.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DAY = timedelta(days=1)


def to_micros(at: datetime) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("Times must be timezone-aware.")
    return (at - EPOCH) // MICROSECOND


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


class Calendar(Protocol):
    """What the SLA engine needs of a calendar."""

    @property
    def day_length(self) -> timedelta:
        """How long one "day" of a target is on this calendar (9 hours of business time, or 24 hours)."""
        ...

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment at which ``duration`` of counted time has passed after ``start``."""
        ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Counted time in ``[start, end)``; zero when ``end`` is not after ``start``."""
        ...

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself while open, else the next moment the calendar opens."""
        ...

    def is_open(self, at: datetime) -> bool: ...


@dataclass(frozen=True)
class AroundTheClock:
    """Every moment counts (Critical tickets, PT-7.1): plain elapsed time, so DST changes cannot shift it."""

    @property
    def day_length(self) -> timedelta:
        return DAY

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return from_micros(to_micros(start) + duration // MICROSECOND)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(timedelta(0), from_micros(to_micros(end)) - from_micros(to_micros(start)))

    def next_opening(self, at: datetime) -> datetime:
        return at.astimezone(UTC)

    def is_open(self, at: datetime) -> bool:
        return True


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """Working days ``weekdays`` (0 = Monday) from ``opens`` to ``closes`` on the wall clock of ``zone``. A date in
    ``holidays`` is closed; a date in ``working_days`` (a decreed working Saturday) is open whatever its weekday;
    a date in both is open."""

    zone: str = "Europe/Sofia"
    opens: time = time(9)
    closes: time = time(18)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    # The built range of the business axis, grown on demand (a year at a time) and never shrunk.
    _first: list[date] = field(default_factory=list, repr=False)
    _opens: list[int] = field(default_factory=list, repr=False)
    _closes: list[int] = field(default_factory=list, repr=False)
    _before: list[int] = field(default_factory=list, repr=False)  # business micros before day i (length n + 1)
    _bounds: list[int] = field(default_factory=list, repr=False)  # micros safely inside the built range

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError("A business day must close after it opens.")
        if not self.weekdays and not self.working_days:
            raise ValueError("A business calendar needs at least one working day.")

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def is_working_day(self, day: date) -> bool:
        return day in self.working_days or (day.weekday() in self.weekdays and day not in self.holidays)

    def with_holidays(self, extra: Iterable[date]) -> BusinessCalendar:
        return BusinessCalendar(
            zone=self.zone,
            opens=self.opens,
            closes=self.closes,
            weekdays=self.weekdays,
            holidays=self.holidays | frozenset(extra),
            working_days=self.working_days,
        )

    # -- the business axis --------------------------------------------------------------------------------------

    def _build(self, first: date, last: date) -> None:
        zone = ZoneInfo(self.zone)
        opens: list[int] = []
        closes: list[int] = []
        before = [0]
        day = first
        while day <= last:
            if self.is_working_day(day):
                start = to_micros(datetime.combine(day, self.opens, tzinfo=zone))
                end = to_micros(datetime.combine(day, self.closes, tzinfo=zone))
                opens.append(start)
                closes.append(end)
                before.append(before[-1] + end - start)
            day += DAY
        self._first[:] = [first, last]
        self._bounds[:] = [
            to_micros(datetime.combine(first + timedelta(days=8), time(0), tzinfo=UTC)),
            to_micros(datetime.combine(last - timedelta(days=8), time(0), tzinfo=UTC)),
        ]
        self._opens[:] = opens
        self._closes[:] = closes
        self._before[:] = before

    def _cover(self, at: int, forward: int = 0) -> None:
        """Grow the axis so it holds the day of ``at`` and ``forward`` business micros after it."""
        bounds = self._bounds
        if (
            bounds
            and bounds[0] <= at <= bounds[1]
            and (not forward or self._position(at) + forward <= self._before[-1])
        ):
            return  # the common case: well inside the built range
        day = from_micros(at).astimezone(ZoneInfo(self.zone)).date()
        while True:
            if not self._first:
                self._build(day - timedelta(days=7), day + timedelta(days=400))
                continue
            first, last = self._first
            if day - timedelta(days=7) < first:
                self._build(day - timedelta(days=370), last)
                continue
            if day + timedelta(days=7) > last:
                self._build(first, last + timedelta(days=400))
                continue
            if forward and self._position(at) + forward > self._before[-1]:
                if last - first > timedelta(days=366 * 200):
                    raise ValueError("No working day within two centuries: check the calendar.")
                self._build(first, last + timedelta(days=400))
                continue
            return

    def _position(self, at: int) -> int:
        index = bisect_right(self._opens, at) - 1
        if index < 0:
            return 0
        if at < self._closes[index]:
            return self._before[index] + at - self._opens[index]
        return self._before[index + 1]

    def position(self, at: datetime) -> int:
        """Business micros from the start of the built range to ``at`` (an internal axis; compare, don't show)."""
        micros = to_micros(at)
        self._cover(micros)
        return self._position(micros)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        if duration < timedelta(0):
            raise ValueError("Only non-negative durations can be added.")
        micros = to_micros(start)
        if duration == timedelta(0):
            return self.next_opening(start)
        amount = duration // MICROSECOND
        self._cover(micros, forward=amount)
        target = self._position(micros) + amount
        # The first day whose cumulative business time at closing reaches the target.
        index = bisect_left(self._before, target, lo=1) - 1
        return from_micros(self._opens[index] + target - self._before[index])

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        if end <= start:
            return timedelta(0)
        first, last = to_micros(start), to_micros(end)
        self._cover(first)
        self._cover(last)
        return timedelta(microseconds=self._position(last) - self._position(first))

    def is_open(self, at: datetime) -> bool:
        micros = to_micros(at)
        self._cover(micros)
        index = bisect_right(self._opens, micros) - 1
        return index >= 0 and micros < self._closes[index]

    def next_opening(self, at: datetime) -> datetime:
        micros = to_micros(at)
        self._cover(micros, forward=1)
        index = bisect_right(self._opens, micros) - 1
        if index >= 0 and micros < self._closes[index]:
            return at.astimezone(UTC)
        return from_micros(self._opens[index + 1])
