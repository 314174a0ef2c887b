"""Inbound events in batches: one task per channel processes what the webhooks (and the SMPP binds, and the email
receivers) stored, many events per transaction.

Why: one task per event paid its own queue row, claim and about 18 statements — some 18 ms of CPU per inbound SMS.
Here a store site calls ``inbound_processing_request`` after storing; only the first event stored while no request is
pending enqueues ``inbound_events_process_task`` (a conditional UPDATE on the channel), and that task drains the
channel: it clears the request first, then claims batches of unprocessed events in id order until none are left.

In a batch, *plain* text messages (no part of a concatenated SMS, no media, no STOP/START/HELP keyword) are recorded
set-based: their senders' contacts and open conversations looked up (and locked) in one query each, the missing ones
created in bulk, the messages inserted in one statement, each conversation touched once and the events marked in one
UPDATE. Every other event — keywords, parts, MMS, email — goes through the per-event ``inbound_event_process``, in id
order: before it runs, the plain messages claimed ahead of it are recorded, so messages, previews and consent end
exactly as one-by-one processing leaves them. Status reports touch only outbound messages and their deliveries, so
they run per event where they fall without cutting the plain run short.

Concurrency: the claim skips rows another processor holds (``SKIP LOCKED``), so two processors of one channel share
the work; contacts are created with ON CONFLICT DO NOTHING in phone order and then locked in id order, which makes a
second processor wait for the first's conversation instead of opening a second one.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, connections, transaction

from trunkline.channels.adapters import adapter_for
from trunkline.channels.adapters.base import InboundMessage, ParsedEvent, WebhookRequest
from trunkline.channels.attachments import inbound_attachments
from trunkline.channels.domain import segments as sms_segments
from trunkline.channels.domain import status as statuses
from trunkline.channels.models import Channel, ChannelKind, InboundEvent
from trunkline.channels.services import channel_inbound_request, channel_inbound_request_clear
from trunkline.core import clock
from trunkline.inbox import policy, realtime
from trunkline.inbox.domain import keywords
from trunkline.inbox.models import (
    Contact,
    ContactIdentity,
    Conversation,
    ConversationStatus,
    Direction,
    IdentityKind,
    Message,
)
from trunkline.inbox.services.events import message_payload
from trunkline.inbox.services.messages import PROVIDER_KEYWORDS, inbound_event_process
from trunkline.inbox.services.webhooks import webhook_emit_many

logger = logging.getLogger(__name__)
PHONE_MAX_LENGTH = Contact._meta.get_field("phone").max_length or 20
PROVIDER_ID_MAX_LENGTH = Message._meta.get_field("provider_message_id").max_length or 255


def inbound_processing_request(*, channel_id: int, at: datetime | None = None) -> bool:
    """Have the channel's stored inbound events processed: every store site calls this after storing a new event.

    Only the first call while no request is pending enqueues ``inbound_events_process_task`` (after the commit);
    the others cost one UPDATE that matches nothing. True when a task was enqueued."""
    from trunkline.inbox.tasks import inbound_events_process_task

    if not channel_inbound_request(channel_id=channel_id, at=at):
        return False
    transaction.on_commit(partial(inbound_events_process_task.enqueue, channel_id=channel_id))
    return True


def inbound_events_drain(*, channel_id: int, at: datetime | None = None, max_events: int | None = None) -> int:
    """What the task does: clear the channel's request, then process batches until none are left (or ``max_events``
    were claimed). Answers the number of events claimed.

    Clearing first is what strands nothing: an event stored after the clearing requests a new task, and one stored
    before it is committed before this task's first claim. Later claims continue after the last id claimed, so events
    that stay unprocessed (parts waiting for the rest, a status report ahead of its message) are looked at once per
    task, not in a loop.

    After a batch that was not full the task waits ``INBOX_INBOUND_GATHER_SECONDS`` before the next claim, so under a
    steady stream a batch holds what arrived meanwhile rather than the one or two events of the last few
    milliseconds: a batch's own statements cost about as much as tens of messages, and claiming as eagerly as the
    events came made the workers' CPU per message swing by half from run to run (bench/inbox.py)."""
    channel_inbound_request_clear(channel_id=channel_id)
    channel = Channel.objects.get(pk=channel_id)
    limit = policy.inbound_batch_size()
    gather = policy.inbound_gather_seconds()
    after, total = 0, 0
    while max_events is None or total < max_events:
        size = limit if max_events is None else min(limit, max_events - total)
        claimed, last = _batch_process(channel=channel, limit=size, after_id=after, at=at or clock.now())
        total += claimed
        if not claimed:
            break
        after = last
        if claimed < size and gather:
            time.sleep(gather)
    return total


