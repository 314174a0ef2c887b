"""Inbound email over SMTP (aiosmtpd): the receiver an operator points MX (or a relay's transport) at.

RCPT TO is accepted for an active email channel's address, or for ``reply+<token>@`` its domain, and refused with
550 otherwise; a message over ``EMAIL_INBOUND_MAX_BYTES`` is refused with 552. DATA is stored exactly as received
through ``services.inbound_email_store`` (one event per channel addressed), so malformed mail is kept as it came, never
crashes the receiver and never holds up the next message. When the database cannot take it the answer is 451 and
the sending server tries again later: nothing is lost and nothing is acknowledged that was not stored.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
from collections.abc import Callable, Sequence
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections

from trunkline.channels import email_policy
from trunkline.channels.domain.email import address_split
from trunkline.channels.email_imap import StoreFunction
from trunkline.channels.models import Channel, ChannelKind, ChannelStatus, InboundEvent
from trunkline.channels.services import inbound_email_store

logger = logging.getLogger(__name__)
REPLY_PREFIX = "reply+"
ReplyResolver = Callable[[str, Sequence[Channel]], Channel | None]


def channel_for_address(address: str, *, resolve_reply: ReplyResolver | None = None) -> Channel | None:
    """The one active email channel this recipient belongs to, or None.

    ``support@x`` matches the channel whose address it is; ``reply+<token>@x`` matches the channel of domain ``x``.
    When several channels could own it, ``resolve_reply`` (the inbox, which knows its tokens) picks one; without it
    the address is refused rather than guessed — mail must never reach another organisation's inbox."""
    local, domain = address_split(address)
    if not domain:
        return None
    active = Channel.objects.filter(kind=ChannelKind.EMAIL, status=ChannelStatus.ACTIVE)
    exact = list(active.filter(sender__iexact=f"{local}@{domain}")[:2])
    if len(exact) == 1:
        return exact[0]
    if exact:
        logger.warning("inbound email address claimed by several channels; refused", extra={"address": address})
        return None
    if not local.lower().startswith(REPLY_PREFIX):
        return None
    candidates = list(active.filter(sender__iendswith=f"@{domain}").order_by("pk")[:50])
    if resolve_reply is not None and candidates:
        return resolve_reply(local[len(REPLY_PREFIX) :], candidates)
    return candidates[0] if len(candidates) == 1 else None


class EmailReceiver:
    """The aiosmtpd handler: RCPT checks the address, DATA stores the message for each channel addressed."""

    def __init__(
        self,
        *,
        store: StoreFunction = inbound_email_store,
        on_stored: Callable[[InboundEvent | None], object] | None = None,
        resolve_reply: ReplyResolver | None = None,
        manage_connections: bool = False,
    ) -> None:
        self.store = store
        self.on_stored = on_stored
        self.resolve_reply = resolve_reply
        self.manage_connections = manage_connections
        self._sequence = itertools.count(1)
        self._prefix = f"{os.getpid():x}"

    def _lookup(self, address: str) -> int | None:
        if self.manage_connections:
            close_old_connections()
        channel = channel_for_address(address, resolve_reply=self.resolve_reply)
        return channel.pk if channel is not None else None

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            channel_id = await sync_to_async(self._lookup)(address)
        except DatabaseError:
            logger.exception("inbound smtp: cannot look up a recipient")
            return "451 4.3.0 Temporary failure, please try again later"
        if channel_id is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        routes: dict[str, int] = envelope.__dict__.setdefault("trunkline_channels", {})
        routes[address] = channel_id
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    def _store(self, envelope: Envelope, ref: str) -> list[InboundEvent | None]:
        if self.manage_connections:
            close_old_connections()
        raw = envelope.original_content or b""
        if isinstance(raw, str):  # only with decode_data, which the receiver never sets
            raw = raw.encode("utf-8", "surrogateescape")
        routes: dict[str, int] = envelope.__dict__.get("trunkline_channels", {})
        by_channel: dict[int, list[str]] = {}
        for address in envelope.rcpt_tos:
            by_channel.setdefault(routes[address], []).append(address)
        events = []
        for channel_id, recipients in by_channel.items():
            channel = Channel.objects.get(pk=channel_id)
            events.append(
                self.store(
                    channel=channel,
                    raw=raw,
                    source="smtp",
                    mail_from=envelope.mail_from or "",
                    rcpt_to=recipients,
                    ref=ref,
                )
            )
        return events

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        ref = f"smtp:{self._prefix}.{next(self._sequence)}"
        try:
            events = await sync_to_async(self._store)(envelope, ref)
        except DatabaseError:
            logger.exception("inbound smtp: the message could not be stored; the sender will retry", extra={"ref": ref})
            return "451 4.3.0 Temporary failure, please try again later"
        except Exception:  # never crash the receiver: the sender keeps the message and retries
            logger.exception("inbound smtp: the message could not be stored", extra={"ref": ref})
            return "451 4.3.0 Temporary failure, please try again later"
        for event in events:
            if self.on_stored is not None:
                self.on_stored(event)
        logger.info(
            "inbound smtp message stored",
            extra={"ref": ref, "channels": len(events), "duplicates": sum(1 for e in events if e is None)},
        )
        return f"250 2.0.0 OK: queued as {ref.removeprefix('smtp:')}"


def smtp_factory(handler: EmailReceiver, *, hostname: str | None = None) -> Callable[[], SMTP]:
    """A protocol factory for ``loop.create_server``: SIZE advertised, 552 above the size policy, SMTPUTF8 on."""
    limit = email_policy.inbound_max_bytes()
    hostname = hostname or socket.getfqdn()  # once, not per connection (it may ask DNS)

    def factory() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="Trunkline ESMTP",
        )

    return factory


async def smtp_serve(handler: EmailReceiver, *, host: str, port: int, hostname: str | None = None) -> Any:
    """Start listening (answers the ``asyncio.Server``; close it to stop)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(smtp_factory(handler, hostname=hostname), host=host, port=port)
