"""The one interface every provider adapter implements: send, verify a webhook's signature, parse inbound messages
and status reports into the common vocabulary, and classify errors as retryable or terminal.

Email, WhatsApp, Viber, Messenger and web chat plug in here the same way SMS does (see docs/channels/sms.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Outbound:
    to: str
    body: str
    sender: str
    idempotency_key: str
    status_callback: str = ""
    parts: tuple[str, ...] = ()  # pre-split segments, for protocols that submit parts themselves (SMPP)
    mime: bytes = b""  # email: the whole RFC 5322 message as composed by the inbox (headers included)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str  # common vocabulary (trunkline.channels.domain.status)
    segments: int | None = None
    raw: dict = field(default_factory=dict)
    # A message submitted in parts, each with its own provider id (SMPP): every part's id, in part order. Receipts
    # come per part; ``provider_message_id`` is the first part's. Empty when the provider has one id per message.
    part_ids: tuple[str, ...] = ()


class SendError(Exception):
    """A send that did not go through. ``retryable`` errors are tried again with backoff; ``ambiguous`` ones may have
    reached the provider (a timeout after the request left), so they are retried only with the same idempotency key."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        retryable: bool,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class WebhookRequest:
    """What a webhook view hands an adapter: the URLs the provider may have signed, headers, the form and raw body."""

    urls: tuple[str, ...]
    headers: dict[str, str]
    form: dict[str, list[str]]
    body: bytes = b""


@dataclass(frozen=True)
class InboundMessage:
    provider_message_id: str
    sender: str
    recipient: str
    body: str
    segments: int | None = None
    provider_keyword: str = ""  # e.g. Twilio's OptOutType when the provider matched STOP/START/HELP itself
    part: tuple[str, int, int] | None = None  # (group, number, total): one part of a concatenated SMS (SMPP UDH)


@dataclass(frozen=True)
class StatusReport:
    provider_message_id: str
    status: str
    raw_status: str
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class ParsedEvent:
    kind: str  # "message" or "status"
    event_key: str  # unique per provider event: duplicates of one delivery share it
    message: InboundMessage | None = None
    status: StatusReport | None = None


class Adapter(Protocol):
    provider: str
    supports_idempotency_key: bool

    def send(self, outbound: Outbound) -> SendResult: ...

    def verify(self, request: WebhookRequest) -> bool: ...

    def parse(self, kind: str, request: WebhookRequest) -> ParsedEvent: ...
