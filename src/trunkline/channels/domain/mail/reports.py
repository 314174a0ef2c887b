"""Automatic replies (RFC 3834 and the common vacation headers) and delivery status notifications (RFC 3464)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from trunkline.channels.domain import status as statuses

# Subjects of vacation notices: a weak hint only (people write "Out of office" themselves), never decisive alone.
VACATION_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[\s-]*(reply|response|antwort)|out of (the )?office|vacation|abwesenheit|"
    r"автоматичен отговор|извън офиса|отпуск)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AutoReply:
    is_auto: bool  # decided by headers: never reopens a conversation, never answered
    reason: str  # the header that decided it, or the weak hint
    hint_only: bool = False  # only the subject looks like a vacation notice


def auto_reply_of(headers: Message, subject: str) -> AutoReply:
    """Is this mail an automatic reply? ``Auto-Submitted`` other than ``no`` (RFC 3834), ``X-Autoreply``,
    ``X-Autorespond``, ``Precedence: bulk / junk / auto_reply``; a vacation-like subject is only a hint."""
    auto_submitted = str(headers.get("Auto-Submitted", "") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return AutoReply(True, f"Auto-Submitted: {auto_submitted[:40]}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = str(headers.get(name, "") or "").strip()
        if value and value.lower() not in ("no", "false", "0"):
            return AutoReply(True, f"{name}: {value[:40]}")
    precedence = str(headers.get("Precedence", "") or headers.get("X-Precedence", "") or "").strip().lower()
    if precedence in ("bulk", "junk", "auto_reply", "auto-reply", "list"):
        return AutoReply(True, f"Precedence: {precedence}")
    if VACATION_SUBJECT.search(subject or ""):
        return AutoReply(False, "subject", hint_only=True)
    return AutoReply(False, "")


ACTION_STATUS = {
    "failed": statuses.UNDELIVERED,  # bounced by the receiving side
    "delivered": statuses.DELIVERED,
    "relayed": statuses.SENT,
    "expanded": statuses.SENT,
    "delayed": statuses.UNKNOWN,  # logged as reported; the status does not move
}


@dataclass(frozen=True)
class RecipientReport:
    action: str  # failed, delayed, delivered, relayed, expanded
    status_code: str  # "5.1.1"
    final_recipient: str
    diagnostic: str

    @property
    def status(self) -> str:
        return ACTION_STATUS.get(self.action, statuses.UNKNOWN)


@dataclass(frozen=True)
class DeliveryReport:
    original_message_id: str  # without angle brackets; "" when the returned headers are missing
    recipients: tuple[RecipientReport, ...]
    reporting_mta: str = ""

    @property
    def primary(self) -> RecipientReport | None:
        """The recipient whose outcome counts (a failure wins over a delay, a delay over anything else)."""
        order = {"failed": 0, "delivered": 1, "relayed": 2, "expanded": 2, "delayed": 3}
        ranked = sorted(self.recipients, key=lambda report: order.get(report.action, 9))
        return ranked[0] if ranked else None


def _field(block: Message, name: str) -> str:
    value = str(block.get(name, "") or "").strip()
    return value.split(";", 1)[1].strip() if ";" in value and name != "Action" else value


def _ids(value: str) -> list[str]:
    return [match.strip() for match in re.findall(r"<([^<>\s]+)>", value or "")]


def delivery_report_of(message: EmailMessage) -> DeliveryReport | None:
    """A DSN (multipart/report; report-type=delivery-status): each recipient's action and status, and the Message-ID
    of the mail it reports on, from the returned message or headers. Anything else answers None."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "") or "").lower() != "delivery-status":
        return None
    recipients: list[RecipientReport] = []
    original = ""
    reporting_mta = ""
    for part in message.iter_parts():
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            payload = part.get_payload()
            blocks: list[Message] = (
                [block for block in payload if isinstance(block, Message)] if isinstance(payload, list) else []
            )
            if not blocks and isinstance(payload, str | bytes):
                text = payload.encode() if isinstance(payload, str) else payload
                blocks = [
                    BytesHeaderParser(policy=default_policy).parsebytes(chunk.strip() + b"\n")
                    for chunk in re.split(rb"\r?\n\r?\n", text)
                    if chunk.strip()
                ]
            for index, block in enumerate(blocks):
                if index == 0 and block.get("Reporting-MTA"):
                    reporting_mta = _field(block, "Reporting-MTA")
                action = str(block.get("Action", "") or "").strip().lower()
                if not action:
                    continue
                recipients.append(
                    RecipientReport(
                        action=action.split()[0],
                        status_code=str(block.get("Status", "") or "").strip().split(" ")[0],
                        final_recipient=_field(block, "Final-Recipient") or _field(block, "Original-Recipient"),
                        diagnostic=_field(block, "Diagnostic-Code")[:300],
                    )
                )
        elif content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found = _ids(str(inner.get("Message-ID", "") or ""))
                original = found[0] if found else original
        elif content_type in ("text/rfc822-headers", "message/global-headers"):
            decoded = part.get_payload(decode=True)
            raw = decoded if isinstance(decoded, bytes) else b""
            headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
            found = _ids(str(headers.get("Message-ID", "") or ""))
            original = found[0] if found else original
    if not recipients:
        return None
    return DeliveryReport(original_message_id=original, recipients=tuple(recipients), reporting_mta=reporting_mta)
