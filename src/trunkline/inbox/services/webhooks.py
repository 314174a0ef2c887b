"""Outbound webhooks to the customer's own systems: HMAC-SHA256 signed, retried with backoff, logged.

Each request carries ``X-Trunkline-Event``, ``X-Trunkline-Delivery`` and ``X-Trunkline-Signature: t=<unix time>,
v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``; the receiver recomputes it and rejects old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from trunkline.audit.services import audit_record
from trunkline.channels import secrets as channel_secrets
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import ValidationFailedError
from trunkline.inbox import policy
from trunkline.inbox.models import WebhookDelivery, WebhookEndpoint

EVENTS = ("message.created", "conversation.updated", "delivery.updated")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def webhook_endpoint_create(
    *, ctx: RequestContext, url: str, events: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; the signing secret is shown once and stored encrypted."""
    require_scope(ctx, "channels:manage")
    unknown = sorted(set(events or []) - set(EVENTS))
    if unknown:
        raise ValidationFailedError(fields={"events": [f"Unknown events: {', '.join(unknown)}."]})
    if not url.startswith(("https://", "http://")):
        raise ValidationFailedError(fields={"url": ["Use an http(s) address."]})
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization=ctx.organization,
            url=url,
            events=sorted(set(events or [])),
            secret_encrypted=channel_secrets.encrypt({"secret": secret}),
        )
        audit_record(ctx=ctx, action="webhook.created", target=endpoint, changes={"url": url})
    return endpoint, secret


def webhook_endpoint_disable(*, ctx: RequestContext, webhook_id: UUID) -> WebhookEndpoint:
    """Stop sending events to an endpoint; deliveries still pending are not retried. Its log stays."""
    require_scope(ctx, "channels:manage")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get_for_org(ctx.organization, public_id=webhook_id)
        if endpoint.is_active:
            endpoint.is_active = False
            endpoint.save(update_fields=["is_active", "updated_at"])
            WebhookDelivery.objects.filter(endpoint=endpoint, state="pending").update(
                state="failed", next_attempt_at=None, last_error="The endpoint was disabled."
            )
            audit_record(ctx=ctx, action="webhook.disabled", target=endpoint, changes={"url": endpoint.url})
    return endpoint


def webhook_emit(*, organization_id: int, event: str, data: dict[str, Any], at: datetime | None = None) -> int:
    """Queue ``event`` for every active endpoint of the organisation that wants it."""
    from trunkline.inbox.tasks import webhook_deliver_task

    at = at or clock.now()
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(organization_id=organization_id, is_active=True)
        if not endpoint.events or event in endpoint.events
    ]
    with transaction.atomic():
        for endpoint in endpoints:
            delivery = WebhookDelivery.objects.create(
                organization_id=organization_id,
                endpoint=endpoint,
                event=event,
                payload={"event": event, "created_at": at.isoformat(), "data": data},
                next_attempt_at=at,
            )
            transaction.on_commit(partial(webhook_deliver_task.enqueue, webhook_delivery_id=delivery.pk))
    return len(endpoints)


def webhook_emit_many(
    *, organization_id: int, event: str, data: Iterable[dict[str, Any]], at: datetime | None = None
) -> int:
    """``webhook_emit`` for many events of one kind: the endpoints are looked up once and the deliveries inserted in
    one statement. ``data`` is only read when some endpoint wants the event. Answers the deliveries queued."""
    from trunkline.inbox.tasks import webhook_deliver_task

    at = at or clock.now()
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(organization_id=organization_id, is_active=True)
        if not endpoint.events or event in endpoint.events
    ]
    if not endpoints:
        return 0
    deliveries = [
        WebhookDelivery(
            organization_id=organization_id,
            endpoint=endpoint,
            event=event,
            payload={"event": event, "created_at": at.isoformat(), "data": item},
            next_attempt_at=at,
        )
        for item in data
        for endpoint in endpoints
    ]
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(deliveries)
        for delivery in deliveries:
            transaction.on_commit(partial(webhook_deliver_task.enqueue, webhook_delivery_id=delivery.pk))
    return len(deliveries)


def webhook_deliver(*, webhook_delivery_id: int, at: datetime | None = None) -> WebhookDelivery:
    at = at or clock.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=webhook_delivery_id)
        if delivery.state != "pending" or (delivery.next_attempt_at and delivery.next_attempt_at > at):
            return delivery
        delivery.attempts += 1
        body = json.dumps(delivery.payload, cls=DjangoJSONEncoder, sort_keys=True).encode()
        timestamp = int(at.timestamp())
        secret = channel_secrets.decrypt(delivery.endpoint.secret_encrypted)["secret"]
        request = urllib.request.Request(  # noqa: S310 (the customer's own https endpoint)
            delivery.endpoint.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Trunkline-Webhooks/1",
                "X-Trunkline-Event": delivery.event,
                "X-Trunkline-Delivery": str(delivery.public_id),
                "X-Trunkline-Signature": f"t={timestamp},v1={sign(secret, timestamp, body)}",
            },
        )
        status: int | None = None
        error = ""
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as failure:
            status, error = int(failure.code), f"HTTP {failure.code}"
        except (OSError, ValueError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        delivery.last_status_code = status
        delivery.last_error = error[:300]
        if status is not None and 200 <= status < 300:
            delivery.state = "delivered"
            delivery.delivered_at = at
            delivery.next_attempt_at = None
        elif delivery.attempts >= policy.webhook_max_attempts():
            delivery.state = "failed"
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = at + policy.backoff(
                attempts=delivery.attempts, base_seconds=policy.webhook_retry_base_seconds()
            )
        delivery.save()
    return delivery
