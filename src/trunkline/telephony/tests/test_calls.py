"""Call events from the edge become call records once each; statistics and CSV are computed from them (PT-15.1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trunkline.telephony.models import CallAttempt, CallEvent, CallRecord
from trunkline.telephony.paths import spool_dir
from trunkline.telephony.selectors import call_list, call_statistics, calls_csv
from trunkline.telephony.services import call_events_ingest, spool_ingest, user_number_add
from trunkline.testing.factories import ctx_for, member

T0 = datetime(2026, 5, 4, 7, 0, tzinfo=UTC).timestamp()  # 10:00 in Sofia


@pytest.fixture
def ctx(db):
    return ctx_for(member(kind="customer", role="admin"))


def answered_after_busy(ctx, call_id: str, *, at: float = T0, talk: float = 12.4) -> list[dict]:
    org = str(ctx.organization.public_id)
    return [
        {"call_id": call_id, "event": "start", "at": at, "org": org, "direction": "inbound", "a": "35988000111",
         "b": "35970010001", "user_number": "+35970010001", "si": "127.0.0.10"},
        {"call_id": call_id, "event": "attempt.0", "at": at + 0.1, "number": "+35928880001", "code": 486},
        {"call_id": call_id, "event": "answer", "at": at + 0.5, "position": 1, "number": "+35928880002"},
        {"call_id": call_id, "event": "end", "at": at + 0.5 + talk, "reason": "caller_bye"},
    ]  # fmt: skip


@pytest.mark.rule("PT-15.1")
def test_events_in_any_order_and_replayed_make_one_record(ctx):
    """End before start, then every event again: one call, answered by the second number, 12 s, two attempts."""
    user_number_add(ctx=ctx, number="+35970010001")
    events = answered_after_busy(ctx, "call-1")
    assert call_events_ingest(events=list(reversed(events))) == 4
    assert call_events_ingest(events=events) == 0
    call = CallRecord.objects.get()
    assert (call.disposition, call.answered_by, call.duration_seconds, call.sip_code, call.end_reason) == (
        "answered",
        "+35928880002",
        12,
        200,
        "caller_bye",
    )
    assert call.user_number is not None
    assert call.user_number.number == "+35970010001"
    assert list(CallAttempt.objects.values_list("position", "number", "sip_code", "outcome")) == [
        (0, "+35928880001", 486, "busy"),
        (1, "+35928880002", 200, "answered"),
    ]
    assert CallEvent.objects.count() == 4


@pytest.mark.rule("PT-15.1")
def test_a_call_that_fails_on_every_number_is_busy_or_missed(ctx):
    """All busy ends as busy with 486; a ring timeout on the last number ends as no answer."""
    org = str(ctx.organization.public_id)
    for call_id, code in (("busy", 486), ("timeout", 408)):
        call_events_ingest(
            events=[
                {
                    "call_id": call_id,
                    "event": "start",
                    "at": T0,
                    "org": org,
                    "direction": "inbound",
                    "a": "1",
                    "b": "2",
                },
                {"call_id": call_id, "event": "attempt.0", "at": T0 + 1, "number": "+35928880001", "code": code},
                {"call_id": call_id, "event": "fail", "at": T0 + 1, "code": code},
            ]
        )
    assert dict(CallRecord.objects.values_list("call_id", "disposition")) == {"busy": "busy", "timeout": "no_answer"}


def test_a_rejected_call_is_kept_with_its_reason_and_unknown_callers_only_as_events(ctx):
    """A known trunk's refused call is a rejected record; a stranger's is only a stored event."""
    org = str(ctx.organization.public_id)
    call_events_ingest(
        events=[
            {"call_id": "r1", "event": "reject", "at": T0, "org": org, "code": 403, "reason": "A-number not allowed",
             "a": "35999999999", "b": "35988123456", "si": "127.0.0.20", "direction": "outbound"},
            {"call_id": "r2", "event": "reject", "at": T0, "code": 403, "reason": "Source IP not authorized"},
            {"call_id": "bad", "event": "explode", "at": T0},
        ]
    )  # fmt: skip
    call = CallRecord.objects.get()
    assert (call.call_id, call.disposition, call.sip_code, call.reason) == (
        "r1",
        "rejected",
        403,
        "A-number not allowed",
    )
    assert sorted(CallEvent.objects.values_list("call_id", flat=True)) == ["r1", "r2"]


@pytest.mark.rule("PT-15.1")
def test_spool_lines_are_ingested_once_and_half_written_lines_wait(ctx):
    """Only complete lines are read; the rest is read on the next pass, and nothing twice."""
    events = answered_after_busy(ctx, "spooled")
    path = spool_dir() / "events-2026050407-123.jsonl"
    text = "".join(json.dumps(event) + "\n" for event in events)
    path.write_text(text[:-10])
    assert spool_ingest() == 3
    path.write_text(text)
    assert spool_ingest() == 1
    assert spool_ingest() == 0
    assert CallRecord.objects.get().disposition == "answered"


@pytest.mark.rule("PT-15.1")
def test_statistics_per_hour_and_number_with_asr_and_acd(ctx):
    """Two answered calls (12 s, 30 s) and one busy at 10:00 Sofia, one missed at 11:00: ASR 50 %, ACD 21 s."""
    org = str(ctx.organization.public_id)
    user_number_add(ctx=ctx, number="+35970010001")
    call_events_ingest(events=answered_after_busy(ctx, "a1"))
    call_events_ingest(events=answered_after_busy(ctx, "a2", at=T0 + 60, talk=30))
    call_events_ingest(
        events=[
            {"call_id": "b1", "event": "start", "at": T0 + 120, "org": org, "direction": "inbound", "a": "1",
             "b": "35970010001", "user_number": "+35970010001"},
            {"call_id": "b1", "event": "attempt.0", "at": T0 + 121, "number": "+35928880001", "code": 486},
            {"call_id": "b1", "event": "fail", "at": T0 + 121, "code": 486},
            {"call_id": "m1", "event": "start", "at": T0 + 3600, "org": org, "direction": "inbound", "a": "1",
             "b": "35970010001", "user_number": "+35970010001"},
            {"call_id": "m1", "event": "attempt.0", "at": T0 + 3620, "number": "+35928880001", "code": 408},
            {"call_id": "m1", "event": "fail", "at": T0 + 3620, "code": 408},
        ]
    )  # fmt: skip
    start = datetime(2026, 5, 4, 6, tzinfo=UTC)
    stats = call_statistics(ctx=ctx, start=start, end=start + timedelta(hours=3), group="hour", zone="Europe/Sofia")
    assert [(label, tally.calls, tally.answered, tally.busy, tally.missed) for label, tally in stats.buckets] == [
        ("2026-05-04 09:00", 0, 0, 0, 0),
        ("2026-05-04 10:00", 3, 2, 1, 0),
        ("2026-05-04 11:00", 1, 0, 0, 1),
    ]
    assert (stats.total.asr, stats.total.acd) == (Decimal("50.0"), Decimal("21.0"))
    by_number = {
        label: (tally.calls, tally.answered, tally.busy, tally.missed) for label, tally in stats.by_business_number
    }
    assert by_number == {"+35928880001": (4, 0, 3, 1), "+35928880002": (2, 2, 0, 0)}
    assert [(label, tally.calls) for label, tally in stats.by_user_number] == [("+35970010001", 4)]


def test_csv_export_has_one_row_per_call_with_attempts(ctx):
    """The CSV carries the call's numbers, outcome and each attempt as number:code."""
    call_events_ingest(events=answered_after_busy(ctx, "csv-1"))
    rows = calls_csv(call_list(ctx=ctx)).splitlines()
    assert rows[0].startswith("call_id,direction,started_at")
    assert rows[1] == (
        "csv-1,inbound,2026-05-04T07:00:00+00:00,2026-05-04T07:00:00.500000+00:00,2026-05-04T07:00:12.900000+00:00,"
        "answered,200,35988000111,35970010001,,+35928880002,12,+35928880001:486;+35928880002:200"
    )


def test_another_organisations_calls_are_invisible(ctx):
    """Statistics and lists read one organisation's calls only."""
    call_events_ingest(events=answered_after_busy(ctx, "mine"))
    stranger = ctx_for(member(kind="customer", role="admin"))
    assert call_list(ctx=stranger).count() == 0
    start = datetime(2026, 5, 4, tzinfo=UTC)
    assert call_statistics(ctx=stranger, start=start, end=start + timedelta(days=1)).total.calls == 0
