"""Media through rtpengine (userspace) and the voice-asset workflow, end to end (PT-20, PT-21).

The caller's SDP points at a socket of this test, which keeps every RTP packet it receives in order. While the edge
hunts, rtpengine plays the User Number's music (500 Hz) to the caller; when the business number answers, the music
stops, the business number is blocked and the greeting (1000 Hz) plays; once it has played, the business number's
own audio (700 Hz, streamed by SIPp) comes through. Each 20 ms packet is decoded and its tone measured.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from trunkline.telephony.domain import audio
from trunkline.telephony.edge import sipp_tools as sipp
from trunkline.telephony.edge.runner import Kamailio, RtpEngine, binaries_missing
from trunkline.telephony.models import CallRecord, Disposition
from trunkline.telephony.services import (
    business_number_add,
    carrier_create,
    routing_snapshot_publish,
    spool_ingest,
    trunk_create,
    user_number_add,
    user_number_set_hours,
    user_number_set_media,
    voice_asset_acknowledge,
    voice_asset_claim_rights,
    voice_asset_order,
    voice_asset_pay,
    voice_asset_upload,
)
from trunkline.testing.factories import ctx_for, member

MISSING = binaries_missing("kamailio", "sipp", "rtpengine")
pytestmark = [
    pytest.mark.sip,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)} (run bin/telephony-setup)"),
]
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
NET = f"127.0.{3 + 10 * WORKER}"  # one loopback net per xdist worker
EDGE, CARRIER, PBX, LISTENER = (f"{NET}.{host}" for host in (1, 10, 20, 40))
TONES = (500, 700, 1000)  # music, the business number, the greeting


@pytest.fixture(scope="module")
def edge_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media-edge")


@pytest.fixture(scope="module")
def media_edge(edge_dir):
    rtpengine = RtpEngine(
        rundir=edge_dir / "run", ng_port=22231 + WORKER, port_min=31200 + 200 * WORKER, port_max=31399 + 200 * WORKER
    ).start()
    kamailio = Kamailio(
        rundir=edge_dir / "run",
        routing=edge_dir / "routing.json",
        spool=edge_dir / "spool",
        address=EDGE,
        rtpengine=f"127.0.0.1:{rtpengine.ng_port}",
    )
    try:
        kamailio.start()
        yield kamailio
    finally:
        kamailio.stop()
        rtpengine.stop()


class Listener:
    """The caller's ear: collects RTP sent to its address and decodes the A-law payloads."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.packets: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            try:
                data, _peer = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            self.packets.append(data)

    def close(self) -> list[int]:
        """Each A-law packet's tone: 500, 700 or 1000 Hz when it is within 60 Hz of one of them, else 0."""
        self.running = False
        self.thread.join()
        self.sock.close()
        alaw = [packet for packet in self.packets if len(packet) > 12 and packet[1] & 0x7F == 8]
        tones = []
        for packet in alaw:
            frequency = audio.dominant_frequency([audio.alaw_decode(byte) for byte in packet[12:]])
            tones.append(next((tone for tone in TONES if abs(frequency - tone) <= 60), 0))
        return tones


@pytest.fixture
def clinic(settings, edge_dir, media_edge, db):
    settings.TELEPHONY_DIR = str(edge_dir)
    owner = member(kind="customer", role="admin")
    ctx, staff = ctx_for(owner), ctx_for(member(kind="operator", role="staff"))
    carrier_create(ctx=staff, name="Upstream", addresses=[CARRIER])
    trunk_create(ctx=ctx, name="PBX", addresses=[PBX], calling_numbers=["3592*"])
    user_number = user_number_add(ctx=ctx, number="+35970020001")
    business_number_add(ctx=ctx, user_number_id=user_number.public_id, number="+35928880001", destination=PBX)
    assets = {}
    for kind, hertz, seconds in (("greeting", 1000, 1.0), ("music", 500, 0.6)):
        asset = voice_asset_order(ctx=ctx, kind=kind, origin="customer", title=kind)
        tone = audio.pcm_wav(audio.tone(hertz, seconds, rate=16000), rate=16000)  # converted to 8 kHz A-law
        voice_asset_upload(ctx=ctx, asset_id=asset.public_id, data=tone, rights_declaration="Recorded by us.")
        voice_asset_pay(ctx=staff, asset_id=asset.public_id)
        voice_asset_acknowledge(ctx=staff, asset_id=asset.public_id)
        assets[kind] = asset
    user_number_set_media(
        ctx=ctx,
        user_number_id=user_number.public_id,
        greeting_id=assets["greeting"].public_id,
        music_id=assets["music"].public_id,
    )
    routing_snapshot_publish()
    workdir = edge_dir / "sipp"
    workdir.mkdir(parents=True, exist_ok=True)
    callee = bytes(audio.alaw_encode(sample) for sample in audio.tone(700, 4.0))
    (workdir / "callee.alaw").write_bytes(callee)  # what the business number says, raw A-law for SIPp
    return {"ctx": ctx, "staff": staff, "assets": assets, "workdir": workdir}


