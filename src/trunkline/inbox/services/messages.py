"""Conversations and messages: the inbound path, replies through the outbox, notes, assignment (PT-8.10, PT-8.13)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.channels.adapters import adapter_for
from trunkline.channels.adapters.base import InboundMessage, WebhookRequest
from trunkline.channels.attachments import inbound_attachments
from trunkline.channels.domain import segments as sms_segments
from trunkline.channels.domain import status as statuses
from trunkline.channels.models import Channel, ChannelKind, InboundEvent
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.inbox import policy
from trunkline.inbox.domain import keywords
from trunkline.inbox.errors import (
    EmptyMessageError,
    MessageTooLongError,
    NoPhoneError,
    OptedOutError,
    SenderIdentificationMissingError,
)
from trunkline.inbox.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Delivery,
    Direction,
    Message,
    MessageKind,
)
from trunkline.inbox.services.contacts import consent_opt_in, consent_opt_out, contact_for_phone, opted_out_at
from trunkline.inbox.services.events import conversation_event, message_event
from trunkline.inbox.services.outbox import delivery_status_apply

logger = logging.getLogger(__name__)
PROVIDER_KEYWORDS = {"STOP": keywords.OPT_OUT, "START": keywords.OPT_IN, "HELP": keywords.HELP}


@dataclass(frozen=True)
class PreparedText:
    body: str
    encoding: str
    segments: int


def outbound_text(*, channel: Channel, body: str, is_promotional: bool, one_time: bool = False) -> PreparedText:
    """The text as it will be sent: a promotional SMS carries the sender's identification (PT-8.10) and, unless it is
    a pre-approved one-time message, how to opt out (PT-8.13). Refused without identification."""
    body = body.strip()
    if not body:
        raise EmptyMessageError(fields={"body": [str(_("Write a message first."))]})
    if is_promotional:
        if not (channel.identification_name and channel.identification_contact):
            raise SenderIdentificationMissingError(
                channel=channel.name, fields={"body": [str(_("The channel has no sender identification."))]}
            )
        footer = [channel.identification]
        if not one_time:
            with translation.override(channel.organization.language or "en"):  # the recipients' language
                footer.append(_("STOP to opt out"))
        if channel.append_identification:
            if channel.identification_name not in body or channel.identification_contact not in body:
                body = f"{body}\n{'. '.join(footer)}"
        elif channel.identification_name not in body or channel.identification_contact not in body:
            raise SenderIdentificationMissingError(
                channel=channel.name, fields={"body": [str(_("Include your name and contact in the text."))]}
            )
    if len(body) > policy.max_body_characters():
        raise MessageTooLongError(
            limit=policy.max_body_characters(), fields={"body": [str(_("The text is too long."))]}
        )
    counted = sms_segments.count(body)
    return PreparedText(body=body, encoding=counted.encoding, segments=counted.segments)


def _touch(conversation: Conversation, message: Message, *, inbound: bool) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=message.created_at,
        last_message_preview=message.body[:160],
        unread_count=F("unread_count") + 1 if inbound else 0,
        status=ConversationStatus.OPEN if inbound else F("status"),
        updated_at=message.created_at,
    )


def _outbound(
    *,
    conversation: Conversation,
    text: PreparedText,
    kind: str,
    author: Any,
    is_promotional: bool,
    idempotency_key: str,
    at: datetime,
) -> Message:
    if not conversation.contact.phone:
        raise NoPhoneError()
    message = Message.objects.create(
        organization_id=conversation.organization_id,
        conversation=conversation,
        channel=conversation.channel,
        direction=Direction.OUTBOUND,
        kind=kind,
        body=text.body,
        author=author,
        status=statuses.PENDING,
        encoding=text.encoding,
        segments=text.segments,
        is_promotional=is_promotional,
        created_at=at,
    )
    Message.objects.filter(pk=message.pk).update(created_at=at)
    message.created_at = at
    delivery = Delivery.objects.create(
        organization_id=conversation.organization_id,
        channel=conversation.channel,
        message=message,
        idempotency_key=idempotency_key or f"message:{message.public_id}",
        to=conversation.contact.phone,
        body=text.body,
        segments=text.segments,
    )
    _touch(conversation, message, inbound=False)
    from trunkline.inbox.tasks import delivery_send_task

    transaction.on_commit(partial(delivery_send_task.enqueue, delivery_id=delivery.pk))
    transaction.on_commit(partial(message_event, message_id=message.pk, event="message.created"))
    return message


def conversation_reply(
    *,
    ctx: RequestContext,
    conversation_id: UUID,
    body: str,
    is_promotional: bool = False,
    one_time: bool = False,
    idempotency_key: str = "",
    at: datetime | None = None,
) -> Message:
    """An agent's reply, queued in the outbox. The same ``idempotency_key`` never makes a second message."""
    require_scope(ctx, "inbox:reply")
    at = at or clock.now()
    key = f"reply:{idempotency_key}" if idempotency_key else ""
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .select_related("channel", "contact")
            .get_for_org(ctx.organization, public_id=conversation_id)
        )
        if key:
            earlier = Delivery.objects.filter(organization=ctx.organization, idempotency_key=key).first()
            if earlier is not None and earlier.message is not None:
                return earlier.message
        if is_promotional:
            since = opted_out_at(contact=conversation.contact, channel=conversation.channel)
            if since is not None:
                raise OptedOutError(contact=str(conversation.contact), at=since.isoformat(timespec="minutes"))
        if conversation.channel.kind == ChannelKind.EMAIL:
            from trunkline.inbox.services.email import email_outbound

            message = email_outbound(
                conversation=conversation,
                body=body,
                kind=MessageKind.MESSAGE,
                author=ctx.user,
                is_promotional=is_promotional,
                idempotency_key=key,
                at=at,
            )
            audit_record(ctx=ctx, action="message.sent", target=message, changes={"email": True}, at=at)
            return message
        text = outbound_text(channel=conversation.channel, body=body, is_promotional=is_promotional, one_time=one_time)
        message = _outbound(
            conversation=conversation,
            text=text,
            kind=MessageKind.MESSAGE,
            author=ctx.user,
            is_promotional=is_promotional,
            idempotency_key=key,
            at=at,
        )
        audit_record(ctx=ctx, action="message.sent", target=message, changes={"segments": text.segments}, at=at)
    return message


