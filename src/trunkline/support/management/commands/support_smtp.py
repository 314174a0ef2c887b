"""Receive support email over SMTP: every message becomes a ticket or a reply, or gets a polite refusal."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trunkline.support.smtp import support_smtp_controller


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument(
            "--address",
            action="append",
            dest="addresses",
            help="Accept mail only for this address (repeatable); default SUPPORT_EMAIL_ADDRESSES or any.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        controller = support_smtp_controller(
            hostname=options["host"], port=options["port"], addresses=options["addresses"]
        )
        controller.start()
        self.stdout.write(f"Support SMTP listening on {options['host']}:{options['port']} (Ctrl-C stops it)")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
