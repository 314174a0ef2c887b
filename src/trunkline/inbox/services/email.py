"""Email in the inbox (PT-10.2, PT-10.8): received mail threaded into conversations, delivery status notifications
applied to the original delivery, automatic replies kept quiet, replies composed with threading headers, and the
one-click unsubscribe.

An email arrives as an ``InboundEvent`` (kind ``message``) whose payload carries the raw RFC 5322 bytes in base64
(``source``: imap or smtp, ``mail_from``, ``rcpt_to``, ``ref``). ``email_event_process`` turns it into a message;
it never raises for a malformed mail: what cannot be read is noted on the message, and the events after it go on.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from trunkline.channels.domain import status as statuses
from trunkline.channels.domain.mail import compose as mail_compose
from trunkline.channels.domain.mail.parse import Address, Attachment, Limits, Note, ParsedMail, parse_mail
from trunkline.channels.domain.mail.reports import AutoReply
from trunkline.channels.models import Channel, InboundEvent
from trunkline.core import clock
from trunkline.inbox import policy
from trunkline.inbox.errors import (
    EmptyMessageError,
    NoEmailError,
    SenderIdentificationMissingError,
    UnsubscribeLinkError,
)
from trunkline.inbox.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Delivery,
    Direction,
    Message,
    MessageAttachment,
    MessageKind,
    UsageRecord,
)
from trunkline.inbox.services.contacts import consent_opt_out, contact_email, contact_for_email
from trunkline.inbox.services.events import message_event
from trunkline.inbox.services.outbox import delivery_status_apply

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "trunkline.inbox.unsubscribe"


# --- metering --------------------------------------------------------------------------------------------------------


def usage_received_add(*, channel: Channel, day: date, count: int = 1) -> None:
    """Meter received messages per organisation, channel and day (sent ones are metered by the outbox)."""
    if UsageRecord.objects.filter(channel=channel, day=day).update(received=F("received") + count):
        return
    try:
        with transaction.atomic():
            UsageRecord.objects.create(
                organization_id=channel.organization_id, channel=channel, day=day, received=count
            )
    except IntegrityError:
        UsageRecord.objects.filter(channel=channel, day=day).update(received=F("received") + count)


# --- receiving -------------------------------------------------------------------------------------------------------


def reply_channel_resolve(token: str, candidates: Sequence[Channel]) -> Channel | None:
    """For the SMTP receiver (``resolve_reply``): which of several channels of one domain owns ``reply+<token>@``
    — the one with a conversation holding that token; None when none does (the mail is refused, never guessed)."""
    conversation = (
        Conversation.objects.filter(channel__in=list(candidates), reply_token=token.lower())
        .select_related("channel")
        .first()
    )
    return conversation.channel if conversation is not None else None


def _limits() -> Limits:
    return Limits(
        max_attachment_bytes=policy.email_max_attachment_bytes(), max_attachments=policy.email_max_attachments()
    )


def _raw_of(payload: dict[str, Any], notes: list[Note]) -> bytes:
    try:
        return base64.b64decode(str(payload.get("raw", "")), validate=False)
    except (binascii.Error, ValueError):
        notes.append(Note("raw_unreadable"))
        return b""


def _unreadable(raw: bytes, error: Exception) -> ParsedMail:
    """What is left of a mail the parser could not read at all: its bytes as text, and a note."""
    return ParsedMail(
        message_id="",
        in_reply_to=(),
        references=(),
        subject="",
        sender=Address("", ""),
        to=(),
        cc=(),
        reply_to=(),
        date=None,
        text=raw.decode("utf-8", errors="replace")[:100_000],
        html="",
        attachments=(),
        notes=(Note("unparseable", {"error": type(error).__name__}),),
        auto_reply=AutoReply(False, ""),
        report=None,
    )


def email_event_process(*, event: InboundEvent, at: datetime) -> str:
    """Process one received email event (the caller holds the event's row lock and marks it processed).
    Answers an error text to keep on the event ("" when all went well)."""
    notes: list[Note] = []
    raw = _raw_of(event.payload, notes)
    try:
        mail = parse_mail(raw, limits=_limits())
    except Exception as error:
        logger.exception("email parse failed", extra={"event": event.pk})
        mail = _unreadable(raw, error)
    if mail.report is not None:
        try:
            with transaction.atomic():
                return _report_apply(channel=event.channel, mail=mail, at=event.received_at)
        except Exception as error:  # a report we cannot apply must not block the events after it
            logger.exception("delivery report failed", extra={"event": event.pk})
            return f"Delivery report not applied: {type(error).__name__}"[:500]
    try:
        with transaction.atomic():
            _message_record(event=event, mail=mail, extra_notes=notes)
    except Exception as error:
        logger.exception("email processing failed", extra={"event": event.pk})
        fallback = _unreadable(raw, error)
        with transaction.atomic():
            _message_record(event=event, mail=fallback, extra_notes=notes, keep_attachments=False)
        return f"Stored without its parts: {type(error).__name__}"[:500]
    return ""


def _report_apply(*, channel: Channel, mail: ParsedMail, at: datetime) -> str:
    """A delivery status notification moves the original delivery's status (forward only); it is not a message."""
    report = mail.report
    assert report is not None
    primary = report.primary
    original = report.original_message_id
    if primary is None or not original:
        return "Delivery report without the original Message-ID."
    delivery = (
        Delivery.objects.filter(channel=channel)
        .filter(Q(provider_message_id=original) | Q(message__email_message_id=original))
        .order_by("-id")
        .first()
    )
    if delivery is None:
        return f"Delivery report for a message we did not send: {original}"[:500]
    if not delivery.provider_message_id:
        return "Delivery report before the send was recorded."
    delivery_status_apply(
        channel=channel,
        provider_message_id=delivery.provider_message_id,
        status=primary.status,
        raw_status=f"dsn {primary.action} {primary.status_code}".strip(),
        error_code=primary.status_code,
        error_message=primary.diagnostic or f"{primary.action} {primary.status_code}",
        at=at,
    )
    return ""


def _thread_conversation(
    *, channel: Channel, contact: Contact, mail: ParsedMail, rcpt_to: list[str]
) -> Conversation | None:
    """The conversation this mail answers: by In-Reply-To / References against stored Message-IDs (ours and theirs,
    and provider ids where a relay rewrote ours), scoped to the sender; then the ``reply+<token>@`` address; then a
    ``[#token]`` in the subject."""
    ids = list(mail.thread_ids)
    if ids:
        earlier = (
            Message.objects.filter(organization_id=channel.organization_id, channel=channel)
            .filter(Q(email_message_id__in=ids) | Q(provider_message_id__in=ids))
            .filter(conversation__contact=contact)
            .values_list("conversation_id", "email_message_id", "provider_message_id")
        )
        by_id: dict[str, int] = {}
        for conversation_id, email_id, provider_id in earlier:
            by_id.setdefault(email_id, conversation_id)
            by_id.setdefault(provider_id, conversation_id)
        for candidate in ids:  # nearest first
            if candidate in by_id:
                return Conversation.objects.select_for_update().get(pk=by_id[candidate])
    recipients = [*rcpt_to, *(a.address for a in mail.to), *(a.address for a in mail.cc)]
    token = mail_compose.reply_token_of(recipients) or mail_compose.subject_token_of(mail.subject)
    if token:
        conversation = (
            Conversation.objects.select_for_update()
            .filter(organization_id=channel.organization_id, channel=channel, reply_token=token)
            .first()
        )
        if conversation is not None:
            return conversation
    return None


def _store_attachment(*, message: Message, attachment: Attachment, notes: list[Note]) -> None:
    scanner_path = policy.attachment_scanner()
    if scanner_path:
        scan: Callable[..., str | None] = import_string(scanner_path)
        reason = scan(filename=attachment.filename, content_type=attachment.content_type, data=attachment.data)
        if reason:
            notes.append(Note("attachment_rejected", {"filename": attachment.filename, "reason": str(reason)[:200]}))
            return
    stored = MessageAttachment(
        organization_id=message.organization_id,
        message=message,
        filename=attachment.filename[:200],
        content_type=attachment.content_type[:100],
        size=attachment.size,
        content_id=attachment.content_id[:255],
        is_inline=attachment.inline,
    )
    stored.file.save("attachment", ContentFile(attachment.data), save=False)
    stored.save()


def _preview(mail: ParsedMail, body: str) -> str:
    text = " ".join(body.split())
    return (f"{mail.subject} — {text}" if mail.subject else text)[:160]


def _message_record(
    *, event: InboundEvent, mail: ParsedMail, extra_notes: list[Note], keep_attachments: bool = True
) -> Message | None:
    channel = event.channel
    payload = event.payload
    notes = [*extra_notes, *mail.notes]
    address = mail.sender.address or str(payload.get("mail_from", "") or "").strip().lower()
    if not address or "@" not in address:
        notes.append(Note("no_sender"))
        address = "unknown-sender@invalid"
    contact = contact_for_email(organization=channel.organization, email=address, name=mail.sender.name)
    rcpt_to = [str(item) for item in payload.get("rcpt_to", []) or []]
    auto = mail.auto_reply
    if auto.hint_only:
        notes.append(Note("auto_reply_hint"))
    conversation = _thread_conversation(channel=channel, contact=contact, mail=mail, rcpt_to=rcpt_to)
    if conversation is None and auto.is_auto:  # an auto-reply never starts work: it goes beside the last thread
        conversation = (
            Conversation.objects.select_for_update().filter(contact=contact, channel=channel).order_by("-id").first()
        )
    if conversation is None:
        conversation = Conversation.objects.create(
            organization_id=channel.organization_id,
            contact=contact,
            channel=channel,
            status=ConversationStatus.RESOLVED if auto.is_auto else ConversationStatus.OPEN,
        )
    body = mail.text or ("" if mail.html else _("(no text)"))
    provider_id = (mail.message_id or event.event_key)[:255]
    try:
        with transaction.atomic():
            message = Message.objects.create(
                organization_id=channel.organization_id,
                conversation=conversation,
                channel=channel,
                direction=Direction.INBOUND,
                kind=MessageKind.AUTOMATIC if auto.is_auto else MessageKind.MESSAGE,
                body=body,
                provider_message_id=provider_id,
                status=statuses.RECEIVED,
                sent_at=event.received_at,
                subject=mail.subject[:500],
                sender_address=(f"{mail.sender.name} <{address}>" if mail.sender.name else address)[:254],
                html=mail.html,
                email_message_id=mail.message_id[:255],
                in_reply_to=(mail.in_reply_to[0] if mail.in_reply_to else "")[:255],
                references=" ".join(mail.references),
            )
    except IntegrityError:  # the same Message-ID again (IMAP and SMTP both saw it): one message only
        return None
    Message.objects.filter(pk=message.pk).update(created_at=event.received_at)  # in the thread when it arrived
    message.created_at = event.received_at
    if keep_attachments:
        for attachment in mail.attachments:
            _store_attachment(message=message, attachment=attachment, notes=notes)
    if notes:
        message.notes = [note.as_dict() for note in notes]
        message.save(update_fields=["notes"])
    if auto.is_auto:  # appended, but never reopens a resolved conversation and never counts as work waiting
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=message.created_at, last_message_preview=_preview(mail, body), updated_at=message.created_at
        )
    else:
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=message.created_at,
            last_message_preview=_preview(mail, body),
            unread_count=F("unread_count") + 1,
            status=ConversationStatus.OPEN,
            updated_at=message.created_at,
        )
    if not auto.is_auto and mail.subject.strip().lower() == "unsubscribe":  # the List-Unsubscribe mailto
        consent_opt_out(
            contact=contact, channel=channel, source=f"email:mailto:{provider_id}"[:120], at=event.received_at
        )
    usage_received_add(channel=channel, day=event.received_at.date())
    transaction.on_commit(partial(message_event, message_id=message.pk, event="message.created"))
    return message


