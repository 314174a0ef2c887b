from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import resolve

from trunkline.core.logging import request_id_var

logger = logging.getLogger("trunkline.request")
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id (or keep a sane one from the load balancer), log it and echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the server saw it (the proxy sets REMOTE_ADDR via its own trusted config)."""
    return request.META.get("REMOTE_ADDR") or None


class LeanPathMiddleware:
    """Requests under ``settings.LEAN_PATH_PREFIXES`` (the providers' signed webhooks) go straight to their view and
    skip the middleware below this one: no session, user, language, CSRF, messages or country check, none of which a
    provider's server-to-server call has or needs. Their views verify a signature instead and are CSRF-exempt. Put
    it after the request id and security middleware, so those still apply."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "LEAN_PATH_PREFIXES", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.prefixes and request.path_info.startswith(self.prefixes):
            match = resolve(request.path_info)
            if getattr(match.func, "csrf_exempt", False):  # only views made for it
                request.resolver_match = match
                return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
