"""The SIP edge end to end: Kamailio with the Python KEMI script on loopback, SIPp as carrier and customer PBXs.

Every acceptance case of the trunk profile (PT-17) and forwarding (PT-15.1) is one bounded SIPp scenario; the call
records and statistics built from the edge's events must match each scenario exactly. Skipped with the reason when
Kamailio or SIPp are not installed (``bin/telephony-setup`` installs them; ``.ci/run`` does it in CI).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from trunkline.core import clock
from trunkline.telephony.edge import sipp_tools as sipp
from trunkline.telephony.edge.runner import Kamailio, binaries_missing
from trunkline.telephony.models import CallEvent, CallRecord, Disposition
from trunkline.telephony.selectors import call_statistics
from trunkline.telephony.services import (
    business_number_add,
    business_numbers_reorder,
    carrier_create,
    routing_snapshot_publish,
    spool_ingest,
    trunk_create,
    user_number_add,
    user_number_set_hours,
)
from trunkline.testing.factories import ctx_for, member

MISSING = binaries_missing("kamailio", "sipp")
pytestmark = [
    pytest.mark.sip,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)} (run bin/telephony-setup)"),
]

NET = f"127.0.{1 + 10 * int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:] or 0)}"  # one loopback net per worker
EDGE, CARRIER, PBX1, PBX2, GATEWAY, STRANGER = (f"{NET}.{host}" for host in (1, 10, 20, 21, 30, 99))
EDGE_URI = f"{EDGE}:5060"
USER_NUMBER, FIRST, SECOND = "+35970010001", "+35928880001", "+35928880002"
CALLER = "35988000111"


@pytest.fixture(scope="module")
def edge_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("edge")


@pytest.fixture(scope="module")
def kamailio(edge_dir):
    edge = Kamailio(
        rundir=edge_dir / "run", routing=edge_dir / "routing.json", spool=edge_dir / "spool", address=EDGE, children=4
    )
    edge.start()
    yield edge
    edge.stop()


@pytest.fixture
def pbx(settings, edge_dir, kamailio, db):
    """A customer with User Number +35970010001 ringing two business numbers at PBX-1 and PBX-2 (1 s each), a
    trunk from both PBX addresses allowed to present 35921234567, and the operator's carrier."""
    settings.TELEPHONY_DIR = str(edge_dir)
    spool_ingest()  # events of earlier tests belong to their organisations, not to this one
    owner = member(kind="customer", role="admin")
    ctx = ctx_for(owner)
    staff = ctx_for(member(kind="operator", role="staff"))
    carrier_create(ctx=staff, name="Upstream", addresses=[CARRIER], gateway=GATEWAY)
    trunk_create(ctx=ctx, name="Office PBX", addresses=[PBX1, PBX2], calling_numbers=["35921234567"])
    user_number = user_number_add(ctx=ctx, number=USER_NUMBER)
    first = business_number_add(
        ctx=ctx, user_number_id=user_number.public_id, number=FIRST, destination=PBX1, ring_seconds=1
    )
    second = business_number_add(
        ctx=ctx, user_number_id=user_number.public_id, number=SECOND, destination=PBX2, ring_seconds=1
    )
    routing_snapshot_publish()
    return {"ctx": ctx, "user_number": user_number, "first": first, "second": second, "workdir": edge_dir / "sipp"}


def settled(ctx, count: int, *, deadline: float = 10.0) -> list[CallRecord]:
    """The organisation's call records once ``count`` of them are final (polled with a deadline, no fixed sleep)."""
    end = time.monotonic() + deadline
    while True:
        spool_ingest()
        calls = list(
            CallRecord.objects.filter(organization=ctx.organization)
            .exclude(disposition=Disposition.IN_PROGRESS)
            .order_by("started_at")
        )
        if len(calls) >= count or time.monotonic() > end:
            return calls
        time.sleep(0.05)


def attempts(call: CallRecord) -> list[tuple[int, str, int, str]]:
    return list(call.attempts.order_by("position").values_list("position", "number", "sip_code", "outcome"))


def inbound(pbx, scenario: str = "uac_call.xml") -> sipp.Result:
    return sipp.uac(EDGE_URI, CARRIER, scenario, workdir=pbx["workdir"], service="35970010001", keys={"anum": CALLER})


