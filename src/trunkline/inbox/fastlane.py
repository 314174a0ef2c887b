"""The providers' hot webhooks answered in front of Django (ADR 0009): Twilio's inbound messages
(``POST /hooks/twilio/<channel>/``) and status callbacks (``…/status/``).

Issue 8 asks 500 inbound messages a second on a 2-CPU machine, for the whole path — HTTP, the stored event, its
processing, PostgreSQL and the load generator — so the provider-facing request must cost well under a millisecond
of CPU. Through Django's ASGI handler it cost 3–4 ms: the handler's thread hop, request and response objects, the
middleware, URL resolution. Here, on the fast lane's mechanics (``core/fastlane.py``), one hop to a thread pool
runs the request the Django view (``inbox/hooks.py``) would: host check, a form-encoded POST parsed exactly as
``request.POST.lists()`` gives it, the active channel in one statement, the signature verified by the channel's
adapter against the same candidate URLs (``PUBLIC_URL`` included), then ``webhook_accept`` — the view's own ending:
parsed, stored once, processing requested, the same TwiML or 204.

Only that plain success is answered here. An unknown or disabled channel, a bad signature (its 403 and log line
are Django's), another content type or charset, a body over ``max_body`` and any error go to Django unchanged. A
failure after the event was stored leaves it to the periodic retry (``inbox_retry_due_task``), as a crash would.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import parse_qsl
from uuid import UUID

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.utils.encoding import escape_uri_path, iri_to_uri
from django.utils.http import parse_header_parameters

from trunkline.channels.adapters import adapter_for
from trunkline.channels.adapters.base import WebhookRequest
from trunkline.core.fastlane import (
    Answer,
    ASGIApp,
    FastLane,
    Handed,
    Scope,
    allowed_host,
    secure_or_handed,
    security_headers,
)
from trunkline.inbox.hooks import webhook_accept, webhook_channel, webhook_urls

# Django's ``<uuid:…>`` converter: a lower-case, hyphenated UUID (anything else is Django's 404)
HOOK_PATH = re.compile(
    r"^/hooks/(?P<provider>twilio)/(?P<channel>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/"
    r"(?P<status>status/)?$"
)
FORM = "application/x-www-form-urlencoded"
HookRoute = tuple[str, UUID, str]  # provider, channel, kind


def request_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """``{name.lower(): value for name, value in request.headers.items()}``, as Django builds it from an ASGI scope:
    names with an underscore dropped, repeated headers joined with commas (cookies with semicolons)."""
    values: dict[str, list[str]] = defaultdict(list)
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        if "_" in name:
            continue
        value = raw_value.decode("latin-1")
        values[name].append(value.rstrip("; ") if name == "cookie" else value)
    return {name: ("; " if name == "cookie" else ",").join(parts) for name, parts in values.items()}


def form_lists(body: bytes) -> dict[str, list[str]]:
    """``dict(QueryDict(body, encoding="utf-8").lists())`` without building the QueryDict (its per-field list
    bookkeeping was a quarter of the lane's CPU): the same decoding, the same ``parse_qsl`` call, the same limit on
    the number of fields (``TooManyFieldsSent``)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("iso-8859-1")  # as QueryDict falls back
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    form: dict[str, list[str]] = {}
    try:
        fields = parse_qsl(text, keep_blank_values=True, encoding="utf-8", max_num_fields=limit)
    except ValueError as error:
        raise TooManyFieldsSent(str(error)) from None
    for name, value in fields:
        form.setdefault(name, []).append(value)
    return form


class WebhookFastLane(FastLane[HookRoute]):
    """ASGI middleware in front of Django: answers Twilio's signed inbound messages and status callbacks."""

    name = "webhook fast lane"
    max_body = 64 * 1024  # a long SMS with media links is a few kilobytes

    def __init__(self, app: ASGIApp, *, threads: int | None = None) -> None:
        # threads per web process (each holds a database connection while it answers)
        threads = threads or settings.INBOX_WEBHOOK_LANE_THREADS
        super().__init__(app, threads=threads, thread_name_prefix="webhooks")

    def route(self, scope: Scope) -> HookRoute | None:
        if scope.get("method") != "POST" or scope.get("root_path"):
            return None
        match = HOOK_PATH.match(scope.get("path", ""))
        if match is None:
            return None
        return match["provider"], UUID(match["channel"]), "status" if match["status"] else "message"

    def answer(self, route: HookRoute, scope: Scope, headers: dict[bytes, bytes], body: bytes) -> Answer:
        provider, channel_id, kind = route
        host = allowed_host(headers)
        secure = secure_or_handed(scope, headers)
        webhook_headers = request_headers(scope.get("headers") or [])
        content_type, params = parse_header_parameters(webhook_headers.get("content-type", ""))
        if content_type != FORM or params.get("charset", "utf-8").lower() != "utf-8":
            raise Handed()  # Django parses (or refuses) other forms itself
        try:
            form = form_lists(body)
        except TooManyFieldsSent:
            raise Handed() from None  # Django's 400
        channel = webhook_channel(provider=provider, channel_id=channel_id)
        if channel is None:
            raise Handed()  # Django's 404
        query = scope.get("query_string", b"").decode()
        full_path = escape_uri_path(scope["path"]) + (f"?{iri_to_uri(query)}" if query else "")
        scheme = "https" if secure else "http"
        webhook = WebhookRequest(
            urls=webhook_urls(absolute_url=f"{scheme}://{host}{full_path}", full_path=full_path),
            headers=webhook_headers,
            form=form,
            body=body,
        )
        adapter = adapter_for(channel)
        if not adapter.verify(webhook):
            raise Handed()  # Django logs it and answers 403
        response = webhook_accept(channel=channel, adapter=adapter, kind=kind, webhook=webhook)
        content = response.content
        response_headers = [
            *((name.lower().encode("ascii"), value.encode("latin-1")) for name, value in response.items()),
            (b"content-length", str(len(content)).encode()),
            *security_headers(secure, frame_options=False),  # /hooks/ skips the clickjacking middleware
        ]
        return response.status_code, response_headers, content
