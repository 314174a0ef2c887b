"""The SLA engine and the business calendar, without a database: the deadlines of PT-7.1 to PT-7.3."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trunkline.support.domain.bulgaria import bulgarian_holiday_name, bulgarian_holidays
from trunkline.support.domain.calendar import AroundTheClock, BusinessCalendar
from trunkline.support.domain.sla import (
    Milestone,
    Pause,
    Target,
    Unit,
    Warning,
    counted,
    deadlines,
    due_at,
    merged,
    warning_times,
)

SOFIA = ZoneInfo("Europe/Sofia")
H, D = Unit.HOURS, Unit.DAYS
# PT-7.2, as seeded into the policy table.
R, T, S = Milestone.RESPONSE, Milestone.RESTORATION, Milestone.SOLUTION
TARGETS = {
    "critical": {R: Target(1, H), T: Target(8, H), S: Target(7, D)},
    "high": {R: Target(8, H), T: Target(3, D), S: Target(14, D)},
    "medium": {R: Target(3, D), T: Target(7, D), S: Target(21, D)},
    "low": {R: Target(5, D), T: Target(16, D), S: Target(40, D)},
}
BUSINESS = BusinessCalendar(holidays=bulgarian_holidays(range(2025, 2029)))
ALWAYS = AroundTheClock()


def sofia(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SOFIA)  # type: ignore[misc, arg-type]


def calendar_for(priority: str):
    return ALWAYS if priority == "critical" else BusinessCalendar(holidays=bulgarian_holidays(range(2025, 2029)))


@pytest.mark.rule("PT-7.2")
@pytest.mark.rule("PT-7.3")
@pytest.mark.parametrize(
    ("case", "priority", "complete_at", "milestone", "expected"),
    [
        (
            "High complete Friday 17:30: half an hour Friday, 7.5 h Monday",
            "high",
            sofia(2026, 11, 20, 17, 30),
            Milestone.RESPONSE,
            sofia(2026, 11, 23, 16, 30),
        ),
        (
            "Low received 5 May skips the 6 May holiday (St George's Day)",
            "low",
            sofia(2026, 5, 5, 10, 0),
            Milestone.RESPONSE,
            sofia(2026, 5, 13, 10, 0),
        ),
        (
            "Critical at Saturday 03:00 runs around the clock",
            "critical",
            sofia(2026, 11, 21, 3, 0),
            Milestone.RESPONSE,
            sofia(2026, 11, 21, 4, 0),
        ),
        (
            "Critical restoration: 8 hours of wall-clock time",
            "critical",
            sofia(2026, 11, 21, 3, 0),
            Milestone.RESTORATION,
            sofia(2026, 11, 21, 11, 0),
        ),
        (
            "Critical solution: 7 days of 24 hours",
            "critical",
            sofia(2026, 11, 21, 3, 0),
            Milestone.SOLUTION,
            sofia(2026, 11, 28, 3, 0),
        ),
        (
            "Medium across the Orthodox Easter weekend 10-13 April 2026",
            "medium",
            sofia(2026, 4, 9, 17, 0),
            Milestone.RESPONSE,
            sofia(2026, 4, 16, 17, 0),
        ),
        (
            "Medium restoration across Easter: 63 business hours",
            "medium",
            sofia(2026, 4, 9, 17, 0),
            Milestone.RESTORATION,
            sofia(2026, 4, 22, 17, 0),
        ),
        (
            "High received Sunday: the clock starts at Monday's opening",
            "high",
            sofia(2026, 11, 22, 12, 0),
            Milestone.RESPONSE,
            sofia(2026, 11, 23, 17, 0),
        ),
        (
            "High received at 08:00: the clock starts at 09:00",
            "high",
            sofia(2026, 11, 23, 8, 0),
            Milestone.RESPONSE,
            sofia(2026, 11, 23, 17, 0),
        ),
        (
            "High ending exactly at closing time stays on that day",
            "high",
            sofia(2026, 11, 23, 10, 0),
            Milestone.RESPONSE,
            sofia(2026, 11, 23, 18, 0),
        ),
        (
            "Spring DST change (29 March 2026): Friday 12:00 + 8 h = Monday 11:00",
            "high",
            sofia(2026, 3, 27, 12, 0),
            Milestone.RESPONSE,
            sofia(2026, 3, 30, 11, 0),
        ),
        (
            "Autumn DST change (25 October 2026): Friday 12:00 + 8 h = Monday 11:00",
            "high",
            sofia(2026, 10, 23, 12, 0),
            Milestone.RESPONSE,
            sofia(2026, 10, 26, 11, 0),
        ),
        (
            "Critical across the spring DST night: 1 real hour, 02:30 EET → 04:30 EEST",
            "critical",
            sofia(2026, 3, 29, 2, 30),
            Milestone.RESPONSE,
            sofia(2026, 3, 29, 4, 30),
        ),
        (
            "Critical across the autumn DST night: 8 real hours",
            "critical",
            sofia(2026, 10, 24, 23, 0),
            Milestone.RESTORATION,
            sofia(2026, 10, 25, 6, 0),
        ),
        (
            "Low solution: 40 business days, the holidays of 6 and 25 May skipped",
            "low",
            sofia(2026, 5, 4, 9, 0),
            Milestone.SOLUTION,
            sofia(2026, 6, 30, 18, 0),
        ),
        (
            "Christmas 2026: 24, 25 and the moved day off on 28 December",
            "high",
            sofia(2026, 12, 23, 14, 0),
            Milestone.RESPONSE,
            sofia(2026, 12, 29, 13, 0),
        ),
    ],
)
def test_deadline_table(case, priority, complete_at, milestone, expected):
    """Each row: a ticket complete at a moment, and the due time of one milestone."""
    due = deadlines(calendar_for(priority), complete_at, TARGETS[priority])[milestone]
    assert due == expected, case


@pytest.mark.rule("PT-7.3")
def test_pause_and_resume_move_the_deadline_by_the_business_time_paused():
    """High, complete Monday 09:00; waiting for the customer Monday 11:00 to Tuesday 10:00 (2 business hours paused)."""
    start = sofia(2026, 11, 23, 9, 0)
    pauses = [Pause(sofia(2026, 11, 23, 11, 0), sofia(2026, 11, 24, 10, 0))]
    assert due_at(BUSINESS, start, timedelta(hours=8), pauses) == sofia(2026, 11, 24, 16, 0)
    assert counted(BUSINESS, start, sofia(2026, 11, 24, 12, 0), pauses) == timedelta(hours=4)


@pytest.mark.rule("PT-7.3")
def test_an_open_pause_stops_the_clock():
    """While the ticket waits for the customer there is no deadline; the time used before the pause stays used."""
    start = sofia(2026, 11, 23, 9, 0)
    assert due_at(BUSINESS, start, timedelta(hours=8), [Pause(sofia(2026, 11, 23, 11, 0))]) is None
    assert due_at(BUSINESS, start, timedelta(hours=1), [Pause(sofia(2026, 11, 23, 11, 0))]) == sofia(2026, 11, 23, 10)


@pytest.mark.rule("PT-7.3")
def test_pause_before_the_clock_started_changes_nothing():
    """A pause that ended before the clock started is ignored."""
    start = sofia(2026, 11, 24, 9, 0)
    pauses = [Pause(sofia(2026, 11, 23, 9, 0), sofia(2026, 11, 23, 18, 0))]
    assert due_at(BUSINESS, start, timedelta(hours=8), pauses) == sofia(2026, 11, 24, 17, 0)


@pytest.mark.rule("PT-7.3")
def test_an_incomplete_ticket_has_no_deadline_until_completed():
    """No complete description, no clock; once completed, the targets count from the completion."""
    assert deadlines(BUSINESS, None, TARGETS["high"]) == dict.fromkeys(Milestone)
    completed = sofia(2026, 11, 25, 15, 0)
    assert deadlines(BUSINESS, completed, TARGETS["high"])[Milestone.RESPONSE] == sofia(2026, 11, 26, 14, 0)


def test_pauses_merge_and_an_open_pause_swallows_the_rest():
    """Overlapping and touching pauses become one; an open one absorbs later ones."""
    a, b, c = sofia(2026, 1, 5, 10), sofia(2026, 1, 5, 12), sofia(2026, 1, 5, 14)
    assert merged([Pause(b, c), Pause(a, b)]) == [Pause(a, c)]
    assert merged([Pause(a), Pause(b, c)]) == [Pause(a)]
    assert merged([Pause(b, a)]) == []


def test_warning_times_at_eighty_percent_and_fifteen_minutes_before():
    """High response (8 h) from Monday 09:00: warn at 15:24 (80 %) and 16:45; due 17:00."""
    start = sofia(2026, 11, 23, 9, 0)
    times = warning_times(BUSINESS, start, Target(8, H), [], [Warning(percent=80), Warning(minutes_before=15)])
    assert times == [sofia(2026, 11, 23, 15, 24), sofia(2026, 11, 23, 16, 45)]


def test_calendar_knows_decreed_working_saturdays_and_extra_holidays():
    """An operator-decreed working Saturday opens; an extra holiday closes."""
    saturday, monday = date(2026, 11, 21), date(2026, 11, 23)
    calendar = BusinessCalendar(working_days=frozenset({saturday}), holidays=frozenset({monday}))
    assert calendar.is_open(sofia(2026, 11, 21, 10))
    assert not calendar.is_open(sofia(2026, 11, 23, 10))
    assert calendar.add(sofia(2026, 11, 20, 17, 0), timedelta(hours=2)) == sofia(2026, 11, 21, 10, 0)
    assert calendar.next_opening(sofia(2026, 11, 21, 19, 0)) == sofia(2026, 11, 24, 9, 0)


def test_bulgarian_holidays_include_moved_days_off():
    """The package's BG calendar has Easter Friday to Monday and the moved Christmas day off of 2026."""
    days = bulgarian_holidays([2026])
    assert {date(2026, 4, 10), date(2026, 4, 13), date(2026, 5, 6), date(2026, 12, 28)} <= days
    assert bulgarian_holiday_name(date(2026, 5, 6), "en").startswith("Saint George's Day")


