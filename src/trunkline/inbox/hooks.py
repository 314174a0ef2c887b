"""Provider webhooks at ``/hooks/<provider>/<channel>/``: verify the signature → store the raw event once → answer
2xx at once → process it in a task. A bad signature is logged and answered 403; nothing is stored."""

from __future__ import annotations

import logging
from functools import partial
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from trunkline.channels.adapters import adapter_for
from trunkline.channels.adapters.base import WebhookRequest
from trunkline.channels.models import Channel, ChannelStatus
from trunkline.channels.services import inbound_event_store

logger = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _webhook_request(request: HttpRequest) -> WebhookRequest:
    urls = (request.build_absolute_uri(), f"{settings.PUBLIC_URL}{request.get_full_path()}")
    body = request.body  # before the form is parsed: the raw bytes stay readable
    return WebhookRequest(
        urls=tuple(dict.fromkeys(urls)),
        headers={name.lower(): value for name, value in request.headers.items()},
        form=dict(request.POST.lists()),
        body=body,
    )


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, provider: str, channel_id: UUID, kind: str = "message") -> HttpResponse:
    from trunkline.inbox.tasks import inbound_event_process_task

    channel = Channel.objects.filter(public_id=channel_id, provider=provider).first()
    if channel is None or channel.status != ChannelStatus.ACTIVE:
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
    parsed = adapter.parse(kind, webhook)
    event = inbound_event_store(channel=channel, kind=parsed.kind, event_key=parsed.event_key, payload=webhook.form)
    if event is not None:
        transaction.on_commit(partial(inbound_event_process_task.enqueue, event_id=event.pk))
    if provider == "twilio" and kind == "message":
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
    return HttpResponse(status=204)
