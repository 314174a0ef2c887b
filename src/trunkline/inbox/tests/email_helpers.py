"""Email test helpers: an email channel, and received mail delivered as the IMAP poller and the SMTP receiver store
it (an ``InboundEvent`` with the raw bytes in base64), then processed the way the task processes it."""

from __future__ import annotations

import base64
import hashlib
import re
from email.utils import format_datetime
from typing import Any

from trunkline.channels.models import Channel, ChannelKind, InboundEvent
from trunkline.channels.services import inbound_event_store
from trunkline.core import clock
from trunkline.inbox.services.messages import inbound_event_process
from trunkline.tenancy.models import Organization

ADDRESS = "info@sofiadental.example"


def email_channel(organization: Organization, *, sender: str = ADDRESS, **fields: Any) -> Channel:
    channel = Channel(
        organization=organization,
        name="Email",
        kind=ChannelKind.EMAIL,
        provider="smtp",
        sender=sender,
        identification_name=fields.pop("identification_name", "Sofia Dental"),
        identification_contact=fields.pop("identification_contact", "+359 2 123 4567"),
        settings=fields.pop("settings", {"smtp_host": "127.0.0.1", "smtp_port": 25}),
        **fields,
    )
    channel.set_credentials({})
    channel.save()
    return channel


def mail(
    body: str = "Здравейте, искам час за преглед.",
    *,
    sender: str = "Мария Иванова <maria@gmail.example>",
    to: str = ADDRESS,
    subject: str = "Час за преглед",
    message_id: str = "m1@gmail.example",
    headers: str = "",
) -> bytes:
    """A simple UTF-8 text mail as a mail client sends it."""
    from email.message import EmailMessage
    from email.policy import SMTP

    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    if message_id:
        message["Message-ID"] = f"<{message_id}>"
    for line in filter(None, headers.split("\n")):
        name, _, value = line.partition(":")
        message[name.strip()] = value.strip()
    message.set_content(body)
    return message.as_bytes()


def receive(channel: Channel, raw: bytes, *, rcpt_to: list[str] | None = None, source: str = "smtp") -> InboundEvent:
    """Store the raw mail as the receivers do and process it (what ``inbound_event_process_task`` does)."""
    found = re.search(rb"^Message-ID:\s*<([^>]+)>", raw, re.IGNORECASE | re.MULTILINE)
    key = f"email:{found.group(1).decode()}" if found else f"email-sha256:{hashlib.sha256(raw).hexdigest()}"
    event = inbound_event_store(
        channel=channel,
        kind="message",
        event_key=key,
        payload={
            "source": source,
            "raw": base64.b64encode(raw).decode(),
            "mail_from": "maria@gmail.example",
            "rcpt_to": rcpt_to or [channel.sender],
            "ref": "INBOX:1:1" if source == "imap" else "queue-1",
        },
    )
    assert event is not None, "duplicate event key"
    return inbound_event_process(event_id=event.pk)


class RecordingMailAdapter:
    """A fake at the adapter boundary for the fast inbox tests: takes ``Outbound.mime`` as the SMTP adapter does and
    answers its Message-ID as the provider id. The real adapter, Postfix and Dovecot are exercised end to end in
    ``tests/e2e/test_email_round_trip.py`` (``mail`` marker)."""

    provider = "smtp"
    supports_idempotency_key = False

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, outbound: Any) -> Any:
        from trunkline.channels.adapters.base import SendResult
        from trunkline.channels.domain import status as statuses

        self.sent.append(outbound)
        found = re.search(rb"^Message-ID:\s*<([^>]+)>", outbound.mime, re.IGNORECASE | re.MULTILINE)
        assert found, "no Message-ID in the composed mail"
        return SendResult(provider_message_id=found.group(1).decode(), status=statuses.SENT)


def bounce_for(message_id: str, *, action: str, status: str, key: str = "1") -> bytes:
    return f"""From: MAILER-DAEMON@mx.sofiadental.example (Mail Delivery System)
To: info@sofiadental.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{key}-{status}@mx.sofiadental.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

The mail system.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sofiadental.example

Final-Recipient: rfc822; maria@gmail.example
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <maria@gmail.example>: Recipient address rejected

--R
Content-Type: text/rfc822-headers

From: Sofia Dental <info@sofiadental.example>
Message-ID: <{message_id}>

--R--
""".replace("\n", "\r\n").encode()
