"""Inbound SMTP for the support address: each message accepted is handed to ``ticket_from_email``.

Run by ``manage.py support_smtp`` (one process; put it behind the MTA or expose it on port 25 of a mail host)."""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from trunkline.support.services.email import EmailIntakeResult, ticket_from_email

logger = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 25 * 1024 * 1024


def _store(content: bytes) -> EmailIntakeResult:
    """Store one message; the SMTP server's worker thread keeps no database connection between messages."""
    try:
        return ticket_from_email(content)
    finally:
        connections.close_all()


class SupportMailHandler:
    """aiosmtpd handler: accept mail for the support address only, then store it as a ticket, a reply, or a
    refusal (with its polite automatic answer)."""

    def __init__(self, addresses: list[str] | None = None) -> None:
        configured = addresses if addresses is not None else getattr(settings, "SUPPORT_EMAIL_ADDRESSES", [])
        self.addresses = {address.lower() for address in configured}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if self.addresses and address.lower() not in self.addresses:
            return "550 5.1.1 Not a support address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        try:
            result = await sync_to_async(_store, thread_sensitive=True)(content)
        except Exception:  # a message we cannot store is refused temporarily, so the sender's server retries
            logger.exception("support mail could not be stored")
            return "451 4.3.0 Temporary failure, try again later"
        logger.info("support mail", extra={"outcome": result.outcome, "sender": result.sender})
        return "250 OK"


def support_smtp_controller(*, hostname: str, port: int, addresses: list[str] | None = None) -> Controller:
    return Controller(
        SupportMailHandler(addresses),
        hostname=hostname,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        decode_data=False,
    )
