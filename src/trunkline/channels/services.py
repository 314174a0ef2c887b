"""Channels: configure a provider connection (credentials encrypted at rest) and store inbound events once."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.channels.adapters import SUPPORTED_PROVIDERS
from trunkline.channels.models import Channel, InboundEvent
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import ValidationFailedError


def channel_create(
    *,
    ctx: RequestContext,
    name: str,
    provider: str,
    sender: str,
    account_id: str = "",
    credentials: dict[str, Any] | None = None,
    api_base_url: str = "",
    identification_name: str = "",
    identification_contact: str = "",
    rate_per_second: Decimal | int = 10,
    segment_price: Decimal | int = 0,
    max_attempts: int = 5,
    retry_base_seconds: int = 30,
    expected_daily_segments: int = 10_000,
) -> Channel:
    """Connect a provider. Secrets in ``credentials`` are stored encrypted; the audit trail never shows them."""
    require_scope(ctx, "channels:manage")
    if provider not in SUPPORTED_PROVIDERS:
        raise ValidationFailedError(
            fields={"provider": [_("This provider cannot be connected yet. Choose Twilio Programmable Messaging.")]}
        )
    channel = Channel(
        organization=ctx.organization,
        name=name,
        provider=provider,
        sender=sender,
        account_id=account_id,
        api_base_url=api_base_url,
        identification_name=identification_name,
        identification_contact=identification_contact,
        rate_per_second=Decimal(rate_per_second),
        segment_price=Decimal(segment_price),
        max_attempts=max_attempts,
        retry_base_seconds=retry_base_seconds,
        expected_daily_segments=expected_daily_segments,
    )
    channel.set_credentials(credentials or {})
    channel.full_clean(exclude=["credentials_encrypted", "api_base_url"])
    with transaction.atomic():
        channel.save()
        audit_record(
            ctx=ctx,
            action="channel.created",
            target=channel,
            changes={"provider": provider, "sender": sender, "credentials": sorted((credentials or {}).keys())},
        )
    return channel


def inbound_event_store(
    *, channel: Channel, kind: str, event_key: str, payload: dict[str, Any], at: datetime | None = None
) -> InboundEvent | None:
    """Keep a verified webhook as received. A duplicate (same channel and event key) answers None and stores nothing."""
    try:
        with transaction.atomic():
            return InboundEvent.objects.create(
                organization_id=channel.organization_id,
                channel=channel,
                kind=kind,
                event_key=event_key[:200],
                payload=payload,
                received_at=at or clock.now(),
            )
    except IntegrityError:
        return None
