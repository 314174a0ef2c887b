"""Receive email for the email channels over SMTP (point MX, or a relay's transport, at it): RCPT for a channel's
address or reply+<token>@ its domain, 550 otherwise, 552 over EMAIL_INBOUND_MAX_BYTES; each message is stored as
received and processed by a task. SIGTERM or Ctrl-C stops it."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from trunkline.channels.email_smtp import EmailReceiver, smtp_serve
from trunkline.inbox.email_intake import inbound_email_accept
from trunkline.inbox.management.commands._stop import StopSignal
from trunkline.inbox.services.email import reply_channel_resolve


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.EMAIL_SMTP_RECEIVER_HOST)
        parser.add_argument("--port", type=int, default=settings.EMAIL_SMTP_RECEIVER_PORT)
        parser.add_argument("--hostname", default=settings.EMAIL_SMTP_RECEIVER_HOSTNAME or None)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stop_signal = StopSignal().install()
        async_to_sync(self._serve)(options["host"], options["port"], options["hostname"])

    async def _serve(self, host: str, port: int, hostname: str | None) -> None:
        stop = await self.stop_signal.event()
        receiver = EmailReceiver(
            store=inbound_email_accept, resolve_reply=reply_channel_resolve, manage_connections=True
        )
        server = await smtp_serve(receiver, host=host, port=port, hostname=hostname)
        self.stdout.write(f"Email SMTP receiver listening on {host}:{port} (SIGTERM or Ctrl-C stops it)")
        try:
            await stop.wait()
        finally:
            server.close()
            await server.wait_closed()
