"""Inbound email into the inbox: the IMAP pollers and the SMTP receiver (channels) store each message through
``inbound_email_accept``, which keeps it as an inbound event and has the channel's events processed by a task once
committed."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from trunkline.channels.models import Channel, InboundEvent
from trunkline.channels.services import inbound_email_store


def inbound_email_accept(
    *, channel: Channel, raw: bytes, source: str, mail_from: str = "", rcpt_to: Sequence[str] = (), ref: str = ""
) -> InboundEvent | None:
    """Store the message once (None for a duplicate) and have the channel's events processed after the commit."""
    from trunkline.inbox.services.inbound import inbound_processing_request

    with transaction.atomic():
        event = inbound_email_store(
            channel=channel, raw=raw, source=source, mail_from=mail_from, rcpt_to=rcpt_to, ref=ref
        )
        if event is not None:
            inbound_processing_request(channel_id=channel.pk)
    return event
