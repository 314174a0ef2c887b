"""Run the PBX's SIP edge beside the platform: publish the routing snapshot, start rtpengine and Kamailio (when
installed) on loopback, and ingest the edge's call events every second until stopped. Without Kamailio it says how
to install it and only ingests, so the rest of the platform runs regardless."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from trunkline.core import clock
from trunkline.telephony.edge.runner import Kamailio, RtpEngine, binaries_missing
from trunkline.telephony.paths import snapshot_path, spool_dir, telephony_dir
from trunkline.telephony.services import routing_snapshot_publish, spool_ingest


class Command(BaseCommand):
    help = "Run the SIP edge (Kamailio + rtpengine when installed) and ingest its call events."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--address", default=os.environ.get("TRUNKLINE_SIP_ADDRESS", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("TRUNKLINE_SIP_PORT", "5060")))
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between spool reads.")
        parser.add_argument("--once", action="store_true", help="Ingest the spool once and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(f"{spool_ingest()} new call events")
            return
        routing_snapshot_publish()
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        kamailio: Kamailio | None = None
        rtpengine: RtpEngine | None = None
        missing = binaries_missing("kamailio")
        if missing:
            self.stdout.write(
                "Kamailio is not installed: the PBX's SIP edge is off (the rest of the platform runs). "
                "Install it with: sudo bin/telephony-setup"
            )
        else:
            run = telephony_dir() / "run"
            if not binaries_missing("rtpengine"):
                rtpengine = RtpEngine(rundir=run).start()
            kamailio = Kamailio(
                rundir=run,
                routing=snapshot_path(),
                spool=spool_dir(),
                address=options["address"],
                port=options["port"],
                rtpengine=f"{rtpengine.interface}:{rtpengine.ng_port}" if rtpengine else "",
            ).start()
            self.stdout.write(
                f"SIP edge on udp:{options['address']}:{options['port']} (Kamailio pid {kamailio.process.pid}"  # type: ignore[union-attr]
                + (", rtpengine" if rtpengine else "")
                + ")"
            )
        published_on = clock.now().date()
        try:
            while not stopping:
                spool_ingest()
                if clock.now().date() != published_on:  # the holidays the edge knows start from the publishing day
                    routing_snapshot_publish()
                    published_on = clock.now().date()
                time.sleep(options["interval"])
        finally:
            if kamailio is not None:
                kamailio.stop()
            if rtpengine is not None:
                rtpengine.stop()