def refused(pbx, code: int, *, source: str = CARRIER, ruri: str = f"sip:35970010001@{EDGE_URI}", anum: str = CALLER,
            codecs: str = "8", rtpmap: str = "a=rtpmap:8 PCMA/8000", ptime: str = "20") -> sipp.Result:  # fmt: skip
    scenario = sipp.expect_scenario(code, pbx["workdir"])
    keys = {"ruri": ruri, "anum": anum, "codecs": codecs, "rtpmap": rtpmap, "ptime": ptime}
    return sipp.uac(EDGE_URI, source, scenario, workdir=pbx["workdir"], keys=keys)


def finished(*servers) -> list[int]:
    return [server.wait(20) for server in servers]


@pytest.mark.rule("PT-17")
@pytest.mark.rule("PT-15.1")
def test_authorized_call_is_forwarded_and_answered_after_183_with_sdp(pbx):
    """PT-17.4: PBX-1 sends 183 Session Progress with SDP, then 200; the caller sees both; one answered record."""
    answering = sipp.uas(PBX1, "uas_183_200.xml", workdir=pbx["workdir"])
    result = inbound(pbx, "uac_early_media.xml")
    assert result.ok, result.output[-2000:]
    assert finished(answering) == [0]
    [call] = settled(pbx["ctx"], 1)
    assert (call.direction, call.disposition, call.sip_code, call.a_number, call.b_number, call.answered_by) == (
        "inbound", "answered", 200, CALLER, "35970010001", FIRST,
    )  # fmt: skip
    assert call.user_number == pbx["user_number"]
    assert call.end_reason == "caller_bye"
    assert attempts(call) == [(0, FIRST, 200, "answered")]


@pytest.mark.rule("PT-17")
def test_unknown_source_address_is_refused_with_403(pbx):
    """PT-17.11: an INVITE from an address that is neither a carrier nor a trunk gets 403 and no call record."""
    result = refused(pbx, 403, source=STRANGER)
    assert result.ok, result.output[-2000:]
    spool_ingest()
    event = CallEvent.objects.filter(event="reject", payload__si=STRANGER).latest("at")
    assert (event.payload["code"], event.payload["reason"], event.organization) == (
        403, "Source IP not authorized", None,
    )  # fmt: skip
    assert not CallRecord.objects.filter(organization=pbx["ctx"].organization).exists()


@pytest.mark.rule("PT-17")
def test_unknown_calling_number_from_a_trunk_is_refused_with_403(pbx):
    """PT-17.11: the customer's PBX presents a calling number it is not allowed: 403, kept as a rejected call."""
    result = refused(pbx, 403, source=PBX1, ruri=f"sip:35988123456@{EDGE_URI}", anum="35999999999")
    assert result.ok, result.output[-2000:]
    [call] = settled(pbx["ctx"], 1)
    assert (call.direction, call.disposition, call.sip_code, call.reason, call.a_number) == (
        "outbound", "rejected", 403, "A-number not authorized", "35999999999",
    )  # fmt: skip


@pytest.mark.rule("PT-17")
def test_offer_without_alaw_or_with_another_ptime_is_refused_with_488(pbx):
    """PT-17.3: a PCMU-only offer and a PCMA offer at 30 ms are both answered 488."""
    assert refused(pbx, 488, codecs="0", rtpmap="a=rtpmap:0 PCMU/8000").ok
    assert refused(pbx, 488, ptime="30").ok
    calls = settled(pbx["ctx"], 2)
    assert sorted((call.sip_code, call.reason) for call in calls) == [
        (488, "Not Acceptable Here (G.711 A-law required)"),
        (488, "Not Acceptable Here (ptime 20 required)"),
    ]


@pytest.mark.rule("PT-17")
def test_ip_dialing_is_refused(pbx):
    """PT-17.5, PT-17.7: no number in the request URI gets 484; a name or address instead of a number gets 403."""
    assert refused(pbx, 484, source=PBX1, ruri=f"sip:{GATEWAY}:5060", anum="35921234567").ok
    assert refused(pbx, 403, source=PBX1, ruri=f"sip:pbx@{GATEWAY}:5060", anum="35921234567").ok
    calls = settled(pbx["ctx"], 2)
    assert sorted(call.sip_code or 0 for call in calls) == [403, 484]


