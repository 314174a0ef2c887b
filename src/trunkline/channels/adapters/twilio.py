"""SMS over Twilio's Programmable Messaging wire protocol (REST 2010-04-01), without the SDK.

Send: ``POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded, HTTP Basic ``AccountSid:AuthToken``.
Inbound and status callbacks: form posts signed with ``X-Twilio-Signature`` = Base64(HMAC-SHA1(AuthToken, URL + the
sorted name+value pairs)), checked with and without the default port because Twilio signs either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
from urllib.parse import urlencode, urlsplit, urlunsplit

from trunkline.channels.adapters.base import (
    InboundMessage,
    Outbound,
    ParsedEvent,
    SendError,
    SendResult,
    StatusReport,
    WebhookRequest,
)
from trunkline.channels.domain import status as statuses

DEFAULT_BASE_URL = "https://api.twilio.com"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
TERMINAL_CODES_OPTED_OUT = {"21610"}


def signature(auth_token: str, url: str, params: dict[str, list[str]]) -> str:
    """Twilio's request signature over ``url`` and the form parameters."""
    payload = url
    for name in sorted(params):
        for value in sorted(set(params[name])):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _port_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname or ""
    with_port = urlunsplit(parts._replace(netloc=f"{host}:{parts.port or default}"))
    without_port = urlunsplit(parts._replace(netloc=host)) if parts.port in (None, default) else url
    return list(dict.fromkeys([url, with_port, without_port]))


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


class TwilioAdapter:
    provider = "twilio"
    supports_idempotency_key = True

    def __init__(self, *, account_sid: str, auth_token: str, base_url: str = "", timeout: float = 10.0) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        """Close the kept-alive connection (a batch of sends reuses one)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # --- sending -------------------------------------------------------------------------------------------------
    def send(self, outbound: Outbound) -> SendResult:
        form = {"To": outbound.to, "From": outbound.sender, "Body": outbound.body}
        if outbound.status_callback:
            form["StatusCallback"] = outbound.status_callback
        parts = urlsplit(self.base_url)
        path = f"{parts.path}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        headers = {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            IDEMPOTENCY_HEADER: outbound.idempotency_key,
        }
        connection = self._connection
        if connection is None:
            connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            connection = connection_class(parts.netloc, timeout=self.timeout)
            try:
                connection.connect()
            except OSError as error:  # never reached the provider: safe to retry
                raise SendError(f"Cannot connect: {error}", code="connect", retryable=True) from error
        try:
            connection.request("POST", path, body=urlencode(form), headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            connection.close()
            self._connection = None
            raise SendError(f"No answer: {error}", code="timeout", retryable=True, ambiguous=True) from error
        if response.will_close:
            connection.close()
            self._connection = None
        else:
            self._connection = connection
        return self._result(response.status, response.getheader("Retry-After"), raw)

    def _result(self, status: int, retry_after: str | None, raw: bytes) -> SendResult:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {}
        if status in (200, 201):
            segments = data.get("num_segments")
            return SendResult(
                provider_message_id=str(data.get("sid", "")),
                status=statuses.TWILIO.get(str(data.get("status", "")), statuses.ACCEPTED),
                segments=int(segments) if segments not in (None, "", "0") else None,
                raw=data,
            )
        code = str(data.get("code", f"http_{status}"))
        message = str(data.get("message", f"HTTP {status}"))
        if status == 429:
            seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise SendError(message, code=code, retryable=True, retry_after=seconds)
        if status >= 500:
            raise SendError(message, code=code, retryable=True, ambiguous=True)
        raise SendError(message, code=code, retryable=False)

    # --- webhooks ------------------------------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> bool:
        given = request.headers.get("x-twilio-signature", "")
        if not given or not self.auth_token:
            return False
        for url in request.urls:
            for variant in _port_variants(url):
                if hmac.compare_digest(signature(self.auth_token, variant, request.form), given):
                    return True
        return False

    def parse(self, kind: str, request: WebhookRequest) -> ParsedEvent:
        form = request.form
        sid = _first(form, "MessageSid") or _first(form, "SmsSid")
        if kind == "status":
            raw_status = _first(form, "MessageStatus") or _first(form, "SmsStatus")
            return ParsedEvent(
                kind="status",
                event_key=f"{sid}:{raw_status}",
                status=StatusReport(
                    provider_message_id=sid,
                    status=statuses.TWILIO.get(raw_status, statuses.UNKNOWN),
                    raw_status=raw_status,
                    error_code=_first(form, "ErrorCode"),
                    error_message=_first(form, "ErrorMessage"),
                ),
            )
        segments = _first(form, "NumSegments")
        return ParsedEvent(
            kind="message",
            event_key=sid,
            message=InboundMessage(
                provider_message_id=sid,
                sender=_first(form, "From"),
                recipient=_first(form, "To"),
                body=_first(form, "Body"),
                segments=int(segments) if segments.isdigit() else None,
                provider_keyword=_first(form, "OptOutType"),
            ),
        )
