"""The activation API's fast lane: ``POST /licensing/v1/activate``, ``/validate`` and ``/refresh`` answered in front
of Django's request stack.

The softphone calls these three all the time. Through Django each request crosses the ASGI handler's thread hop and
a dozen middleware (sessions, CSRF, messages, allauth, ...) that do nothing for a license-key call, then ninja's
routing: more CPU than the activation itself. Here, on the fast lane's mechanics (``core/fastlane.py``: the body
read on the event loop, one hop to a thread pool, request id, security headers, logging), the worker thread runs
the whole request: host check, schema validation (the same ninja schemas), rate limits, the service (its raw-SQL hot
path), the response built by the same functions as the ninja views, and the Ed25519 response signature.

Only a plain success is answered here. Anything else — a bad host, no key, a body the schema refuses, a rate limit,
a refusal by the service, an unexpected error — is handed to Django unchanged (the body replayed), so every error
keeps exactly the rendering, language and logging of the documented API. A rate-limit verdict is handed on in the
ASGI scope, so a request is counted once. The license key never reaches a log here either.
"""

from __future__ import annotations

from email.utils import format_datetime

from django.conf import settings
from django.utils import translation
from pydantic import ValidationError

from trunkline.core import clock
from trunkline.core.errors import DomainError
from trunkline.core.fastlane import (
    Answer,
    ASGIApp,
    FastLane,
    Handed,
    Scope,
    allowed_host,
    preferred_language,
    secure_or_handed,
    security_headers,
)
from trunkline.licensing import signing
from trunkline.licensing.activation_api import THROTTLED_SCOPE_KEY, api, certificate_out, validation_out
from trunkline.licensing.domain.certificates import response_signature
from trunkline.licensing.schemas import ActivateIn, CertificateOut, DeviceIn, ValidationOut
from trunkline.licensing.services import Caller, activation_activate, activation_refresh, activation_validate
from trunkline.licensing.throttle import throttle_hit

PREFIX = "/licensing/v1/"
ACTIONS = {"activate", "validate", "refresh"}
MAX_BODY = 16 * 1024


def _answer(action: str, scope: Scope, headers: dict[bytes, bytes], body: bytes) -> Answer:
    host = allowed_host(headers)
    secure = secure_or_handed(scope, headers)  # one Django would redirect to https is handed on
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
    language = preferred_language(headers.get(b"accept-language", b"").decode("latin-1"))
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
        *security_headers(secure),
    ]
    return status, response_headers, content


class LicensingFastLane(FastLane[str]):
    """ASGI middleware in front of Django: takes the three hot endpoints, hands everything else on untouched."""

    name = "licensing fast lane"
    max_body = MAX_BODY

    def __init__(self, app: ASGIApp, *, threads: int | None = None) -> None:
        super().__init__(app, threads=threads or settings.LICENSING_API_THREADS, thread_name_prefix="licensing")

    def route(self, scope: Scope) -> str | None:
        path = scope.get("path", "")
        if scope.get("method") != "POST" or not path.startswith(PREFIX) or path[len(PREFIX) :] not in ACTIONS:
            return None
        return path[len(PREFIX) :]

    def answer(self, route: str, scope: Scope, headers: dict[bytes, bytes], body: bytes) -> Answer:
        """The whole request, in a worker thread: (status, headers, body), or ``Handed`` for Django to answer."""
        return _answer(route, scope, headers, body)