def test_elapsed_is_zero_backwards_and_counts_only_open_hours():
    """Business time between Friday 17:00 and Monday 10:00 is two hours."""
    assert BUSINESS.elapsed(sofia(2026, 11, 20, 17), sofia(2026, 11, 23, 10)) == timedelta(hours=2)
    assert BUSINESS.elapsed(sofia(2026, 11, 23, 10), sofia(2026, 11, 20, 17)) == timedelta(0)


def test_the_calendar_grows_its_range_far_into_the_past_and_future():
    """Deadlines years apart are computed without a pre-built range."""
    calendar = BusinessCalendar()
    assert calendar.add(sofia(2031, 1, 6, 9), timedelta(hours=9 * 5)) == sofia(2031, 1, 10, 18)
    assert calendar.add(sofia(2019, 1, 7, 9), timedelta(hours=9 * 300)).year == 2020


def test_aware_times_are_required():
    """Naive datetimes are refused."""
    with pytest.raises(ValueError, match="aware"):
        BUSINESS.add(datetime(2026, 1, 5, 9), timedelta(hours=1))


# --- Properties -------------------------------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
budgets = st.integers(min_value=0, max_value=60 * 9 * 45).map(lambda minutes: timedelta(minutes=minutes))
holiday_days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 6, 30))


