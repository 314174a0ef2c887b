"""A local stand-in for Twilio's Programmable Messaging API, speaking the same wire protocol.

It serves ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth (a wrong token gets Twilio's
20003 error body), answers 201 with a real-shaped Message resource, and calls our webhooks signed with
``X-Twilio-Signature`` exactly as Twilio does. It can be told to fail, throttle (429 + Retry-After), lose the answer
after accepting, delay, and to deliver status callbacks duplicated or out of order. Tests and the demo data use it.

Run it alone: ``python -m trunkline.channels.standins.twilio --port 8701 --account AC... --token ...``.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from trunkline.channels.adapters.twilio import IDEMPOTENCY_HEADER, signature
from trunkline.channels.domain import segments

API_VERSION = "2010-04-01"


@dataclass
class Chaos:
    fail_rate: float = 0.0  # answer 500 without accepting
    throttle_rate: float = 0.0  # answer 429 with Retry-After
    lose_answer_rate: float = 0.0  # accept, then answer 500 as if the connection dropped
    delay_seconds: float = 0.0
    retry_after_seconds: int = 1


@dataclass
class Callback:
    url: str
    params: dict[str, str]


Deliver = Callable[[str, dict[str, str], str], int]


def post_signed(url: str, params: dict[str, str], signed: str) -> int:
    """POST a form to ``url`` as Twilio does, with its signature header; the HTTP status of the answer."""
    request = urllib.request.Request(  # noqa: S310 (a URL of our own test server)
        url,
        data=urlencode(params).encode(),
        headers={"X-Twilio-Signature": signed, "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@dataclass
class TwilioStandIn:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "standin-auth-token"  # noqa: S105 (a test double's own token)
    seed: int = 7
    chaos: Chaos = field(default_factory=Chaos)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    accepted_per_key: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    callbacks: list[Callback] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)  # noqa: S311 (chaos, not crypto)
        self._by_key: dict[str, dict[str, Any]] = {}
        self._server: ThreadingHTTPServer | None = None

    # --- server ----------------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, port: int = 0) -> TwilioStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                status, payload, headers = standin.handle(
                    self.path, self.headers.get("Authorization", ""), self.headers.get(IDEMPOTENCY_HEADER, ""), body
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="twilio-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- the Messages resource ---------------------------------------------------------------------------------------
    def handle(self, path: str, authorization: str, key: str, body: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        expected_path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        expected_auth = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        with self._lock:
            self.requests += 1
            roll = self._random.random()
        if authorization != expected_auth:
            return 401, _error(20003, "Authenticate", 401), {}
        if path != expected_path:
            return 404, _error(20404, "The requested resource was not found", 404), {}
        if self.chaos.delay_seconds:
            time.sleep(self.chaos.delay_seconds)
        form = {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}
        if not form.get("To") or not (form.get("Body") or form.get("MediaUrl")):
            return 400, _error(21602, "Message body is required.", 400), {}
        with self._lock:
            if key and key in self._by_key:  # a retry of a request we already accepted: same message, not sent again
                return 201, self._by_key[key], {}
            if roll < self.chaos.throttle_rate:
                return (
                    429,
                    _error(20429, "Too Many Requests", 429),
                    {"Retry-After": str(self.chaos.retry_after_seconds)},
                )
            roll -= self.chaos.throttle_rate
            if roll < self.chaos.fail_rate:
                return 500, _error(20500, "Internal Server Error", 500), {}
            roll -= self.chaos.fail_rate
            message = self._accept(form, key)
            if roll < self.chaos.lose_answer_rate:
                return 500, _error(20500, "Internal Server Error", 500), {}
        return 201, message, {}

    def _accept(self, form: dict[str, str], key: str) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True)
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": form.get("Body", ""),
            "from": form.get("From"),
            "to": form["To"],
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": str(segments.count(form.get("Body", "")).segments),
            "num_media": "0",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "messaging_service_sid": None,
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
        }
        self.accepted.append(message)
        if key:
            self._by_key[key] = message
            self.accepted_per_key[key] += 1
        callback = form.get("StatusCallback", "")
        if callback:
            for step in ("sent", "delivered"):
                self.callbacks.append(Callback(callback, self._status_params(message, step)))
        return message

    def _status_params(self, message: dict[str, Any], status: str, error_code: str = "") -> dict[str, str]:
        params = {
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "AccountSid": self.account_sid,
            "From": str(message["from"]),
            "To": str(message["to"]),
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": API_VERSION,
        }
        if error_code:
            params["ErrorCode"] = error_code
        return params

    # --- calling our webhooks ----------------------------------------------------------------------------------------
    def sign(self, url: str, params: dict[str, str]) -> str:
        return signature(self.auth_token, url, {name: [value] for name, value in params.items()})

    def status_callback(self, message: dict[str, Any], status: str, *, error_code: str = "") -> Callback:
        """A status callback for an accepted message (e.g. ``undelivered`` with ``30003``), to send with ``deliver``."""
        callback_url = next((c.url for c in self.callbacks if c.params["MessageSid"] == message["sid"]), "")
        return Callback(callback_url, self._status_params(message, status, error_code))

    def deliver(self, callbacks: Iterable[Callback], *, transport: Deliver = post_signed) -> list[int]:
        return [
            transport(callback.url, callback.params, self.sign(callback.url, callback.params)) for callback in callbacks
        ]

    def flush_callbacks(
        self, *, order: str = "as_sent", duplicate: bool = False, transport: Deliver = post_signed
    ) -> list[int]:
        """Deliver queued status callbacks ``as_sent``, ``reversed`` or ``shuffled``; twice each if ``duplicate``."""
        with self._lock:
            pending, self.callbacks = list(self.callbacks), []
        if order == "reversed":
            pending.reverse()
        elif order == "shuffled":
            self._random.shuffle(pending)
        if duplicate:
            pending = [callback for callback in pending for _ in (0, 1)]
        return self.deliver(pending, transport=transport)

    def inbound(self, *, sender: str, to: str, body: str, sid: str = "", media: tuple[str, ...] = ()) -> dict[str, str]:
        """The form Twilio posts for an incoming SMS, or an MMS with one media item per content type in ``media``
        (``NumMedia``, ``MediaUrl<N>``, ``MediaContentType<N>``; the URLs point at this stand-in's media path)."""
        sid = sid or ("MM" if media else "SM") + secrets.token_hex(16)
        items = {}
        for index, content_type in enumerate(media):
            media_sid = "ME" + secrets.token_hex(16)
            items[f"MediaUrl{index}"] = (
                f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media/{media_sid}"
            )
            items[f"MediaContentType{index}"] = content_type
        return {
            "ToCountry": "BG",
            "SmsMessageSid": sid,
            "NumMedia": str(len(media)),
            **items,
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "To": to,
            "NumSegments": str(max(1, segments.count(body).segments)),
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "ApiVersion": API_VERSION,
            "FromCountry": "BG",
        }

    def send_inbound(self, url: str, *, sender: str, to: str, body: str, sid: str = "", signed: str = "") -> int:
        """POST a signed incoming SMS to our webhook at ``url`` (``signed`` overrides the signature, e.g. a bad one)."""
        params = self.inbound(sender=sender, to=to, body=body, sid=sid)
        return post_signed(url, params, signed or self.sign(url, params))


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def main() -> None:  # pragma: no cover - a manual tool
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--account", default="AC" + "0" * 32)
    parser.add_argument("--token", default="standin-auth-token")
    parser.add_argument("--fail-rate", type=float, default=0.0)
    args = parser.parse_args()
    standin = TwilioStandIn(account_sid=args.account, auth_token=args.token, chaos=Chaos(fail_rate=args.fail_rate))
    standin.start(args.port)
    print(f"Twilio stand-in on {standin.base_url}")  # noqa: T201
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