def conversation_note(*, ctx: RequestContext, conversation_id: UUID, body: str, at: datetime | None = None) -> Message:
    """An internal note: seen by agents only, never sent."""
    require_scope(ctx, "inbox:reply")
    at = at or clock.now()
    if not body.strip():
        raise EmptyMessageError(fields={"body": [str(_("Write a message first."))]})
    with transaction.atomic():
        conversation = Conversation.objects.get_for_org(ctx.organization, public_id=conversation_id)
        message = Message.objects.create(
            organization=ctx.organization,
            conversation=conversation,
            channel_id=conversation.channel_id,
            direction=Direction.OUTBOUND,
            kind=MessageKind.NOTE,
            body=body.strip(),
            author=ctx.user,
            status=statuses.UNKNOWN,
        )
        audit_record(ctx=ctx, action="conversation.note_added", target=conversation, at=at)
        transaction.on_commit(partial(message_event, message_id=message.pk, event="message.created"))
    return message


def conversation_update(
    *,
    ctx: RequestContext,
    conversation_id: UUID,
    status: str | None = None,
    assignee_id: UUID | None = None,
    unassign: bool = False,
    labels: list[str] | None = None,
    priority: str | None = None,
    team: str | None = None,
) -> Conversation:
    """Change status, assignee, labels, priority or team; the change is audited and pushed."""
    from trunkline.tenancy.models import Membership

    require_scope(ctx, "inbox:reply")
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get_for_org(ctx.organization, public_id=conversation_id)
        changes: dict[str, Any] = {}
        if status is not None and status != conversation.status:
            if status not in ConversationStatus.values:
                from trunkline.core.errors import ValidationFailedError

                raise ValidationFailedError(fields={"status": [f"Use one of {', '.join(ConversationStatus.values)}."]})
            changes["status"] = [conversation.status, status]
            conversation.status = status
        if assignee_id is not None:
            membership = (
                Membership.objects.select_related("user")
                .filter(organization=ctx.organization, public_id=assignee_id)
                .first()
            )
            if membership is None:
                from trunkline.core.errors import ValidationFailedError

                raise ValidationFailedError(fields={"assignee_id": ["Not a member of your organisation."]})
            conversation.assignee = membership.user
            changes["assignee"] = membership.user.email
        if unassign:
            conversation.assignee = None
            changes["assignee"] = None
        if labels is not None:
            conversation.labels = sorted({label.strip() for label in labels if label.strip()})
            changes["labels"] = conversation.labels
        if priority is not None:
            conversation.priority = priority
            changes["priority"] = priority
        if team is not None:
            conversation.team = team
            changes["team"] = team
        conversation.save()
        audit_record(ctx=ctx, action="conversation.updated", target=conversation, changes=changes)
        transaction.on_commit(partial(conversation_event, conversation_id=conversation.pk))
    return conversation