@settings(max_examples=200, deadline=None)
@given(first=moments, gap=st.integers(min_value=0, max_value=10**7), budget=budgets)
def test_a_later_receipt_never_gives_an_earlier_deadline(first, gap, budget):
    """Monotone in the clock start, on both calendars."""
    later = first + timedelta(seconds=gap)
    for calendar in (BUSINESS, ALWAYS):
        assert calendar.add(later, budget) >= calendar.add(first, budget)


@settings(max_examples=100, deadline=None)
@given(start=moments, budget=budgets, extra=st.lists(holiday_days, min_size=1, max_size=5))
def test_adding_a_holiday_never_makes_a_deadline_earlier(start, budget, extra):
    """More closed days can only push a deadline later."""
    base = BusinessCalendar(holidays=bulgarian_holidays(range(2025, 2029)))
    assert base.with_holidays(extra).add(start, budget) >= base.add(start, budget)


@settings(max_examples=200, deadline=None)
@given(start=moments, budget=budgets)
def test_add_and_elapsed_agree(start, budget):
    """The business time between the start and the deadline is exactly the budget (for a positive budget)."""
    due = BUSINESS.add(start, budget)
    assert BUSINESS.elapsed(start, due) == budget
    if budget:
        assert BUSINESS.is_open(due - timedelta(microseconds=1))


@settings(max_examples=100, deadline=None)
@given(
    start=moments,
    budget=budgets,
    pause_from=st.integers(min_value=0, max_value=10**6),
    pause_length=st.integers(min_value=1, max_value=10**6),
)
def test_a_pause_never_makes_a_deadline_earlier(start, budget, pause_from, pause_length):
    """Waiting for the customer can only move the deadline later, by no more than the pause's business time."""
    pause = Pause(start + timedelta(seconds=pause_from), start + timedelta(seconds=pause_from + pause_length))
    plain = due_at(BUSINESS, start, budget)
    paused = due_at(BUSINESS, start, budget, [pause])
    assert plain is not None
    assert paused is not None
    assert paused >= plain
    assert counted(BUSINESS, start, paused, [pause]) == budget or budget == timedelta(0)


def test_day_length_of_each_calendar():
    """A business day is 9 hours; a day around the clock is 24."""
    assert BUSINESS.day_length == timedelta(hours=9)
    assert ALWAYS.day_length == timedelta(hours=24)
    assert BusinessCalendar(opens=time(8), closes=time(16, 30)).day_length == timedelta(hours=8, minutes=30)
