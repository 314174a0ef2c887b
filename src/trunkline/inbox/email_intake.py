"""Inbound email into the inbox: the IMAP pollers and the SMTP receiver (channels) store each message through
``inbound_email_accept``, which keeps it as an inbound event and has it processed by a task once committed."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from django.db import transaction

from trunkline.channels.models import Channel, InboundEvent
from trunkline.channels.services import inbound_email_store


def inbound_email_accept(
    *, channel: Channel, raw: bytes, source: str, mail_from: str = "", rcpt_to: Sequence[str] = (), ref: str = ""
) -> InboundEvent | None:
    """Store the message once (None for a duplicate) and enqueue its processing after the commit."""
    from trunkline.inbox.tasks import inbound_event_process_task

    with transaction.atomic():
        event = inbound_email_store(
            channel=channel, raw=raw, source=source, mail_from=mail_from, rcpt_to=rcpt_to, ref=ref
        )
        if event is not None:
            transaction.on_commit(partial(inbound_event_process_task.enqueue, event_id=event.pk))
    return event
