"""Business-hours routing of a User Number: the schedule, validation, and what the edge receives (PT-15.1)."""

from __future__ import annotations

import pytest
import time_machine

from trunkline.audit.models import AuditEvent
from trunkline.telephony.domain.hours import ScheduleError, format_day, parse_day
from trunkline.telephony.errors import TelephonyInvalidError
from trunkline.telephony.models import BusinessHours
from trunkline.telephony.services import (
    routing_snapshot_build,
    trunk_create,
    user_number_add,
    user_number_set_hours,
    voice_asset_order,
)
from trunkline.testing.factories import ctx_for, member

WEEKDAYS = ["08:30-12:00, 13:00-17:30"] * 5 + ["", ""]


@pytest.fixture
def ctx(db):
    return ctx_for(member(kind="customer", role="admin"))


@pytest.fixture
def user_number(ctx):
    trunk_create(ctx=ctx, name="Office", addresses=["127.0.0.20"], calling_numbers=["3592*"])
    return user_number_add(ctx=ctx, number="+35970010001")


def test_a_day_is_written_as_time_spans():
    """Spans are read as minutes of the day, sorted, and written back the same way."""
    assert parse_day("13:00-17:30, 08:30-12:00") == [(510, 720), (780, 1050)]
    assert parse_day("") == []
    assert format_day([(510, 720), (780, 1440)]) == "08:30-12:00, 13:00-24:00"
    for wrong in ("8-17", "17:00-08:00", "08:00-12:00, 11:00-13:00", "25:00-26:00"):
        with pytest.raises(ScheduleError):
            parse_day(wrong)


@pytest.mark.rule("PT-15.1")
@time_machine.travel("2026-12-20 10:00:00+00:00", tick=False)
def test_the_edge_receives_the_schedule_the_holidays_and_the_after_hours_numbers(ctx, user_number):
    """The snapshot carries minutes per weekday, the organisation's zone, Bulgarian holidays and the other list."""
    user_number_set_hours(
        ctx=ctx,
        user_number_id=user_number.public_id,
        is_enabled=True,
        weekly=WEEKDAYS,
        after_hours="forward",
        after_hours_numbers=[{"number": "0888123456", "destination": "127.0.0.20", "ring_seconds": 15}],
    )
    hours = routing_snapshot_build()["user_numbers"]["35970010001"]["hours"]
    assert hours["zone"] == "Europe/Sofia"
    assert hours["weekly"][0] == [[510, 720], [780, 1050]]
    assert hours["weekly"][5] == []
    assert {"2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01", "2027-03-03"} <= set(hours["closed"])
    assert hours["targets"] == [
        {"number": "+359888123456", "uri": "sip:359888123456@127.0.0.20:5060", "ring_ms": 15000}
    ]
    assert AuditEvent.objects.filter(action="telephony.business_hours_set").count() == 1


def test_switched_off_business_hours_are_not_sent_to_the_edge(ctx, user_number):
    """A User Number without business hours (or with them off) routes as always."""
    user_number_set_hours(ctx=ctx, user_number_id=user_number.public_id, is_enabled=False, weekly=WEEKDAYS)
    assert "hours" not in routing_snapshot_build()["user_numbers"]["35970010001"]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"weekly": ["8-17"] + [""] * 6}, "weekly"),
        ({"weekly": [""] * 6}, "weekly"),
        ({"after_hours": "forward"}, "after_hours_numbers"),
        ({"after_hours": "message"}, "message"),
        ({"after_hours": "voicemail"}, "after_hours"),
        ({"after_hours": "forward", "after_hours_numbers": [{"number": "0888", "destination": "10.9.9.9"}]}, None),
    ],
)
def test_invalid_business_hours_change_nothing(ctx, user_number, arguments, field):
    """A wrong schedule, a missing list or message, or a foreign address is refused and nothing is saved."""
    call = {"weekly": WEEKDAYS, "is_enabled": True, **arguments}
    with pytest.raises(TelephonyInvalidError) as error:
        user_number_set_hours(ctx=ctx, user_number_id=user_number.public_id, **call)
    if field:
        assert field in error.value.fields
    assert not BusinessHours.objects.exists()


def test_the_voice_message_must_be_a_greeting_of_the_organisation(ctx, user_number):
    """Music cannot be the out-of-hours message."""
    music = voice_asset_order(ctx=ctx, kind="music", origin="customer", title="Jingle")
    from trunkline.core.errors import NotFoundError

    with pytest.raises(NotFoundError):
        user_number_set_hours(
            ctx=ctx,
            user_number_id=user_number.public_id,
            is_enabled=True,
            weekly=WEEKDAYS,
            after_hours="message",
            message_id=music.public_id,
        )
