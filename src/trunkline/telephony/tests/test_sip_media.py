"""Media through rtpengine (userspace) and the greeting workflow, end to end (PT-20, PT-21).

The caller's SDP points at a socket of this test; rtpengine plays the User Number's greeting to the caller when the
business number answers, and the received A-law audio is decoded and its tone measured.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from trunkline.telephony.domain import audio
from trunkline.telephony.edge import sipp_tools as sipp
from trunkline.telephony.edge.runner import Kamailio, RtpEngine, binaries_missing
from trunkline.telephony.services import (
    business_number_add,
    carrier_create,
    routing_snapshot_publish,
    trunk_create,
    user_number_add,
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
        self.running = False
        self.thread.join()
        self.sock.close()
        alaw = [packet for packet in self.packets if len(packet) > 12 and packet[1] & 0x7F == 8]
        return [audio.alaw_decode(byte) for packet in alaw for byte in packet[12:]]


@pytest.fixture
def clinic(settings, edge_dir, media_edge, db):
    settings.TELEPHONY_DIR = str(edge_dir)
    owner = member(kind="customer", role="admin")
    ctx, staff = ctx_for(owner), ctx_for(member(kind="operator", role="staff"))
    carrier_create(ctx=staff, name="Upstream", addresses=[CARRIER])
    trunk_create(ctx=ctx, name="PBX", addresses=[PBX], calling_numbers=["3592*"])
    user_number = user_number_add(ctx=ctx, number="+35970020001")
    business_number_add(ctx=ctx, user_number_id=user_number.public_id, number="+35928880001", destination=PBX)
    greeting = voice_asset_order(ctx=ctx, kind="greeting", origin="customer", title="Welcome")
    tone = audio.pcm_wav(audio.tone(1000, 1.6, rate=16000), rate=16000)  # converted to 8 kHz A-law on upload
    voice_asset_upload(ctx=ctx, asset_id=greeting.public_id, data=tone, rights_declaration="Recorded by us.")
    voice_asset_pay(ctx=staff, asset_id=greeting.public_id)
    voice_asset_acknowledge(ctx=staff, asset_id=greeting.public_id)
    user_number_set_media(ctx=ctx, user_number_id=user_number.public_id, greeting_id=greeting.public_id, music_id=None)
    routing_snapshot_publish()
    return {"staff": staff, "greeting": greeting, "workdir": edge_dir / "sipp"}


def call_and_listen(workdir: Path) -> list[int]:
    listener = Listener(LISTENER)
    answering = sipp.uas(PBX, "uas_183_200.xml", workdir=workdir)
    result = sipp.uac(
        f"{EDGE}:5060",
        CARRIER,
        "uac_media.xml",
        workdir=workdir,
        service="35970020001",
        keys={"anum": "35988000111", "rtp_ip": LISTENER, "rtp_port": str(listener.port)},
        hold_ms=2200,
    )
    samples = listener.close()
    assert result.ok, result.output[-2000:]
    assert answering.wait(20) == 0
    return samples


@pytest.mark.rule("PT-20")
def test_the_greeting_plays_to_the_caller_when_the_business_number_answers(clinic):
    """The caller receives about 1.6 s of A-law audio from rtpengine, and its tone is the greeting's 1000 Hz."""
    samples = call_and_listen(clinic["workdir"])
    assert len(samples) >= 8000  # at least one second of the greeting
    assert abs(audio.dominant_frequency(samples) - 1000) <= 10


@pytest.mark.rule("PT-20")
def test_after_a_rights_claim_the_next_call_plays_nothing(clinic, django_capture_on_commit_callbacks):
    """Once the operator records a rights claim, the next call's caller hears no greeting."""
    with django_capture_on_commit_callbacks(execute=True):
        voice_asset_claim_rights(ctx=clinic["staff"], asset_id=clinic["greeting"].public_id, reason="Claim")
    assert call_and_listen(clinic["workdir"]) == []
