"""Email intake: each message to the support address becomes a ticket or a reply in one (PT-7.4).

Threading: a message whose In-Reply-To or References names a message of a ticket (one received, or a notice we sent
about it) joins that ticket; so does one with the ticket's token (``[TL#123]``) in its subject. A sender who is not an
authorised representative gets a polite automatic answer through the notices service, and no ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from django.db import transaction
from django.utils.html import strip_tags

from trunkline.commerce.models import AgreementRepresentative
from trunkline.core import clock
from trunkline.core.errors import ValidationFailedError
from trunkline.notifications.models import Notice
from trunkline.notifications.services import notice_send
from trunkline.support.models import Priority, Representative, Ticket, TicketChannel, TicketMessage
from trunkline.support.services.representatives import representatives_sync_from_agreement
from trunkline.support.services.tickets import AttachmentData, ticket_create_for, ticket_customer_reply
from trunkline.tenancy.models import Organization, OrganizationStatus

TOKEN = re.compile(r"\[TL#(\d+)\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
NO_REPLY_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|bounce)", re.IGNORECASE)


@dataclass(frozen=True)
class EmailIntakeResult:
    outcome: str  # opened | replied | refused | duplicate | ignored
    ticket: Ticket | None = None
    sender: str = ""


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_type() == "text/html":
        content = strip_tags(content)
    return str(content).strip()


def _attachments_of(message: EmailMessage) -> list[AttachmentData]:
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            attachments.append(
                AttachmentData(
                    name=part.get_filename() or "attachment",
                    content_type=part.get_content_type(),
                    content=payload,
                )
            )
    return attachments


def _references(message: EmailMessage) -> list[str]:
    found: list[str] = []
    for header in ("In-Reply-To", "References"):
        found.extend(MESSAGE_ID.findall(str(message.get(header, "") or "")))
    return found


def _representatives_of(sender: str) -> list[Representative]:
    """Active representatives with this address in active customer organisations (the agreement's list synced)."""
    organizations = Organization.objects.filter(
        pk__in=AgreementRepresentative.objects.filter(email__iexact=sender).values("agreement__organization")
    )
    for organization in organizations:
        representatives_sync_from_agreement(organization=organization)
    return list(
        Representative.objects.filter(
            email__iexact=sender,
            is_active=True,
            organization__kind="customer",
            organization__status=OrganizationStatus.ACTIVE,
        ).select_related("organization")
    )


def _thread(message: EmailMessage, subject: str, representatives: list[Representative]) -> Ticket | None:
    organizations = {representative.organization_id for representative in representatives}
    references = _references(message)
    if references:
        known = TicketMessage.objects.filter(message_id__in=references, ticket__organization__in=organizations)
        hit = known.select_related("ticket").order_by("-at").first()
        if hit is not None:
            return hit.ticket
        for key in Notice.objects.filter(message_id__in=references, kind__startswith="support.ticket").values_list(
            "dedupe_key", flat=True
        ):
            public_id = key.split(":")[1] if key.startswith("ticket:") else ""
            ticket = Ticket.objects.filter(public_id=public_id, organization__in=organizations).first()
            if ticket is not None:
                return ticket
    token = TOKEN.search(subject)
    if token:
        return Ticket.objects.filter(number=int(token.group(1)), organization__in=organizations).first()
    return None


def _refuse(sender: str, subject: str, message_id: str, at: datetime) -> None:
    operator = Organization.objects.filter(kind="operator").first()
    if operator is None:
        return
    notice_send(
        organization=operator,
        kind="support.email_refused",
        recipients=[sender],
        requires_acknowledgement=False,
        dedupe_key=f"refused:{message_id or at.isoformat()}"[:200],
        context={"sender": sender, "subject": subject},
    )


def ticket_from_email(raw_message_bytes: bytes, *, at: datetime | None = None) -> EmailIntakeResult:
    """Turn one RFC 822 message into a new ticket or a reply in one, or refuse it politely (idempotent by
    Message-ID: the same message delivered twice is stored once)."""
    at = at or clock.now()
    message = BytesParser(policy=policy.default).parsebytes(raw_message_bytes)
    assert isinstance(message, EmailMessage)
    _name, sender = parseaddr(str(message.get("From", "") or ""))
    sender = sender.strip().lower()
    subject = " ".join(str(message.get("Subject", "") or "").split())
    message_id = " ".join(str(message.get("Message-ID", "") or "").split())
    if not sender or "@" not in sender:
        return EmailIntakeResult("ignored")
    if message_id and TicketMessage.objects.filter(message_id=message_id).exists():
        return EmailIntakeResult("duplicate", sender=sender)
    auto = str(message.get("Auto-Submitted", "no") or "no").lower() != "no"
    representatives = _representatives_of(sender)
    if not representatives:
        if not auto and not NO_REPLY_SENDERS.match(sender):  # never answer robots: no mail loops
            with transaction.atomic():
                _refuse(sender, subject, message_id, at)
        return EmailIntakeResult("refused", sender=sender)
    body = _text_of(message)
    attachments = _attachments_of(message)
    with transaction.atomic():
        ticket = _thread(message, subject, representatives)
        if ticket is not None:
            locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
            representative = next(r for r in representatives if r.organization_id == locked.organization_id)
            try:
                ticket_customer_reply(
                    ticket=locked,
                    author_name=representative.name,
                    body=body or subject,
                    attachments=attachments,
                    message_id=message_id,
                    at=at,
                )
            except ValidationFailedError:
                return EmailIntakeResult("ignored", ticket=locked, sender=sender)
            return EmailIntakeResult("replied", ticket=locked, sender=sender)
    representative = representatives[0]
    ticket = ticket_create_for(
        representative=representative,
        subject=TOKEN.sub("", subject).strip() or body[:80] or "(no subject)",
        description=body or subject or "(empty message)",
        priority=Priority.MEDIUM,
        channel=TicketChannel.EMAIL,
        attachments=attachments,
        message_id=message_id,
        at=at,
    )
    return EmailIntakeResult("opened", ticket=ticket, sender=sender)
