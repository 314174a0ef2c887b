"""Email out over SMTP (the customer's relay or the platform's), DKIM-signed when a key is configured.

The inbox composes the whole RFC 5322 message (``Outbound.mime``); this adapter only transports it: line endings made
CRLF, a Message-ID added when missing, a ``DKIM-Signature`` prepended (dkimpy, relaxed/relaxed) when the channel has a
DKIM domain, selector and private key, then ``MAIL FROM:<channel address>`` / ``RCPT TO:<outbound.to>`` / ``DATA``.

Errors: no connection, a 4xx reply or a dropped connection before DATA → retryable; a 5xx reply (or a refused login,
a TLS failure) → terminal; a timeout or dropped connection once DATA was sent → ambiguous: the relay may have queued the
message, and SMTP has no idempotency key, so it must not be sent again (``supports_idempotency_key = False``).

Inbound email does not come through webhooks: see ``trunkline.channels.email_imap`` (IMAP) and
``trunkline.channels.email_smtp`` (inbound SMTP), both storing through ``services.inbound_email_store``.
"""

from __future__ import annotations

import base64
import binascii
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

import dkim

from trunkline.channels.adapters.base import (
    InboundMessage,
    Outbound,
    ParsedEvent,
    SendError,
    SendResult,
    WebhookRequest,
)
from trunkline.channels.domain import status as statuses
from trunkline.channels.domain.email import address_split, message_id_of

SECURITY_CHOICES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
# Headers signed when present (dkimpy's recommended set plus RFC 8058's one-click header, which must be signed).
DKIM_HEADERS = (*dkim.DKIM.SHOULD, b"list-unsubscribe-post")
_QUEUED_AS = re.compile(r"queued as ([A-Za-z0-9._-]+)", re.IGNORECASE)
_LINE_ENDING = re.compile(rb"\r?\n")


def crlf(raw: bytes) -> bytes:
    """Every line ending CRLF, and a final one: what goes on the wire, and what the DKIM signature covers."""
    raw = _LINE_ENDING.sub(b"\r\n", raw)
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


def _smtp_error(code: int, reply: bytes | str, *, stage: str) -> SendError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    message = f"{code} {text}".strip()
    return SendError(message, code=f"smtp_{code}" if code else stage, retryable=400 <= code < 500)