def inbound_events_process(
    *, channel_id: int, limit: int | None = None, after_id: int = 0, at: datetime | None = None
) -> int:
    """Claim up to ``limit`` (default ``INBOX_INBOUND_BATCH``) unprocessed events of the channel after ``after_id``
    in id order and process them in one transaction. Answers the number claimed (0: nothing was waiting)."""
    channel = Channel.objects.get(pk=channel_id)
    claimed, _last = _batch_process(
        channel=channel, limit=limit or policy.inbound_batch_size(), after_id=after_id, at=at or clock.now()
    )
    return claimed


# --- one batch ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plain:
    event: InboundEvent
    message: InboundMessage


def _batch_process(*, channel: Channel, limit: int, after_id: int, at: datetime) -> tuple[int, int]:
    with transaction.atomic():
        events = list(
            InboundEvent.objects.select_for_update(skip_locked=True)
            .filter(channel_id=channel.pk, processed_at__isnull=True, pk__gt=after_id)
            .order_by("pk")[:limit]
        )
        if not events:
            return 0, after_id
        adapter = adapter_for(channel) if channel.kind != ChannelKind.EMAIL else None
        run: list[_Plain] = []
        for event in events:
            parsed = _parse(adapter, event)
            message = parsed.message if parsed is not None else None
            if message is not None and _is_plain(channel, event, message):
                run.append(_Plain(event, message))
                continue
            if parsed is None or message is not None or parsed.status is None:
                # it may add a message or change consent: the plain messages claimed before it go first
                _plain_run_record(channel=channel, run=run, at=at)
                run = []
            _one_process(event=event, at=at)
        _plain_run_record(channel=channel, run=run, at=at)
    return len(events), events[-1].pk


def _parse(adapter: Any, event: InboundEvent) -> ParsedEvent | None:
    """The event as the adapter reads it; None for email (and for what does not parse: the per-event path reports
    that as it always did)."""
    if adapter is None:
        return None
    try:
        return adapter.parse(event.kind, WebhookRequest(urls=(), headers={}, form=event.payload))
    except Exception:  # noqa: BLE001 (a malformed payload is the per-event path's to report)
        return None


def _is_plain(channel: Channel, event: InboundEvent, message: InboundMessage) -> bool:
    """A text message the set-based path records exactly as ``inbound_message_record`` would: whole (not a part),
    without media, not a keyword, with a sender and a provider id that fit their columns."""
    if message.part is not None or not message.sender or len(message.sender) > PHONE_MAX_LENGTH:
        return False
    if len(message.provider_message_id) > PROVIDER_ID_MAX_LENGTH:
        return False
    attachments = getattr(message, "attachments", None)
    if attachments is None:
        attachments = inbound_attachments(channel.provider, event.payload)
    if attachments:
        return False
    return not (PROVIDER_KEYWORDS.get(message.provider_keyword.upper()) or keywords.keyword_of(message.body))


def _one_process(*, event: InboundEvent, at: datetime) -> None:
    """One event through the per-event path, in a savepoint: an event that fails is logged and left unprocessed (the
    minute sweep tries it again), and the rest of the batch goes on."""
    try:
        with transaction.atomic():
            inbound_event_process(event_id=event.pk, at=at)
    except Exception as error:
        logger.exception("inbound event failed", extra={"event": event.pk, "channel": event.channel_id})
        InboundEvent.objects.filter(pk=event.pk).update(
            error=f"{type(error).__name__}: {error}"[:500], updated_at=clock.now()
        )


# --- plain text messages, set-based --------------------------------------------------------------------------------


def _plain_run_record(*, channel: Channel, run: list[_Plain], at: datetime) -> None:
    """Record a run of plain messages as ``inbound_message_record`` would one by one, in a few statements."""
    if not run:
        return
    organization_id = channel.organization_id
    contacts = _contacts_for_phones(organization_id=organization_id, phones={item.message.sender for item in run})
    conversations = _open_conversations_for(channel=channel, contact_ids=sorted(set(contacts.values())))
    seen = set(
        Message.objects.filter(
            channel=channel,
            direction=Direction.INBOUND,
            provider_message_id__in={item.message.provider_message_id for item in run} - {""},
        ).values_list("provider_message_id", flat=True)
    )
    records: list[Message] = []
    for item in run:
        message = item.message
        if message.provider_message_id:
            if message.provider_message_id in seen:  # the same provider message again: one message only
                continue
            seen.add(message.provider_message_id)
        counted = sms_segments.count(message.body)
        records.append(
            Message(
                organization_id=organization_id,
                conversation=conversations[contacts[message.sender]],
                channel=channel,
                direction=Direction.INBOUND,
                body=message.body,
                attachments=[],
                provider_message_id=message.provider_message_id,
                status=statuses.RECEIVED,
                encoding=counted.encoding,
                segments=message.segments or counted.segments,
                sent_at=item.event.received_at,
            )
        )
    records = _messages_insert(records)
    _conversations_touch(records)
    InboundEvent.objects.filter(pk__in=[item.event.pk for item in run]).update(
        processed_at=at, error="", updated_at=clock.now()
    )
    if records:
        transaction.on_commit(partial(_messages_announce, organization_id=organization_id, messages=records))


