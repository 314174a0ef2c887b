"""The mechanics shared by the ASGI fast lanes: a few hot endpoints whose plain successes are answered in front of
Django's request stack (ADR 0008 for the activation API, ADR 0009 for the providers' webhooks).

Through Django, a request crosses the ASGI handler's thread hop and the middleware, each doing nothing useful for a
server-to-server call that authenticates itself, before its view runs. A lane instead reads the body on the event
loop (up to ``max_body``), makes one hop to its own thread pool (the database driver blocks) where the whole request
runs, and sends the answer with what Django's request-id and security middleware would have added, and the same
``request`` log line.

Only a plain success is answered in a lane. Anything else raises ``Handed`` — or fails — and the request goes to
Django unchanged, its body replayed, so every refusal keeps exactly Django's rendering, language and logging.
A lane checks the host against ``ALLOWED_HOSTS`` and hands on what Django would redirect to HTTPS; a new global
middleware that must apply to a lane's endpoints has to be mirrored here.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host
from django.utils.translation import trans_real

from trunkline.core.logging import request_id_var
from trunkline.core.middleware import SAFE_REQUEST_ID

logger = logging.getLogger("trunkline.request")
Scope = dict[str, Any]
Message = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class Handed(Exception):
    """Not a plain success: let Django answer (with ``scope_extra`` added to the scope)."""

    def __init__(self, **scope_extra: Any) -> None:
        self.scope_extra = scope_extra


def preferred_language(accept: str) -> str:
    """The language Django's locale middleware would pick from an ``Accept-Language`` header."""
    for code, _quality in trans_real.parse_accept_lang_header(accept):
        if code == "*":
            break
        try:
            return trans_real.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def allowed_host(headers: dict[bytes, bytes]) -> str:
    """The ``Host`` header when Django would accept it (``ALLOWED_HOSTS``); otherwise Django refuses it."""
    if getattr(settings, "USE_X_FORWARDED_HOST", False):
        raise Handed()  # Django's own reading of the forwarded host applies
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        raise Handed()
    return host


def is_secure(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """``request.is_secure()``: the trusted proxy header when configured and present, else the connection's scheme."""
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, value = proxy
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        if header in headers:
            return headers[header].split(b",")[0].strip().decode("latin-1") == value
    return scope.get("scheme") == "https"


def secure_or_handed(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """Whether the request came over HTTPS; one that Django would redirect to HTTPS is handed to it."""
    secure = is_secure(scope, headers)
    if getattr(settings, "SECURE_SSL_REDIRECT", False) and not secure:
        raise Handed()
    return secure


def security_headers(secure: bool, *, frame_options: bool = True) -> list[tuple[bytes, bytes]]:
    """What Django's security middleware (and, with ``frame_options``, its clickjacking one) adds to a response."""
    headers = []
    if frame_options:
        headers.append((b"x-frame-options", str(getattr(settings, "X_FRAME_OPTIONS", "DENY")).encode()))
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append((b"strict-transport-security", hsts.encode()))
    if getattr(settings, "SECURE_CONTENT_TYPE_NOSNIFF", True):
        headers.append((b"x-content-type-options", b"nosniff"))
    referrer = getattr(settings, "SECURE_REFERRER_POLICY", "same-origin")
    if referrer:
        headers.append((b"referrer-policy", str(referrer).encode()))
    opener = getattr(settings, "SECURE_CROSS_ORIGIN_OPENER_POLICY", "same-origin")
    if opener:
        headers.append((b"cross-origin-opener-policy", str(opener).encode()))
    return headers


class FastLane[Route](ABC):
    """ASGI middleware in front of Django: takes the requests ``route`` recognises, hands everything else on untouched.

    A lane says which requests are its own (``route``, on the event loop: cheap, no I/O) and answers them
    (``answer``, in a worker thread with fresh database connections: the whole request, or ``Handed``)."""

    name = "fast lane"  # in the log line of a failure handed to Django
    max_body = 16 * 1024  # a larger body is handed to Django as it is

    def __init__(self, app: ASGIApp, *, threads: int, thread_name_prefix: str) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=thread_name_prefix)

    @abstractmethod
    def route(self, scope: Scope) -> Route | None:
        """What this lane would answer for an HTTP request's scope, or None when the request is not for it."""

    @abstractmethod
    def answer(self, route: Route, scope: Scope, headers: dict[bytes, bytes], body: bytes) -> Answer:
        """The whole request, in a worker thread: (status, headers, body), or ``Handed`` for Django to answer."""

    def _answer_in_thread(self, route: Route, scope: Scope, headers: dict[bytes, bytes], body: bytes) -> Answer:
        close_old_connections()
        try:
            return self.answer(route, scope, headers, body)
        finally:
            close_old_connections()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.route(scope) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.max_body:
                break
        body = b"".join(chunks)
        headers = dict(scope.get("headers") or [])
        if more or size > self.max_body:
            await self.app(scope, replay(body, more, receive), send)
            return
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()  # the request id, for the logs of the worker thread
            status, response_headers, content = await loop.run_in_executor(
                self.executor, context.run, self._answer_in_thread, route, scope, headers, body
            )
        except Handed as handed:
            await self.app({**scope, **handed.scope_extra}, replay(body, False, receive), send)
            return
        except Exception:  # an unexpected failure: Django answers it (500) and logs it the usual way
            logger.warning("%s handed an error to Django", self.name, exc_info=True)
            await self.app(scope, replay(body, False, receive), send)
            return
        finally:
            request_id_var.reset(token)
        response_headers.append((b"x-request-id", request_id.encode()))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})
        logger.info(
            "request",
            extra={
                "method": scope.get("method"),
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )


def replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A ``receive`` that first gives back the body already read, then the client's own messages."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed
