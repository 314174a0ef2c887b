"""The edge's media helpers without Kamailio: rtpengine's NG encoding and the actions due later (PT-20)."""

from __future__ import annotations

import socket
import threading

from trunkline.telephony.edge.media import NgClient, Pending, bdecode, bencode


def test_bencode_round_trip():
    """Dictionaries are written with sorted keys, and read back with bytes for strings."""
    encoded = bencode({"command": "unblock media", "call-id": "c1", "repeat": 3, "flags": ["all"]})
    assert encoded == b"d7:call-id2:c17:command13:unblock media5:flagsl3:alle6:repeati3ee"
    assert bdecode(encoded) == {"call-id": b"c1", "command": b"unblock media", "flags": [b"all"], "repeat": 3}


def test_pending_actions_run_once_when_due(tmp_path):
    """An action is handed out only once its moment has come, and only once."""
    pending = Pending(str(tmp_path / "pending"))
    pending.add({"do": "unblock", "call_id": "late"}, due=200.0)
    pending.add({"do": "unblock", "call_id": "early"}, due=100.0)
    assert pending.take_due(now=99.0) == []
    assert pending.take_due(now=150.0) == [{"do": "unblock", "call_id": "early"}]
    assert pending.take_due(now=150.0) == []
    assert pending.take_due(now=250.0) == [{"do": "unblock", "call_id": "late"}]
    assert Pending(str(tmp_path / "missing")).take_due(now=1.0) == []


def test_ng_client_speaks_rtpengine_protocol():
    """A command goes out as '<cookie> <bencoded dict>' and the answer with the same cookie is decoded."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    received: list[bytes] = []

    def answer() -> None:
        data, peer = server.recvfrom(4096)
        received.append(data)
        cookie = data.split(b" ", 1)[0]
        server.sendto(b"other d6:result5:wrongn", peer)  # another command's answer is ignored
        server.sendto(cookie + b" d6:result2:oke", peer)

    thread = threading.Thread(target=answer)
    thread.start()
    try:
        reply = NgClient(f"127.0.0.1:{server.getsockname()[1]}").command("unblock media", **{"call-id": "c1"})
    finally:
        thread.join()
        server.close()
    assert reply == {"result": "ok"}
    assert received[0].split(b" ", 1)[1] == b"d7:call-id2:c17:command13:unblock mediae"
