"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django_tasks_db.models import DBTaskResult

from trunkline.core import clock

BACKLOG_AGE_LIMIT = timedelta(minutes=5)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


async def _channel_layer_round_trip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("readyz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "readyz.ping", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("token") != token:
        raise RuntimeError("the channel layer returned another message")


def _channel_layer() -> dict:
    async_to_sync(_channel_layer_round_trip)()
    backend = str(settings.CHANNEL_LAYERS["default"]["BACKEND"])
    return {"ok": True, "backend": backend.rsplit(".", 1)[-1]}


def _task_backlog() -> dict:
    waiting = DBTaskResult.objects.ready()
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    stale = oldest is not None and clock.now() - oldest > BACKLOG_AGE_LIMIT
    return {"ok": not stale, "waiting": waiting.count(), "oldest_enqueued_at": oldest.isoformat() if oldest else None}


CHECKS = {"database": _database, "channel_layer": _channel_layer, "task_backlog": _task_backlog}


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: database reachable, channel layer round-trips, tasks are not piling up."""
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # a failing dependency is reported, not raised  # noqa: BLE001
            results[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    ready = all(result["ok"] for result in results.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": results}, status=200 if ready else 503)
