"""``Idempotency-Key`` on POST: a retried request gets the first response back and writes nothing twice.

The key is scoped to who sent it (an API key's digest or the signed-in user), so one client never sees another's
response. The same key with a different body is refused (422); a retry that arrives while the first request is still
running is refused (409) so the client retries later. Server errors (5xx) and authentication failures are not kept,
so the client may retry them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from trunkline.accounts.auth import bearer_token
from trunkline.accounts.keys import key_digest
from trunkline.accounts.models import IdempotencyRecord
from trunkline.core import clock

HEADER = "Idempotency-Key"
API_PREFIX = "/api/"
NOT_KEPT = {401, 403, 429}


def _principal(request: HttpRequest) -> str | None:
    token = bearer_token(request)
    if token:
        return f"key:{key_digest(token)[:40]}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "detail": {}}, status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if not 1 <= len(key) <= 255:
            return _error(422, "idempotency.key_invalid", "The Idempotency-Key header must be 1 to 255 characters.")
        principal = _principal(request)
        if principal is None:
            return self.get_response(request)  # the API answers 401; nothing to remember
        fingerprint = hashlib.sha256(request.method.encode() + request.path.encode() + b"\0" + request.body).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    principal=principal, key=key, fingerprint=fingerprint, created_at=clock.now()
                )
        except IntegrityError:
            return self._replay(principal, key, fingerprint)
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500 or response.status_code in NOT_KEPT or response.streaming:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
            completed_at=clock.now(),
        )
        return response

    def _replay(self, principal: str, key: str, fingerprint: str) -> HttpResponse:
        record = IdempotencyRecord.objects.get(principal=principal, key=key)
        if record.fingerprint != fingerprint:
            return _error(
                422, "idempotency.key_reused", "This Idempotency-Key was already used for a different request."
            )
        if record.status_code is None:
            return _error(409, "idempotency.in_progress", "A request with this Idempotency-Key is still running.")
        response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
        response["Idempotent-Replayed"] = "true"
        return response
