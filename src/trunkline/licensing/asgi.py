"""The activation API's fast lane: ``POST /licensing/v1/activate``, ``/validate`` and ``/refresh`` answered in front
of Django's request stack.

The softphone calls these three all the time. Through Django each request crosses the ASGI handler's thread hop and
a dozen middleware (sessions, CSRF, messages, allauth, ...) that do nothing for a license-key call, then ninja's
routing: more CPU than the activation itself. Here the request body is read on the event loop, and one hop to a
thread pool (the database driver blocks) runs the whole request: host check, schema validation (the same ninja
schemas), rate limits, the service (its raw-SQL hot path), the response built by the same functions as the ninja
views, and the Ed25519 response signature.

Only a plain success is answered here. Anything else — a bad host, no key, a body the schema refuses, a rate limit,
a refusal by the service, an unexpected error — is handed to Django unchanged (the body replayed), so every error
keeps exactly the rendering, language and logging of the documented API. A rate-limit verdict is handed on in the
ASGI scope, so a request is counted once. The license key never reaches a log here either.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from email.utils import format_datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from django.utils.translation import trans_real
from pydantic import ValidationError

from trunkline.core import clock
from trunkline.core.errors import DomainError
from trunkline.core.logging import request_id_var
from trunkline.core.middleware import SAFE_REQUEST_ID
from trunkline.licensing import signing
from trunkline.licensing.activation_api import THROTTLED_SCOPE_KEY, api, certificate_out, validation_out
from trunkline.licensing.domain.certificates import response_signature
from trunkline.licensing.schemas import ActivateIn, CertificateOut, DeviceIn, ValidationOut
from trunkline.licensing.services import Caller, activation_activate, activation_refresh, activation_validate
from trunkline.licensing.throttle import throttle_hit

logger = logging.getLogger("trunkline.request")
Scope = dict[str, Any]
Message = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/licensing/v1/"
ACTIONS = {"activate", "validate", "refresh"}
MAX_BODY = 16 * 1024


class Handed(Exception):
    """Not a plain success: let Django answer (with ``scope_extra`` added to the scope)."""

    def __init__(self, **scope_extra: Any) -> None:
        self.scope_extra = scope_extra


def _language(accept: str) -> str:
    for code, _quality in trans_real.parse_accept_lang_header(accept):
        if code == "*":
            break
        try:
            return trans_real.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def _is_secure(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, value = proxy
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        if header in headers:
            return headers[header].split(b",")[0].strip().decode("latin-1") == value
    return scope.get("scheme") == "https"


def _security_headers(secure: bool) -> list[tuple[bytes, bytes]]:
    """What Django's security and clickjacking middleware add to every response, for a JSON answer."""
    headers = [(b"x-frame-options", str(getattr(settings, "X_FRAME_OPTIONS", "DENY")).encode())]
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


def answer(action: str, scope: Scope, headers: dict[bytes, bytes], body: bytes) -> tuple[int, list, bytes]:
    """The whole request, in a worker thread: (status, headers, body), or ``Handed`` for Django to answer."""
    close_old_connections()
    try:
        return _answer(action, scope, headers, body)
    finally:
        close_old_connections()


def _answer(action: str, scope: Scope, headers: dict[bytes, bytes], body: bytes) -> tuple[int, list, bytes]:
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        raise Handed()
    secure = _is_secure(scope, headers)
    if getattr(settings, "SECURE_SSL_REDIRECT", False) and not secure:
        raise Handed()  # Django redirects to https
    if not headers.get(b"content-type", b"").split(b";")[0].strip() == b"application/json":
        raise Handed()
    key = headers.get(b"license-key", b"").decode("latin-1").strip()
    if not key:
        raise Handed()
    try:
        payload = (ActivateIn if action == "activate" else DeviceIn).model_validate_json(body)
    except ValidationError:
        raise Handed() from None
    ip = scope["client"][0] if scope.get("client") else None
    wait = throttle_hit(action, key=key, ip=ip)
    if wait is not None:
        raise Handed(**{THROTTLED_SCOPE_KEY: wait})
    handed = Handed(**{THROTTLED_SCOPE_KEY: None})
    language = _language(headers.get(b"accept-language", b"").decode("latin-1"))
    data: CertificateOut | ValidationOut
    with translation.override(language):
        try:
            if action == "activate":
                assert isinstance(payload, ActivateIn)
                user_agent = headers.get(b"user-agent", b"").decode("latin-1")[:500]
                certified = activation_activate(
                    key=key,
                    fingerprint=payload.fingerprint,
                    device_name=payload.device_name,
                    product_version=payload.product_version,
                    caller=Caller(ip=ip, user_agent=user_agent),
                )
                status, data = 201, CertificateOut.model_validate(certificate_out(certified, payload.nonce))
            elif action == "refresh":
                certified = activation_refresh(key=key, fingerprint=payload.fingerprint)
                status, data = 200, CertificateOut.model_validate(certificate_out(certified, payload.nonce))
            else:
                result = activation_validate(key=key, fingerprint=payload.fingerprint)
                status, data = 200, ValidationOut.model_validate(validation_out(result, payload.nonce))
        except DomainError:
            raise handed from None
    content = api.renderer.render(None, data.model_dump(), response_status=status).encode()  # type: ignore[arg-type]
    query = scope.get("query_string", b"").decode("latin-1")
    signed = response_signature(
        private_key=signing.signing_key(),
        method="POST",
        target=scope["path"] + (f"?{query}" if query else ""),
        host=host,
        date=format_datetime(clock.now(), usegmt=True),
        body=content,
        kid=signing.public_key_id(),
    )
    response_headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(content)).encode()),
        (b"content-language", language.encode()),
        (b"vary", b"Accept-Language"),
        *((name.lower().encode(), value.encode()) for name, value in signed.items()),
        *_security_headers(secure),
    ]
    return status, response_headers, content


class LicensingFastLane:
    """ASGI middleware in front of Django: takes the three hot endpoints, hands everything else on untouched."""

    def __init__(self, app: ASGIApp, *, threads: int | None = None) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(
            max_workers=threads or settings.LICENSING_API_THREADS, thread_name_prefix="licensing"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not path.startswith(PREFIX)
            or path[len(PREFIX) :] not in ACTIONS
        ):
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
            if size > MAX_BODY:
                break
        body = b"".join(chunks)
        headers = dict(scope.get("headers") or [])
        if more or size > MAX_BODY:
            await self.app(scope, _replay(body, more, receive), send)
            return
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()  # the request id, for the logs of the worker thread
            status, response_headers, content = await loop.run_in_executor(
                self.executor, context.run, answer, path[len(PREFIX) :], scope, headers, body
            )
        except Handed as handed:
            await self.app({**scope, **handed.scope_extra}, _replay(body, False, receive), send)
            return
        except Exception:  # an unexpected failure: Django answers it (500) and logs it the usual way
            logger.warning("licensing fast lane handed an error to Django", exc_info=True)
            await self.app(scope, _replay(body, False, receive), send)
            return
        finally:
            request_id_var.reset(token)
        response_headers.append((b"x-request-id", request_id.encode()))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})
        logger.info(
            "request",
            extra={
                "method": "POST",
                "path": path,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A ``receive`` that first gives back the body already read, then the client's own messages."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed
