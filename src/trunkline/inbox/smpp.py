"""The inbox side of SMPP sessions: every ``deliver_sm`` a channel's bind receives is stored once by its event key and
processed in batches by ``inbound_events_process_task``, the same pipeline the Twilio webhooks feed."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from trunkline.channels.adapters.smpp import DEFAULT_PORT
from trunkline.channels.models import Channel
from trunkline.channels.services import inbound_event_store
from trunkline.channels.smpp_session import SmppSession
from trunkline.inbox import policy


def smpp_event_store(*, channel: Channel, kind: str, event_key: str, payload: dict[str, Any]) -> bool:
    """Keep one received ``deliver_sm`` (a duplicate is ignored) and have it processed; True when new."""
    from trunkline.inbox.services.inbound import inbound_processing_request

    with transaction.atomic():
        event = inbound_event_store(channel=channel, kind=kind, event_key=event_key, payload=payload)
        if event is not None:
            inbound_processing_request(channel_id=channel.pk)
    return event is not None


def smpp_session_for(channel: Channel) -> SmppSession:
    """The long-lived transceiver bind of ``channel`` (settings from the channel, backoff from policy)."""
    settings = channel.settings

    def store(kind: str, event_key: str, payload: dict[str, Any]) -> bool:
        return smpp_event_store(channel=channel, kind=kind, event_key=event_key, payload=payload)

    return SmppSession(
        host=str(settings.get("host", "")),
        port=int(settings.get("port", DEFAULT_PORT)),
        system_id=channel.account_id,
        password=str(channel.credentials.get("password", "")),
        system_type=str(settings.get("system_type", "")),
        gsm7_packed=settings.get("gsm7_packing") == "packed",
        dlr_id_format=str(settings.get("dlr_id_format", "same")),
        enquire_link_seconds=float(settings.get("enquire_link_seconds", 30)),
        timeout=float(settings.get("response_timeout_seconds", 10)),
        reconnect_base_seconds=policy.smpp_reconnect_base_seconds(),
        reconnect_max_seconds=policy.smpp_reconnect_max_seconds(),
        store=store,
        name=f"channel {channel.pk}",
    )
