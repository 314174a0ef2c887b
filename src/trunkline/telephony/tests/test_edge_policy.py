"""The edge's decision function and snapshot reader, without Kamailio (PT-17)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from trunkline.telephony.edge.policy import SnapshotFile, Spool, decide, sdp_audio

SNAPSHOT: dict[str, Any] = {
    "gateway": "sip:{num}@192.0.2.30:5060",
    "peers": {
        "192.0.2.10": {"kind": "carrier", "name": "Upstream"},
        "192.0.2.20": {"kind": "customer", "org": "org-a", "calling_numbers": ["35921234567", "3592888*"]},
    },
    "user_numbers": {
        "35970010001": {
            "org": "org-a",
            "user_number": "+35970010001",
            "targets": [{"number": "+35928880001", "uri": "sip:35928880001@192.0.2.20:5060", "ring_ms": 3000}],
            "greeting": "",
            "music": "",
        }
    },
}
PCMA = (
    "v=0\r\nm=audio 6000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n"
)


def verdict(**overrides):
    call = {"source_ip": "192.0.2.10", "a_number": "35988000111", "r_user": "35970010001", "sdp": PCMA}
    decision = decide(SNAPSHOT, **{**call, **overrides})
    return (decision["action"], decision.get("code"), decision.get("org"))


@pytest.mark.rule("PT-17")
@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, ("route", None, "org-a")),
        ({"source_ip": "198.51.100.1"}, ("reject", 403, "")),
        ({"r_user": ""}, ("reject", 484, "")),
        ({"r_user": "192.0.2.30"}, ("reject", 403, "")),
        ({"sdp": None}, ("reject", 488, "org-a")),
        ({"sdp": "m=audio 6000 RTP/AVP 0\r\n"}, ("reject", 488, "org-a")),
        ({"sdp": PCMA.replace("ptime:20", "ptime:30")}, ("reject", 488, "org-a")),
        ({"r_user": "35970099999"}, ("reject", 404, "")),
        ({"source_ip": "192.0.2.20", "r_user": "35988123456", "a_number": "35921234567"}, ("route", None, "org-a")),
        ({"source_ip": "192.0.2.20", "r_user": "35988123456", "a_number": "+35928880042"}, ("route", None, "org-a")),
        ({"source_ip": "192.0.2.20", "r_user": "35988123456", "a_number": "35999999999"}, ("reject", 403, "org-a")),
    ],
)
def test_trunk_profile_decisions(overrides, expected):
    """Source address, number format, codec and ptime, calling number and User Number checks, in that order."""
    assert verdict(**overrides) == expected


def test_pcma_with_other_codecs_is_forwarded_with_the_others_stripped():
    """An offer of PCMA and G.729 is routed, marked to keep only A-law and telephone-event."""
    decision = decide(
        SNAPSHOT, source_ip="192.0.2.10", a_number="1", r_user="35970010001", sdp=PCMA.replace("8 101", "8 18 101")
    )
    assert (decision["action"], decision["strip_codecs"]) == ("route", True)
    assert sdp_audio(PCMA) == ({"PCMA", "TELEPHONE-EVENT"}, ["20"])


def test_snapshot_is_reread_only_when_the_file_is_replaced(tmp_path):
    """Two reads of an unchanged file load it once; a replaced file is loaded again; a broken one keeps the last."""
    path = tmp_path / "routing.json"
    path.write_text(json.dumps({"version": 1}))
    reader = SnapshotFile(str(path))
    assert reader.get() == {"version": 1}
    assert reader.get() == {"version": 1}
    assert reader.loads == 1
    replacement = tmp_path / "next.json"
    replacement.write_text(json.dumps({"version": 22}))
    os.replace(replacement, path)
    assert reader.get() == {"version": 22}
    path.write_text("{broken")
    assert reader.get() == {"version": 22}


def test_spool_lines_are_whole_json_objects(tmp_path):
    """Each event is one line in this process's file of the hour."""
    Spool(str(tmp_path)).write({"call_id": "c", "event": "start", "at": 1.0}, now=0.0)
    [path] = tmp_path.glob("events-1970010100-*.jsonl")
    assert json.loads(path.read_text()) == {"call_id": "c", "event": "start", "at": 1.0}


# Monday 2026-12-07 at 09:00 and 19:00 in Sofia (UTC+2), and Christmas Eve 2026 (a Thursday) at 10:00.
MONDAY_9 = 1796626800.0
MONDAY_19 = MONDAY_9 + 10 * 3600
CHRISTMAS_EVE_10 = MONDAY_9 + 17 * 86400 + 3600
HOURS = {
    "zone": "Europe/Sofia",
    "weekly": [[[510, 1050]]] * 5 + [[], []],  # 08:30-17:30 on weekdays
    "closed": ["2026-12-24", "2026-12-25"],
    "action": "forward",
    "targets": [{"number": "+35928889999", "uri": "sip:35928889999@192.0.2.20:5060", "ring_ms": 5000}],
    "message": "",
    "message_ms": 0,
}


def routed(hours: dict, now: float) -> dict:
    entry = dict(SNAPSHOT["user_numbers"]["35970010001"], hours=hours, greeting="/media/g.wav", greeting_ms=900)
    snapshot = dict(SNAPSHOT, user_numbers={"35970010001": entry})
    return decide(snapshot, source_ip="192.0.2.10", a_number="1", r_user="35970010001", sdp=PCMA, now=now)


@pytest.mark.rule("PT-15.1")
def test_within_business_hours_the_business_numbers_ring():
    """Monday 09:00 in Sofia is open: the usual hunt, with the greeting."""
    decision = routed(HOURS, MONDAY_9)
    assert [target["number"] for target in decision["targets"]] == ["+35928880001"]
    assert (decision["after_hours"], decision["greeting"]) == (False, "/media/g.wav")


@pytest.mark.rule("PT-15.1")
@pytest.mark.parametrize("now", [MONDAY_19, CHRISTMAS_EVE_10], ids=["evening", "public-holiday"])
def test_out_of_hours_the_after_hours_numbers_ring(now):
    """In the evening and on a Bulgarian public holiday the after-hours list rings, without the greeting."""
    decision = routed(HOURS, now)
    assert [target["number"] for target in decision["targets"]] == ["+35928889999"]
    assert (decision["after_hours"], decision["greeting"]) == (True, "")


@pytest.mark.rule("PT-15.1")
def test_out_of_hours_busy_and_message():
    """Out of hours "busy" refuses with 486; "message" announces the voice message, then 480."""
    busy = routed(dict(HOURS, action="busy"), MONDAY_19)
    assert (busy["action"], busy["code"], busy["reason"]) == ("reject", 486, "Busy Here (outside business hours)")
    message = routed(dict(HOURS, action="message", message="/media/closed.wav", message_ms=4000), MONDAY_19)
    assert (message["action"], message["message"], message["message_ms"], message["code"]) == (
        "announce",
        "/media/closed.wav",
        4000,
        480,
    )
    assert routed(dict(HOURS, closed=[]), CHRISTMAS_EVE_10)["after_hours"] is False  # holidays not observed
