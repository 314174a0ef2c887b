"""A local stand-in for the relay an email channel sends through: a real SMTP server (aiosmtpd) that accepts every
message, answers ``250 2.0.0 Ok: queued as <id>`` as Postfix does, and keeps what it was given — in memory for
tests, and as ``.eml`` files when given a folder — so the demo's replies have somewhere real to go.

Run it alone: ``python -m trunkline.channels.standins.smtp --port 2525 --folder var/mail-standin``.
"""

from __future__ import annotations

import argparse
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Accepted:
    queue_id: str
    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes


@dataclass
class RelayStandIn:
    folder: Path | None = None
    accepted: list[Accepted] = field(default_factory=list)
    _controller: Controller | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # aiosmtpd hook name
        queue_id = secrets.token_hex(5).upper()
        content: Any = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else str(content).encode()
        accepted = Accepted(queue_id, envelope.mail_from or "", tuple(envelope.rcpt_tos), data)
        self.accepted.append(accepted)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{time.strftime('%Y%m%dT%H%M%S')}-{queue_id}.eml").write_bytes(data)
        return f"250 2.0.0 Ok: queued as {queue_id}"

    def start(self, port: int = 0, host: str = "127.0.0.1") -> int:
        """Serve on ``host:port`` (0: a free port) in a background thread; answers the port."""
        self._controller = Controller(self, hostname=host, port=port or _free_port(host))
        self._controller.start()
        return int(self._controller.port)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def main() -> None:  # pragma: no cover - a manual tool
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--folder", default="var/mail-standin")
    args = parser.parse_args()
    relay = RelayStandIn(folder=Path(args.folder))
    port = relay.start(args.port)
    print(f"SMTP relay stand-in on 127.0.0.1:{port}, keeping mail in {args.folder}/")  # noqa: T201
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        relay.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
