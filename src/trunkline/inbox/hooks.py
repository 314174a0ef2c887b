"""Provider webhooks at ``/hooks/<provider>/<channel>/``: verify the signature → store the raw event once → answer
2xx at once → process it in a task. A bad signature is logged and answered 403; nothing is stored.

Twilio's inbound messages and status callbacks are usually answered in front of Django by the ASGI fast lane
(``inbox/fastlane.py``, ADR 0009), which looks the channel up, verifies and accepts with the functions below; this
view answers everything the lane hands on (refusals, other content types, errors) and is the reference."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from trunkline.channels.adapters import adapter_for
from trunkline.channels.adapters.base import Adapter, WebhookRequest
from trunkline.channels.models import Channel, ChannelStatus
from trunkline.channels.services import inbound_event_store
from trunkline.core.db import prepared_rows

logger = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def webhook_channel(*, provider: str, channel_id: UUID) -> Channel | None:
    """The active channel of ``provider`` a webhook is addressed to, in one statement; None for an unknown, another
    provider's or a disabled channel (its webhooks answer 404).

    The statement and the row's conversions are built once per database (``_channel_query``): compiling the same
    ORM query, and resolving a raw query's columns, for every webhook cost more CPU than the rest of the lookup; the
    statement is prepared on each connection (``core.db``)."""
    alias = Channel.objects.db
    connection = connections[alias]
    sql, attnames, converters = _channel_query(alias)
    public_id = Channel._meta.get_field("public_id").get_db_prep_value(channel_id, connection)
    found = prepared_rows(sql, [public_id, provider, ChannelStatus.ACTIVE.value], using=alias)
    if not found:
        return None
    values = list(found[0])
    for index, functions, expression in converters:  # what the ORM's compiler applies to each value
        for convert in functions:
            values[index] = convert(values[index], expression, connection)
    return Channel.from_db(alias, attnames, values)


@cache
def _channel_query(alias: str) -> tuple[str, list[str], list[tuple[int, list[Any], Any]]]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = Channel._meta.concrete_fields
    columns = ", ".join(quote(str(field.column)) for field in fields)
    where = " AND ".join(f"{quote(name)} = %s" for name in ("public_id", "provider", "status"))
    sql = f"SELECT {columns} FROM {quote(Channel._meta.db_table)} WHERE {where} LIMIT 1"  # noqa: S608 (model's names)
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(Channel._meta.db_table)
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if functions:
            converters.append((index, functions, expression))
    return sql, [field.attname for field in fields], converters


def webhook_urls(*, absolute_url: str, full_path: str) -> tuple[str, ...]:
    """The URLs a provider may have signed: the one it called as this server saw it, and the same path under
    ``PUBLIC_URL`` (what the provider was given, when a proxy changes host or scheme on the way)."""
    return tuple(dict.fromkeys((absolute_url, f"{settings.PUBLIC_URL}{full_path}")))


def _webhook_request(request: HttpRequest) -> WebhookRequest:
    body = request.body  # before the form is parsed: the raw bytes stay readable
    return WebhookRequest(
        urls=webhook_urls(absolute_url=request.build_absolute_uri(), full_path=request.get_full_path()),
        headers={name.lower(): value for name, value in request.headers.items()},
        form=dict(request.POST.lists()),
        body=body,
    )


def webhook_accept(*, channel: Channel, adapter: Adapter, kind: str, webhook: WebhookRequest) -> HttpResponse:
    """A webhook whose signature is verified: parsed, stored once, processing requested, and the answer the provider
    expects. The one way to accept a webhook: the Django view below and the ASGI fast lane (``inbox/fastlane.py``)
    both end here."""
    from trunkline.inbox.services.inbound import inbound_processing_request

    parsed = adapter.parse(kind, webhook)
    event = inbound_event_store(channel=channel, kind=parsed.kind, event_key=parsed.event_key, payload=webhook.form)
    if event is not None:
        inbound_processing_request(channel_id=channel.pk)
    if channel.provider == "twilio" and kind == "message":
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, provider: str, channel_id: UUID, kind: str = "message") -> HttpResponse:
    channel = webhook_channel(provider=provider, channel_id=channel_id)
    if channel is None:
        return JsonResponse({"code": "not_found", "message": "Not found.", "detail": {}}, status=404)
    webhook = _webhook_request(request)
    adapter = adapter_for(channel)
    if not adapter.verify(webhook):
        logger.warning(
            "webhook signature invalid",
            extra={"provider": provider, "channel": str(channel_id), "ip": request.META.get("REMOTE_ADDR")},
        )
        return JsonResponse(
            {"code": "channels.signature_invalid", "message": "The webhook signature is not valid.", "detail": {}},
            status=403,
        )
    return webhook_accept(channel=channel, adapter=adapter, kind=kind, webhook=webhook)
