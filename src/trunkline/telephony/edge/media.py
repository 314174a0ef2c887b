"""Media control the edge needs beyond offer/answer (standard library only: loaded by Kamailio's embedded Python).

rtpengine's player cannot say "unblock the business number once the greeting has played", so the reply route that
starts the greeting also schedules the unblock: one small file per pending action in a directory, named by the moment
it is due. Kamailio's ``rtimer`` process calls the router every 100 ms, which runs what is due. That process has no
SIP message to hand rtpengine's module, so it speaks rtpengine's NG protocol (bencode over UDP) itself.
"""

from __future__ import annotations

import json
import os
import random
import socket
import time


def bencode(value: object) -> bytes:
    if isinstance(value, bytes):
        return str(len(value)).encode() + b":" + value
    if isinstance(value, str):
        return bencode(value.encode())
    if isinstance(value, bool):
        return bencode(int(value))
    if isinstance(value, int):
        return b"i" + str(value).encode() + b"e"
    if isinstance(value, list):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(bencode(key) + bencode(value[key]) for key in sorted(value)) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def _decode(data: bytes, index: int) -> tuple[object, int]:
    marker = data[index : index + 1]
    if marker == b"i":
        end = data.index(b"e", index)
        return int(data[index + 1 : end]), end + 1
    if marker == b"l":
        items, index = [], index + 1
        while data[index : index + 1] != b"e":
            item, index = _decode(data, index)
            items.append(item)
        return items, index + 1
    if marker == b"d":
        out, index = {}, index + 1
        while data[index : index + 1] != b"e":
            key, index = _decode(data, index)
            out[key.decode() if isinstance(key, bytes) else str(key)], index = _decode(data, index)
        return out, index + 1
    colon = data.index(b":", index)
    length = int(data[index:colon])
    return data[colon + 1 : colon + 1 + length], colon + 1 + length


def bdecode(data: bytes) -> object:
    return _decode(data, 0)[0]


class NgClient:
    """rtpengine's control protocol: ``<cookie> <bencoded dict>`` over UDP, answered with the same cookie."""

    def __init__(self, address: str, *, timeout: float = 0.5) -> None:
        host, _sep, port = address.rpartition(":")
        self.address = (host or "127.0.0.1", int(port))
        self.timeout = timeout

    def command(self, name: str, **fields: object) -> dict:
        cookie = f"{os.getpid()}_{random.randint(0, 1 << 30)}".encode()  # noqa: S311 - a cookie, not a secret
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(self.timeout)
        try:
            sock.sendto(cookie + b" " + bencode(dict(fields, command=name)), self.address)
            while True:
                data = sock.recv(65535)
                head, _sep, body = data.partition(b" ")
                if head == cookie:
                    answer = bdecode(body)
                    if not isinstance(answer, dict):
                        raise ValueError("rtpengine answered with something other than a dictionary")
                    return {
                        key: (value.decode() if isinstance(value, bytes) else value) for key, value in answer.items()
                    }
        finally:
            sock.close()


class Pending:
    """Actions due later, as files ``<due ms>-<pid>-<n>.json`` in ``directory``; a rename claims one, so two
    processes never run it twice."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.count = 0

    def add(self, action: dict, *, due: float) -> None:
        os.makedirs(self.directory, exist_ok=True)
        self.count += 1
        name = f"{int(due * 1000):015d}-{os.getpid()}-{self.count}.json"
        temporary = os.path.join(self.directory, "." + name)
        with open(temporary, "w", encoding="utf-8") as stream:
            json.dump(action, stream)
        os.replace(temporary, os.path.join(self.directory, name))

    def take_due(self, *, now: float | None = None) -> list[dict]:
        """The actions due by ``now``, each removed from the directory."""
        limit = int((time.time() if now is None else now) * 1000)
        try:
            names = sorted(name for name in os.listdir(self.directory) if name.endswith(".json") and name[0] != ".")
        except OSError:
            return []
        out = []
        for name in names:
            if int(name.split("-", 1)[0]) > limit:
                break
            path = os.path.join(self.directory, name)
            claimed = path + ".run"
            try:
                os.rename(path, claimed)
                with open(claimed, encoding="utf-8") as stream:
                    out.append(json.load(stream))
                os.unlink(claimed)
            except (OSError, ValueError):
                continue
        return out
