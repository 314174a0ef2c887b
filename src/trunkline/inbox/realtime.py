"""Push inbox events to the agents' open pages over Django Channels (one group per organisation).

The page fetches what changed over HTTP when an event arrives, and again after every reconnect, so a missed event
never leaves a stale page. Call ``push`` from ``transaction.on_commit``.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import signing

logger = logging.getLogger(__name__)
TOKEN_SALT = "trunkline.inbox.ws"  # noqa: S105 (a signing salt, not a secret)
TOKEN_MAX_AGE = 12 * 3600


def group_for(organization_id: int) -> str:
    return f"inbox.{organization_id}"


def socket_token(organization_id: int, user_id: int) -> str:
    """A signed, expiring token that lets the page's WebSocket join its organisation's group."""
    return signing.dumps({"o": organization_id, "u": user_id}, salt=TOKEN_SALT)


def organization_of_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return int(data["o"])


def push(organization_id: int, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_for(organization_id), {"type": "inbox.event", "payload": payload})
    except Exception:  # a dead channel layer must not fail the write that already committed
        logger.warning("inbox push failed", exc_info=True)


def push_many(organization_id: int, payloads: list[dict[str, Any]]) -> None:
    """``push`` for many events of one organisation, in order, entering the event loop once (a batch of inbound
    messages pays one ``async_to_sync``, not one per message)."""
    layer = get_channel_layer()
    if layer is None or not payloads:
        return
    group = group_for(organization_id)

    async def send_all() -> None:
        for payload in payloads:
            await layer.group_send(group, {"type": "inbox.event", "payload": payload})

    try:
        async_to_sync(send_all)()
    except Exception:  # a dead channel layer must not fail the write that already committed
        logger.warning("inbox push failed", exc_info=True)