def call_and_listen(workdir: Path) -> list[int]:
    """The tone of each 20 ms packet the caller received, in order of arrival (0 for anything else)."""
    listener = Listener(LISTENER)
    answering = sipp.uas(PBX, "uas_media.xml", workdir=workdir, ring_ms=1200)
    result = sipp.uac(
        f"{EDGE}:5060",
        CARRIER,
        "uac_media.xml",
        workdir=workdir,
        service="35970020001",
        keys={"anum": "35988000111", "rtp_ip": LISTENER, "rtp_port": str(listener.port)},
        hold_ms=2600,
    )
    tones = listener.close()
    assert result.ok, result.output[-2000:]
    assert answering.wait(20) == 0
    return tones


@pytest.mark.rule("PT-20")
def test_the_caller_hears_music_while_ringing_then_the_greeting_alone_then_the_business_number(clinic):
    """Music until the answer, then the greeting with the business number held back, then the business number."""
    tones = call_and_listen(clinic["workdir"])
    heard = [tone for tone in tones if tone]
    first_greeting, last_greeting = heard.index(1000), len(heard) - 1 - heard[::-1].index(1000)
    assert heard[:first_greeting].count(500) >= 40  # about a second of music while the business number rang
    assert 1000 not in heard[:first_greeting]
    assert 700 not in heard[:first_greeting]
    assert heard[first_greeting : last_greeting + 1].count(1000) >= 45  # the 1 s greeting, nearly every packet
    assert 700 not in heard[first_greeting:last_greeting]  # the business number was blocked meanwhile
    assert 500 not in heard[first_greeting:]  # the music stopped on answer
    assert heard[last_greeting + 1 :].count(700) >= 25  # then the business number is heard


@pytest.mark.rule("PT-20")
def test_after_a_rights_claim_the_next_call_plays_nothing(clinic, django_capture_on_commit_callbacks):
    """Once the operator records a rights claim on the music and the greeting, the caller hears only the business
    number."""
    with django_capture_on_commit_callbacks(execute=True):
        for asset in clinic["assets"].values():
            voice_asset_claim_rights(ctx=clinic["staff"], asset_id=asset.public_id, reason="Claim")
    heard = [tone for tone in call_and_listen(clinic["workdir"]) if tone]
    assert 500 not in heard
    assert 1000 not in heard
    assert heard.count(700) >= 50


@pytest.mark.rule("PT-15.1")
@pytest.mark.rule("PT-20")
def test_out_of_hours_the_caller_hears_the_voice_message_then_480(clinic, django_capture_on_commit_callbacks):
    """Closed all week with a voice message: early media (183) carries the message, then the edge answers 480."""
    ctx = clinic["ctx"]
    with django_capture_on_commit_callbacks(execute=True):
        user_number = user_number_add(ctx=ctx, number="+35970020009")
        user_number_set_hours(
            ctx=ctx,
            user_number_id=user_number.public_id,
            is_enabled=True,
            weekly=[""] * 7,
            after_hours="message",
            message_id=clinic["assets"]["greeting"].public_id,
        )
    listener = Listener(LISTENER)
    result = sipp.uac(
        f"{EDGE}:5060",
        CARRIER,
        "uac_message.xml",
        workdir=clinic["workdir"],
        service="35970020009",
        keys={"anum": "35988000111", "rtp_ip": LISTENER, "rtp_port": str(listener.port)},
    )
    heard = [tone for tone in listener.close() if tone]
    assert result.ok, result.output[-2000:]
    assert heard.count(1000) >= 45  # the whole 1 s message, before the 480
    assert set(heard) == {1000}
    spool_ingest()
    call = CallRecord.objects.get(organization=ctx.organization, b_number="35970020009")
    assert (call.disposition, call.sip_code, call.reason) == (
        Disposition.REJECTED,
        480,
        "Temporarily Unavailable (outside business hours)",
    )


@pytest.mark.rule("PT-20")
def test_a_rights_claim_stops_the_music_of_a_call_in_progress(clinic, settings, django_capture_on_commit_callbacks):
    """While a call rings with music, the operator records a rights claim: rtpengine stops the music in that call."""
    settings.TELEPHONY_RTPENGINE_NG = f"127.0.0.1:{22231 + WORKER}"
    listener = Listener(LISTENER)
    answering = sipp.uas(PBX, "uas_media.xml", workdir=clinic["workdir"], ring_ms=2500)
    outcome: dict[str, sipp.Result] = {}
    caller = threading.Thread(
        target=lambda: outcome.update(
            result=sipp.uac(
                f"{EDGE}:5060",
                CARRIER,
                "uac_media.xml",
                workdir=clinic["workdir"],
                service="35970020001",
                keys={"anum": "35988000111", "rtp_ip": LISTENER, "rtp_port": str(listener.port)},
                hold_ms=1500,
            )
        )
    )
    caller.start()
    deadline = time.monotonic() + 10
    while len(listener.packets) < 25 and time.monotonic() < deadline:  # half a second of music
        spool_ingest()
        time.sleep(0.02)
    spool_ingest()
    assert CallRecord.objects.filter(organization=clinic["ctx"].organization, disposition="in_progress").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        voice_asset_claim_rights(ctx=clinic["staff"], asset_id=clinic["assets"]["music"].public_id, reason="Claim")
    heard_before_claim = len(listener.packets)
    caller.join()
    tones = listener.close()
    assert outcome["result"].ok
    assert answering.wait(20) == 0
    after = [tone for tone in tones[heard_before_claim + 5 :] if tone]  # a few packets may be on their way
    assert tones[:heard_before_claim].count(500) >= 20
    assert 500 not in after
    assert after.count(1000) >= 45  # the greeting was not claimed: it still plays on answer