def conversation_mark_read(*, ctx: RequestContext, conversation: Conversation) -> None:
    require_scope(ctx, "inbox:read")
    if conversation.unread_count:
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)


def conversation_open(*, ctx: RequestContext, contact_id: UUID, channel_id: UUID) -> Conversation:
    """The contact's conversation on a channel (the open one, or a new one) to write first."""
    require_scope(ctx, "inbox:reply")
    with transaction.atomic():
        contact = Contact.objects.get_for_org(ctx.organization, public_id=contact_id)
        channel = Channel.objects.get_for_org(ctx.organization, public_id=channel_id)
        conversation = _conversation_for(contact=contact, channel=channel)
    return conversation


def _conversation_for(*, contact: Contact, channel: Channel) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update()
        .filter(contact=contact, channel=channel)
        .exclude(status=ConversationStatus.RESOLVED)
        .order_by("-id")
        .first()
    )
    if conversation is None:
        conversation = Conversation.objects.create(
            organization_id=contact.organization_id, contact=contact, channel=channel
        )
    return conversation


# --- the inbound path --------------------------------------------------------------------------------------------


def inbound_event_process(*, event_id: int, at: datetime | None = None) -> InboundEvent:
    """Turn one stored webhook into a message or a status change. Idempotent: a processed event is left alone."""
    at = at or clock.now()
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().select_related("channel").get(pk=event_id)
        if event.processed_at is not None:
            return event
        channel = event.channel
        if channel.kind == ChannelKind.EMAIL:  # raw RFC 5322 from the IMAP poller or the SMTP receiver
            from trunkline.inbox.services.email import email_event_process

            event.error = email_event_process(event=event, at=at)
            event.processed_at = at
            event.save(update_fields=["processed_at", "error", "updated_at"])
            return event
        adapter = adapter_for(channel)
        parsed = adapter.parse(event.kind, WebhookRequest(urls=(), headers={}, form=event.payload))
        if parsed.message is not None and parsed.message.part is not None:
            whole = _inbound_parts_join(event=event, adapter=adapter, group=parsed.message.part[0])
            if whole is None:  # the other parts of a concatenated SMS are still on their way
                event.error = "Waiting for the other parts."
                event.save(update_fields=["error", "updated_at"])
                return event
            inbound_message_record(channel=channel, message=whole, at=event.received_at)
        elif parsed.message is not None:
            attachments = getattr(parsed.message, "attachments", None)  # an adapter that parses media itself
            if attachments is None:
                attachments = inbound_attachments(channel.provider, event.payload)
            inbound_message_record(
                channel=channel, message=parsed.message, at=event.received_at, attachments=list(attachments)
            )
        elif parsed.status is not None:
            report = parsed.status
            delivery = delivery_status_apply(
                channel=channel,
                provider_message_id=report.provider_message_id,
                status=report.status,
                raw_status=report.raw_status,
                error_code=report.error_code,
                error_message=report.error_message,
                at=event.received_at,
            )
            if delivery is None and at - event.received_at < policy.status_orphan_after():
                # the callback beat our own commit of the provider id: try again later
                event.error = "No message with this provider id yet."
                event.save(update_fields=["error", "updated_at"])
                return event
            if delivery is None:  # never ours (e.g. sent before the channel was connected here): stop looking
                event.processed_at = at
                event.error = "No message with this provider id."
                event.save(update_fields=["processed_at", "error", "updated_at"])
                return event
        event.processed_at = at
        event.error = ""
        event.save(update_fields=["processed_at", "error", "updated_at"])
    return event