# --- sending ---------------------------------------------------------------------------------------------------------


def _domain(channel: Channel) -> str:
    return mail_compose.domain_of(channel.sender) or "localhost"


def reply_token_for(conversation: Conversation) -> str:
    """The conversation's reply token, made on its first email."""
    if not conversation.reply_token:
        conversation.reply_token = secrets.token_hex(8)
        Conversation.objects.filter(pk=conversation.pk).update(reply_token=conversation.reply_token)
    return conversation.reply_token


def _display_name(channel: Channel) -> str:
    return str(channel.settings.get("display_name") or channel.identification_name or channel.organization.name)


def unsubscribe_token(*, channel: Channel, address: str) -> str:
    """Signed (not encrypted) token of the unsubscribe link: which channel, which address. It does not expire: a link
    in an old mail must still work."""
    return signing.dumps({"c": str(channel.public_id), "a": address.lower()}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_of(token: str) -> tuple[Channel, str]:
    """The channel and address of a token, or ``UnsubscribeLinkError``."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        channel = Channel.objects.select_related("organization").get(public_id=UUID(str(data["c"])))
        return channel, str(data["a"])
    except (signing.BadSignature, KeyError, ValueError, TypeError, Channel.DoesNotExist):
        raise UnsubscribeLinkError() from None


def unsubscribe_for(*, channel: Channel, address: str) -> mail_compose.Unsubscribe:
    token = unsubscribe_token(channel=channel, address=address)
    with translation.override(channel.organization.language or "en"):  # the recipients' language
        label = _("Unsubscribe")
    return mail_compose.Unsubscribe(
        url=f"{settings.PUBLIC_URL}/u/{token}/", mailto=f"mailto:{channel.sender}?subject=unsubscribe", label=str(label)
    )


def email_unsubscribe(*, token: str, source: str, at: datetime | None = None) -> Contact:
    """The one-click (RFC 8058) or confirmed unsubscribe: the address is opted out of the channel at once (PT-10.8)."""
    channel, address = unsubscribe_of(token)
    contact = contact_for_email(organization=channel.organization, email=address)
    consent_opt_out(contact=contact, channel=channel, source=source, at=at or clock.now())
    return contact


@dataclass(frozen=True)
class EmailText:
    body: str
    footer: str


def email_text(*, channel: Channel, body: str, is_promotional: bool) -> EmailText:
    """The text of an outgoing email: promotional mail names its sender (PT-8.10); the unsubscribe link is added per
    recipient when the mail is composed."""
    body = body.strip()
    if not body:
        raise EmptyMessageError(fields={"body": [str(_("Write a message first."))]})
    footer = ""
    if is_promotional:
        if not (channel.identification_name and channel.identification_contact):
            raise SenderIdentificationMissingError(
                channel=channel.name, fields={"body": [str(_("The channel has no sender identification."))]}
            )
        footer = channel.identification
    return EmailText(body=body, footer=footer)


def _thread_ids(conversation: Conversation) -> tuple[str, str, list[str]]:
    """The subject to answer, the id to answer (the newest inbound mail, else the newest of ours), and the thread's
    ids oldest first (ours and, where a relay rewrote ours, the provider's too)."""
    rows = list(
        Message.objects.filter(conversation=conversation)
        .exclude(kind=MessageKind.NOTE)
        .order_by("created_at", "id")
        .values_list("direction", "subject", "email_message_id", "provider_message_id")
    )
    subject = ""
    answer = ""
    ids: list[str] = []
    for direction, row_subject, email_id, provider_id in rows:
        subject = row_subject or subject
        if email_id:
            ids.append(email_id)
        if direction == Direction.OUTBOUND and provider_id and provider_id != email_id and "@" in provider_id:
            ids.append(provider_id)
        if direction == Direction.INBOUND and email_id:
            answer = email_id
    if not answer and ids:
        answer = ids[-1]
    return subject, answer, ids


def email_outbound(
    *,
    conversation: Conversation,
    body: str,
    kind: str,
    author: Any,
    is_promotional: bool,
    idempotency_key: str,
    at: datetime,
    subject: str = "",
) -> Message:
    """An email from the inbox: composed here (From the channel's address, Reply-To the conversation's
    ``reply+<token>@``, "Re: …", a fresh Message-ID, In-Reply-To and References from the thread) and queued in the
    outbox as ``Outbound.mime``. The Message-ID is kept on the message."""
    channel = conversation.channel
    to = contact_email(conversation.contact)
    if not to:
        raise NoEmailError()
    text = email_text(channel=channel, body=body, is_promotional=is_promotional)
    thread_subject, answer, ids = _thread_ids(conversation)
    if subject:
        final_subject = subject
    elif thread_subject:
        final_subject = mail_compose.reply_subject(thread_subject)
    else:
        final_subject = _("Message from %(name)s") % {"name": _display_name(channel)}
    message = Message.objects.create(
        organization_id=conversation.organization_id,
        conversation=conversation,
        channel=channel,
        direction=Direction.OUTBOUND,
        kind=kind,
        body=text.body,
        author=author,
        status=statuses.PENDING,
        is_promotional=is_promotional,
        subject=final_subject[:500],
        created_at=at,
    )
    message_id = f"{conversation.public_id.hex[:12]}.{message.public_id.hex}@{_domain(channel)}"
    references = mail_compose.thread_references(ids)
    mime = mail_compose.compose(
        mail_compose.OutgoingMail(
            from_address=channel.sender,
            from_name=_display_name(channel),
            to_address=to,
            to_name=conversation.contact.name,
            reply_to=mail_compose.reply_address(address=channel.sender, token=reply_token_for(conversation)),
            subject=final_subject,
            text=text.body,
            message_id=message_id,
            date=at,
            in_reply_to=answer,
            references=references,
            unsubscribe=unsubscribe_for(channel=channel, address=to) if is_promotional else None,
            footer=text.footer,
        )
    )
    Message.objects.filter(pk=message.pk).update(
        created_at=at,
        email_message_id=message_id,
        in_reply_to=answer,
        references=" ".join(references),
    )
    message.created_at = at
    message.email_message_id = message_id
    delivery = Delivery.objects.create(
        organization_id=conversation.organization_id,
        channel=channel,
        message=message,
        idempotency_key=idempotency_key or f"message:{message.public_id}",
        to=to,
        body=text.body,
        mime=mime,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=at, last_message_preview=f"{final_subject} — {text.body}"[:160], unread_count=0, updated_at=at
    )
    from trunkline.inbox.tasks import delivery_send_task

    transaction.on_commit(partial(delivery_send_task.enqueue, delivery_id=delivery.pk))
    transaction.on_commit(partial(message_event, message_id=message.pk, event="message.created"))
    return message


def campaign_mime(
    *, channel: Channel, to: str, subject: str, body: str, is_promotional: bool, key: str, at: datetime
) -> bytes:
    """One campaign email for one recipient: its own Message-ID and, when promotional, its own unsubscribe link."""
    text = email_text(channel=channel, body=body, is_promotional=is_promotional)
    return mail_compose.compose(
        mail_compose.OutgoingMail(
            from_address=channel.sender,
            from_name=_display_name(channel),
            to_address=to,
            subject=subject or _display_name(channel),
            text=text.body,
            message_id=f"{key}@{_domain(channel)}",
            date=at,
            unsubscribe=unsubscribe_for(channel=channel, address=to) if is_promotional else None,
            footer=text.footer,
        )
    )
