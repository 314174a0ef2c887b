"""Read every email channel's IMAP mailbox into the inbox: one poller per channel with an IMAP host (IDLE where the
server offers it, polling otherwise; reconnect and resync after any failure). Channels added, changed or disabled are
followed every EMAIL_IMAP_REFRESH_SECONDS; with none it simply waits. SIGTERM or Ctrl-C stops it."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.core.management.base import BaseCommand, CommandParser

from trunkline.channels.email_imap import ImapPoller, ImapSupervisor, imap_channels
from trunkline.inbox.email_intake import inbound_email_accept
from trunkline.inbox.management.commands._stop import StopSignal


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Sync every IMAP channel once, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            stored = async_to_sync(self._once)()
            self.stdout.write(f"{stored} new messages")
            return
        self.stop_signal = StopSignal().install()
        async_to_sync(self._forever)()

    async def _once(self) -> int:
        stored = 0
        for channel in await sync_to_async(imap_channels)():
            poller = ImapPoller(channel=channel, store=inbound_email_accept)
            try:
                stored += await poller.sync_once()
            except Exception as error:  # noqa: BLE001 - one unreachable mailbox does not stop the others
                self.stderr.write(f"channel {channel.public_id}: {error!r}")
        return stored

    async def _forever(self) -> None:
        stop = await self.stop_signal.event()
        count = len(await sync_to_async(imap_channels)())
        self.stdout.write(f"IMAP pollers running for {count} email channel(s) (SIGTERM or Ctrl-C stops them)")
        await ImapSupervisor(store=inbound_email_accept).run(stop)