class EmailAdapter:
    provider = "smtp"
    supports_idempotency_key = False

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        envelope_sender: str,
        username: str = "",
        password: str = "",
        dkim_domain: str = "",
        dkim_selector: str = "",
        dkim_private_key: str = "",
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = int(port or DEFAULT_PORTS.get(security, 25))
        self.security = security
        self.envelope_sender = envelope_sender
        self.username = username
        self.password = password
        self.dkim_domain = dkim_domain
        self.dkim_selector = dkim_selector
        self.dkim_private_key = dkim_private_key
        self.timeout = timeout
        self.tls_context = tls_context or ssl.create_default_context()
        self.local_hostname = local_hostname

    # --- the message ---------------------------------------------------------------------------------------------
    def prepare(self, outbound: Outbound) -> tuple[bytes, str]:
        """The bytes to send (CRLF, Message-ID ensured, DKIM-signed when configured) and their Message-ID."""
        raw = crlf(outbound.mime or self._plain_message(outbound))
        message_id = message_id_of(raw)
        if not message_id:
            domain = address_split(self.envelope_sender)[1] or None
            generated = make_msgid(domain=domain)
            raw = b"Message-ID: " + generated.encode() + b"\r\n" + raw
            message_id = message_id_of(raw)
        if self.dkim_domain and self.dkim_selector and self.dkim_private_key:
            raw = self._dkim_signed(raw)
        return raw, message_id

    def _plain_message(self, outbound: Outbound) -> bytes:
        message = EmailMessage()
        message["From"] = outbound.sender or self.envelope_sender
        message["To"] = outbound.to
        message["Date"] = formatdate(usegmt=True)
        message.set_content(outbound.body)
        return message.as_bytes()

    def _dkim_signed(self, raw: bytes) -> bytes:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
        present = {name.lower().encode() for name in headers}
        include = [name for name in DKIM_HEADERS if name in present or name == b"from"]
        try:
            signature = dkim.sign(
                raw,
                self.dkim_selector.encode(),
                self.dkim_domain.encode(),
                self.dkim_private_key.encode(),
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=include,
            )
        except (dkim.DKIMException, ValueError, binascii.Error) as error:
            raise SendError(f"DKIM signing failed: {error}", code="dkim", retryable=False) from error
        return signature + raw

    # --- sending -------------------------------------------------------------------------------------------------
    def send(self, outbound: Outbound) -> SendResult:
        raw, message_id = self.prepare(outbound)
        client = self._connect()
        stage = "hello"
        try:
            client.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                stage = "starttls"
                client.starttls(context=self.tls_context)
                client.ehlo()
            if self.username:
                stage = "auth"
                client.login(self.username, self.password)
            stage = "mail"
            code, reply = client.mail(self.envelope_sender, self._mail_options(client, raw, outbound.to))
            if code != 250:
                raise _smtp_error(code, reply, stage=stage)
            stage = "rcpt"
            code, reply = client.rcpt(outbound.to)
            if code not in (250, 251):
                raise _smtp_error(code, reply, stage=stage)
            stage = "data"  # from here on the relay may have the message: a lost answer is ambiguous
            code, reply = client.data(raw)
            if code != 250:
                raise _smtp_error(code, reply, stage=stage)
        except SendError:
            self._close(client, polite=True)
            raise
        except smtplib.SMTPNotSupportedError as error:
            self._close(client, polite=True)
            raise SendError(
                f"The relay does not offer {stage.upper()}: {error}", code=stage, retryable=False
            ) from error
        except smtplib.SMTPServerDisconnected as error:
            self._close(client)
            raise self._lost(error, stage) from error
        except smtplib.SMTPResponseException as error:  # login refused, STARTTLS refused, ...
            self._close(client, polite=True)
            raise _smtp_error(error.smtp_code, error.smtp_error, stage=stage) from error
        except (ssl.SSLError, ssl.CertificateError) as error:
            self._close(client)
            raise SendError(f"TLS with the relay failed: {error}", code="tls", retryable=False) from error
        except (OSError, smtplib.SMTPException) as error:  # timeouts included
            self._close(client)
            raise self._lost(error, stage) from error
        self._close(client, polite=True)
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        queued = _QUEUED_AS.search(text)
        return SendResult(
            provider_message_id=message_id,
            status=statuses.ACCEPTED,
            raw={
                "relay": f"{self.host}:{self.port}",
                "reply": f"{code} {text}",
                "queued_as": queued.group(1) if queued else "",
                "message_id": message_id,
                "dkim": bool(self.dkim_domain and self.dkim_selector and self.dkim_private_key),
            },
        )

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.security == "tls":
                return smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self.tls_context,
                )
            return smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout)
        except smtplib.SMTPConnectError as error:  # the greeting was a refusal (421 busy, 554 no service)
            raise _smtp_error(error.smtp_code, error.smtp_error, stage="connect") from error
        except (ssl.SSLError, ssl.CertificateError) as error:
            raise SendError(f"TLS with the relay failed: {error}", code="tls", retryable=False) from error
        except (OSError, smtplib.SMTPException) as error:  # refused, unreachable, timed out: never reached it
            raise SendError(
                f"Cannot connect to {self.host}:{self.port}: {error}", code="connect", retryable=True
            ) from error

    @staticmethod
    def _lost(error: Exception, stage: str) -> SendError:
        if stage == "data":
            return SendError(
                f"No answer after the message was sent: {error}", code="timeout", retryable=True, ambiguous=True
            )
        return SendError(f"The connection was lost ({stage}): {error}", code="disconnected", retryable=True)

    @staticmethod
    def _close(client: smtplib.SMTP, *, polite: bool = False) -> None:
        try:
            if polite and client.sock is not None:
                client.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            client.close()

    def _mail_options(self, client: smtplib.SMTP, raw: bytes, recipient: str) -> list[str]:
        options = []
        if client.has_extn("size"):
            options.append(f"SIZE={len(raw)}")
        if client.has_extn("8bitmime") and not raw.isascii():
            options.append("BODY=8BITMIME")
        if client.has_extn("smtputf8") and not (self.envelope_sender + recipient).isascii():
            options.append("SMTPUTF8")
        return options

    # --- webhooks (email has none) ---------------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> bool:
        """Email arrives by IMAP or inbound SMTP, never by webhook: nothing is verified here."""
        return False

    def parse(self, kind: str, request: WebhookRequest) -> ParsedEvent:
        """The envelope of a stored inbound email (``InboundEvent.payload`` as ``form``); MIME is the inbox's job."""
        payload: dict[str, Any] = dict(request.form)
        try:
            raw = base64.b64decode(str(payload.get("raw", "")))
        except (binascii.Error, ValueError):
            raw = b""
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
        message_id = message_id_of(raw)
        recipients = payload.get("rcpt_to") or []
        return ParsedEvent(
            kind="message",
            event_key=f"email:{message_id}" if message_id else "",
            message=InboundMessage(
                provider_message_id=message_id,
                sender=parseaddr(str(headers.get("From", "")))[1] or str(payload.get("mail_from", "")),
                recipient=str(recipients[0]) if recipients else parseaddr(str(headers.get("To", "")))[1],
                body="",
            ),
        )


def email_adapter_for(
    *, settings: dict[str, Any], credentials: dict[str, Any], sender: str, timeout: float, tls_context: ssl.SSLContext
) -> EmailAdapter:
    """The adapter of an email channel from its settings (non-secret) and credentials (secret)."""
    return EmailAdapter(
        host=str(settings.get("smtp_host", "")),
        port=int(settings.get("smtp_port") or 0),
        security=str(settings.get("smtp_security", "starttls")),
        envelope_sender=sender,
        username=str(settings.get("smtp_username", "")),
        password=str(credentials.get("smtp_password", "")),
        dkim_domain=str(settings.get("dkim_domain", "")),
        dkim_selector=str(settings.get("dkim_selector", "")),
        dkim_private_key=str(credentials.get("dkim_private_key", "")),
        timeout=timeout,
        tls_context=tls_context,
    )