@pytest.mark.rule("PT-17")
def test_outbound_call_with_an_allowed_calling_number_reaches_the_carrier(pbx):
    """PT-17.11: from a trunk address with an allowed A-number, the call goes out through the carrier gateway."""
    gateway = sipp.uas(GATEWAY, "uas_183_200.xml", workdir=pbx["workdir"])
    result = sipp.uac(
        EDGE_URI, PBX1, "uac_call.xml", workdir=pbx["workdir"], service="35988123456", keys={"anum": "35921234567"}
    )
    assert result.ok, result.output[-2000:]
    assert finished(gateway) == [0]
    [call] = settled(pbx["ctx"], 1)
    assert (call.direction, call.disposition, call.b_number, call.answered_by) == (
        "outbound", "answered", "35988123456", "+35988123456",
    )  # fmt: skip


@pytest.mark.rule("PT-15.1")
def test_first_business_number_busy_the_second_answers(pbx):
    """PBX-1 answers 486; the edge tries PBX-2, which answers."""
    busy, answering = (
        sipp.uas(PBX1, "uas_busy.xml", workdir=pbx["workdir"]),
        sipp.uas(PBX2, "uas_183_200.xml", workdir=pbx["workdir"]),
    )
    assert inbound(pbx).ok
    assert finished(busy, answering) == [0, 0]
    [call] = settled(pbx["ctx"], 1)
    assert (call.disposition, call.answered_by) == ("answered", SECOND)
    assert attempts(call) == [(0, FIRST, 486, "busy"), (1, SECOND, 200, "answered")]


@pytest.mark.rule("PT-15.1")
def test_no_answer_within_the_ring_timeout_moves_to_the_next(pbx):
    """PBX-1 rings without answering; after its 1 s ring timeout the edge cancels it and PBX-2 answers."""
    ringing, answering = (
        sipp.uas(PBX1, "uas_noanswer.xml", workdir=pbx["workdir"]),
        sipp.uas(PBX2, "uas_183_200.xml", workdir=pbx["workdir"]),
    )
    assert inbound(pbx).ok
    assert finished(ringing, answering) == [0, 0]
    [call] = settled(pbx["ctx"], 1)
    assert (call.disposition, call.answered_by) == ("answered", SECOND)
    assert attempts(call) == [(0, FIRST, 408, "no_answer"), (1, SECOND, 200, "answered")]


@pytest.mark.rule("PT-15.1")
def test_all_business_numbers_busy_gives_486(pbx):
    """Both PBXs answer 486: the caller gets 486 Busy Here and the call is recorded as busy."""
    first, second = (
        sipp.uas(PBX1, "uas_busy.xml", workdir=pbx["workdir"]),
        sipp.uas(PBX2, "uas_busy.xml", workdir=pbx["workdir"]),
    )
    assert refused(pbx, 486).ok
    assert finished(first, second) == [0, 0]
    [call] = settled(pbx["ctx"], 1)
    assert (call.disposition, call.sip_code) == ("busy", 486)
    assert attempts(call) == [(0, FIRST, 486, "busy"), (1, SECOND, 486, "busy")]


@pytest.mark.rule("PT-15.1")
def test_unknown_user_number_is_not_found(pbx):
    """A carrier's call for a number that is nobody's User Number gets 404."""
    assert refused(pbx, 404, ruri=f"sip:35970099999@{EDGE_URI}").ok