def _contacts_for_phones(*, organization_id: int, phones: set[str]) -> dict[str, int]:
    """Contact id by E.164 number, locked, the missing ones created with their phone identity (``contact_for_phone``
    for many numbers). A concurrent creator of the same number wins the insert; we wait for it and use its row."""
    ordered = sorted(phones)
    locked = Contact.objects.select_for_update().filter(organization_id=organization_id).order_by("pk")
    found = dict(locked.filter(phone__in=ordered).values_list("phone", "pk"))
    missing = [phone for phone in ordered if phone not in found]
    if missing:
        Contact.objects.bulk_create(
            [Contact(organization_id=organization_id, phone=phone, name="") for phone in missing],
            ignore_conflicts=True,
        )
        made = dict(locked.filter(phone__in=missing).values_list("phone", "pk"))
        ContactIdentity.objects.bulk_create(
            [
                ContactIdentity(organization_id=organization_id, contact_id=pk, kind=IdentityKind.PHONE, value=phone)
                for phone, pk in made.items()
            ],
            ignore_conflicts=True,
        )
        found.update(made)
    return found


def _open_conversations_for(*, channel: Channel, contact_ids: list[int]) -> dict[int, Conversation]:
    """Each contact's newest conversation on the channel that is not resolved, locked; missing ones created."""
    found: dict[int, Conversation] = {}
    for conversation in (
        Conversation.objects.select_for_update()
        .filter(organization_id=channel.organization_id, channel=channel, contact_id__in=contact_ids)
        .exclude(status=ConversationStatus.RESOLVED)
        .order_by("-pk")
    ):
        found.setdefault(conversation.contact_id, conversation)
    missing = [pk for pk in contact_ids if pk not in found]
    if missing:
        made = Conversation.objects.bulk_create(
            [Conversation(organization_id=channel.organization_id, contact_id=pk, channel=channel) for pk in missing]
        )
        found.update({conversation.contact_id: conversation for conversation in made})
    return found


def _messages_insert(records: list[Message]) -> list[Message]:
    """One INSERT for all; when a concurrent processor stored one of the provider ids meanwhile, one by one, each
    duplicate skipped as ``inbound_message_record`` skips it."""
    if not records:
        return records
    try:
        with transaction.atomic():
            return Message.objects.bulk_create(records)
    except IntegrityError:
        kept = []
        for record in records:
            record.pk = None
            record._state.adding = True
            try:
                with transaction.atomic():
                    record.save(force_insert=True)
            except IntegrityError:
                continue
            kept.append(record)
        return kept


def _conversations_touch(records: list[Message]) -> None:
    """What ``_touch`` does per inbound message, once per conversation: the newest message's time and preview, the
    unread count up by the messages added, the conversation open again."""
    if not records:
        return
    latest: dict[int, Message] = {}
    added: Counter[int] = Counter()
    for record in records:
        latest[record.conversation_id] = record
        added[record.conversation_id] += 1
    connection = connections[Conversation.objects.db]
    quote = connection.ops.quote_name
    table = quote(Conversation._meta.db_table)
    at_field = Conversation._meta.get_field("last_message_at")
    typed = connection.vendor == "postgresql"
    row = "(%s::bigint, %s::timestamptz, %s::text, %s::integer)" if typed else "(%s, %s, %s, %s)"
    items = list(latest.items())
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        params: list[Any] = []
        for conversation_id, record in chunk:
            params += [
                conversation_id,
                at_field.get_db_prep_value(record.created_at, connection),
                record.body[:160],
                added[conversation_id],
            ]
        values = ", ".join([row] * len(chunk))  # the model's names, quoted; every value is a parameter
        sql = (
            f"WITH touched (conversation_id, message_at, preview, added) AS (VALUES {values}) "  # noqa: S608
            f"UPDATE {table} SET {quote('last_message_at')} = touched.message_at, "
            f"{quote('last_message_preview')} = touched.preview, "
            f"{quote('unread_count')} = {table}.{quote('unread_count')} + touched.added, "
            f"{quote('status')} = %s, {quote('updated_at')} = touched.message_at "
            f"FROM touched WHERE {table}.{quote('id')} = touched.conversation_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, ConversationStatus.OPEN.value])


def _messages_announce(*, organization_id: int, messages: list[Message]) -> None:
    """After the commit: what ``message_event(event="message.created")`` does per message — a push to the agents'
    pages and the customer's webhooks — with the endpoints looked up once for the batch."""
    realtime.push_many(
        organization_id,
        [
            {
                "event": "message.created",
                "conversation": str(message.conversation.public_id),
                "message": str(message.public_id),
            }
            for message in messages
        ],
    )
    webhook_emit_many(
        organization_id=organization_id,
        event="message.created",
        data=(message_payload(message) for message in messages),
    )