def _inbound_parts_join(*, event: InboundEvent, adapter: Any, group: str) -> InboundMessage | None:
    """All parts of one concatenated SMS (same sender, UDH reference and total) joined in order as one message, or
    None while some are missing. Parts repeated by the SMSC count once; the parts' events are all marked processed.
    Two workers joining at once both build the same message id, so the message's unique key keeps one."""
    siblings = list(
        InboundEvent.objects.filter(channel_id=event.channel_id, processed_at=None, event_key__startswith=f"{group}:")
        .exclude(pk=event.pk)
        .order_by("received_at", "pk")
    )
    parts: dict[int, tuple[InboundEvent, InboundMessage]] = {}
    for item in [event, *siblings]:
        message = adapter.parse(item.kind, WebhookRequest(urls=(), headers={}, form=item.payload)).message
        if message is not None and message.part is not None and message.part[0] == group:
            parts.setdefault(message.part[1], (item, message))
    total = next(iter(parts.values()))[1].part[2]  # type: ignore[index]
    if sorted(parts) != list(range(1, total + 1)):
        return None
    first_event, first = parts[1]
    InboundEvent.objects.filter(pk__in=[item.pk for item in siblings]).update(
        processed_at=clock.now(), error="", updated_at=clock.now()
    )
    return InboundMessage(
        provider_message_id=first_event.event_key[:100],
        sender=first.sender,
        recipient=first.recipient,
        body="".join(parts[number][1].body for number in range(1, total + 1)),
        segments=total,
    )


def inbound_message_record(
    *, channel: Channel, message: Any, at: datetime, attachments: list[dict[str, str]] | None = None
) -> Message | None:
    """Append an inbound SMS (MMS: with its media as attachments) to the contact's conversation; STOP/START/HELP act
    from the moment received."""
    contact = contact_for_phone(organization=channel.organization, phone=message.sender)
    # the contact's lock orders us after a batch recording the same sender (inbox.services.inbound): one open
    # conversation, never two
    Contact.objects.select_for_update().filter(pk=contact.pk).values_list("pk", flat=True).first()
    conversation = _conversation_for(contact=contact, channel=channel)
    try:
        with transaction.atomic():
            counted = sms_segments.count(message.body)
            record = Message.objects.create(
                organization_id=channel.organization_id,
                conversation=conversation,
                channel=channel,
                direction=Direction.INBOUND,
                body=message.body,
                attachments=attachments or [],
                provider_message_id=message.provider_message_id,
                status=statuses.RECEIVED,
                encoding=counted.encoding,
                segments=message.segments or counted.segments,
                sent_at=at,
            )
    except IntegrityError:  # the same provider message again: one message only
        return None
    _touch(conversation, record, inbound=True)
    transaction.on_commit(partial(message_event, message_id=record.pk, event="message.created"))
    keyword = PROVIDER_KEYWORDS.get(message.provider_keyword.upper()) or keywords.keyword_of(message.body)
    source = f"sms:{message.provider_message_id}:{message.body.strip()[:40]}"
    if keyword == keywords.OPT_OUT:
        consent_opt_out(contact=contact, channel=channel, source=source, at=at)
    elif keyword == keywords.OPT_IN:
        consent_opt_in(contact=contact, channel=channel, source=source, at=at)
    elif keyword == keywords.HELP and message.provider_keyword.upper() != "HELP":
        help_text = _("%(identification)s. Reply STOP to opt out, START to opt back in.") % {
            "identification": channel.identification or channel.name
        }
        _outbound(
            conversation=conversation,
            text=PreparedText(help_text, sms_segments.encoding_of(help_text), sms_segments.count(help_text).segments),
            kind=MessageKind.AUTOMATIC,
            author=None,
            is_promotional=False,
            idempotency_key=f"help:{channel.pk}:{message.provider_message_id}",
            at=at,
        )
    return record