@pytest.mark.rule("PT-15.1")
def test_a_forwarding_change_applies_to_the_next_call_without_restarting_kamailio(
    pbx, kamailio, django_capture_on_commit_callbacks
):
    """After the hunt order is reversed through the service the panel uses, the next call rings PBX-2 first; the
    same Kamailio process served both calls."""
    pid = kamailio.process.pid
    answering = sipp.uas(PBX1, "uas_183_200.xml", workdir=pbx["workdir"])
    assert inbound(pbx).ok
    assert finished(answering) == [0]
    with django_capture_on_commit_callbacks(execute=True):
        business_numbers_reorder(
            ctx=pbx["ctx"],
            user_number_id=pbx["user_number"].public_id,
            order=[pbx["second"].public_id, pbx["first"].public_id],
        )
    answering = sipp.uas(PBX2, "uas_183_200.xml", workdir=pbx["workdir"])
    assert inbound(pbx).ok
    assert finished(answering) == [0]
    first_call, second_call = settled(pbx["ctx"], 2)
    assert (first_call.answered_by, second_call.answered_by) == (FIRST, SECOND)
    assert attempts(second_call) == [(0, SECOND, 200, "answered")]
    assert kamailio.process.pid == pid
    assert kamailio.process.poll() is None


@pytest.mark.rule("PT-15.1")
def test_statistics_match_the_scenarios_exactly(pbx):
    """Answered, busy-then-answered, no-answer-then-answered and all-busy: 4 calls, 3 answered, 1 busy, ASR 75 %;
    per business number: the first was tried 4 times (2 busy, 1 missed, 1 answered), the second 3 times."""
    workdir = pbx["workdir"]
    plan = [
        ("uas_183_200.xml", None),
        ("uas_busy.xml", "uas_183_200.xml"),
        ("uas_noanswer.xml", "uas_183_200.xml"),
        ("uas_busy.xml", "uas_busy.xml"),
    ]
    for first, second in plan:
        servers = [sipp.uas(PBX1, first, workdir=workdir)]
        if second:
            servers.append(sipp.uas(PBX2, second, workdir=workdir))
        result = inbound(pbx) if second != "uas_busy.xml" else refused(pbx, 486)
        assert result.ok, result.output[-2000:]
        assert all(code == 0 for code in finished(*servers))
    calls = settled(pbx["ctx"], 4)
    assert [call.disposition for call in calls] == ["answered", "answered", "answered", "busy"]
    now = clock.now()
    stats = call_statistics(ctx=pbx["ctx"], start=now - timedelta(hours=1), end=now + timedelta(minutes=1))
    total = stats.total
    assert (total.calls, total.answered, total.busy, total.missed, total.failed) == (4, 3, 1, 0, 0)
    assert str(total.asr) == "75.0"
    per_number = {number: (t.calls, t.answered, t.busy, t.missed) for number, t in stats.by_business_number}
    assert per_number == {FIRST: (4, 1, 2, 1), SECOND: (3, 2, 1, 0)}
    assert [(number, t.calls) for number, t in stats.by_user_number] == [(USER_NUMBER, 4)]


def closed_all_week(pbx, django_capture_on_commit_callbacks, **after_hours):
    with django_capture_on_commit_callbacks(execute=True):
        user_number_set_hours(
            ctx=pbx["ctx"], user_number_id=pbx["user_number"].public_id, is_enabled=True, weekly=[""] * 7, **after_hours
        )


@pytest.mark.rule("PT-15.1")
def test_out_of_hours_a_call_rings_the_after_hours_numbers(pbx, django_capture_on_commit_callbacks):
    """Closed all week: the call skips the business numbers and the after-hours number at PBX-2 answers."""
    closed_all_week(
        pbx,
        django_capture_on_commit_callbacks,
        after_hours="forward",
        after_hours_numbers=[{"number": "+35928880009", "destination": PBX2, "ring_seconds": 2}],
    )
    answering = sipp.uas(PBX2, "uas_183_200.xml", workdir=pbx["workdir"])
    assert inbound(pbx).ok
    assert finished(answering) == [0]
    [call] = settled(pbx["ctx"], 1)
    assert (call.disposition, call.answered_by) == (Disposition.ANSWERED, "+35928880009")


@pytest.mark.rule("PT-15.1")
def test_out_of_hours_busy_refuses_the_call_with_486(pbx, django_capture_on_commit_callbacks):
    """Closed all week with "busy" out of hours: 486, recorded as refused, and no business number rang."""
    closed_all_week(pbx, django_capture_on_commit_callbacks, after_hours="busy")
    assert refused(pbx, 486).ok
    [call] = settled(pbx["ctx"], 1)
    assert (call.disposition, call.sip_code, call.reason) == (
        Disposition.REJECTED,
        486,
        "Busy Here (outside business hours)",
    )
