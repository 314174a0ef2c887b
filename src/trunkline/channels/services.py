"""Channels: configure a provider connection (credentials encrypted at rest) and store inbound events once."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connections, transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.channels.adapters import SUPPORTED_PROVIDERS
from trunkline.channels.domain.email import event_key_for
from trunkline.channels.email_settings import email_settings_clean
from trunkline.channels.models import Channel, ChannelKind, ChannelStatus, InboundEvent, Provider
from trunkline.channels.signals import inbound_event_kept
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.db import prepared_rows
from trunkline.core.errors import ValidationFailedError


def channel_create(
    *,
    ctx: RequestContext,
    name: str,
    provider: str,
    sender: str,
    kind: str = ChannelKind.SMS,
    settings: dict[str, Any] | None = None,
    account_id: str = "",
    credentials: dict[str, Any] | None = None,
    api_base_url: str = "",
    identification_name: str = "",
    identification_contact: str = "",
    append_identification: bool = True,
    rate_per_second: Decimal | int = 10,
    segment_price: Decimal | int = 0,
    max_attempts: int = 5,
    retry_base_seconds: int = 30,
    expected_daily_segments: int | None = None,
    throttle_over_expected: bool = False,
    throttled_rate_per_second: Decimal | int = 1,
) -> Channel:
    """Connect a provider. Secrets in ``credentials`` are stored encrypted; the audit trail never shows them.

    An email channel (``kind="email"``, provider ``smtp``) takes its address as ``sender``, its servers in
    ``settings`` and its passwords and DKIM key in ``credentials`` (see ``email_settings.email_settings_clean``)."""
    require_scope(ctx, "channels:manage")
    if provider not in SUPPORTED_PROVIDERS:
        raise ValidationFailedError(
            fields={
                "provider": [
                    _(
                        "This provider cannot be connected yet. "
                        "Choose Twilio Programmable Messaging, SMPP 3.4 or email (SMTP)."
                    )
                ]
            }
        )
    if (kind == ChannelKind.EMAIL) != (provider == Provider.SMTP):
        raise ValidationFailedError(
            fields={"kind": [_("Email channels use the email (SMTP) provider, and only they.")]}
        )
    settings = dict(settings or {})
    if kind == ChannelKind.EMAIL:
        sender, settings = email_settings_clean(sender=sender, settings=settings, credentials=credentials or {})
    elif provider == Provider.SMPP:
        settings = _smpp_settings(settings, system_id=account_id, credentials=credentials or {})
    channel = Channel(
        organization=ctx.organization,
        name=name,
        kind=kind,
        provider=provider,
        sender=sender,
        settings=settings,
        account_id=account_id,
        api_base_url=api_base_url,
        identification_name=identification_name,
        identification_contact=identification_contact,
        append_identification=append_identification,
        rate_per_second=Decimal(rate_per_second),
        segment_price=Decimal(segment_price),
        max_attempts=max_attempts,
        retry_base_seconds=retry_base_seconds,
        expected_daily_segments=expected_daily_segments,
        throttle_over_expected=throttle_over_expected,
        throttled_rate_per_second=Decimal(throttled_rate_per_second),
    )
    channel.set_credentials(credentials or {})
    channel.full_clean(exclude=["credentials_encrypted", "api_base_url"])
    with transaction.atomic():
        channel.save()
        audit_record(
            ctx=ctx,
            action="channel.created",
            target=channel,
            changes={
                "provider": provider,
                "kind": kind,
                "sender": sender,
                "settings": settings,  # never secret: secrets are refused there (email_settings_clean, _smpp_settings)
                "credentials": sorted((credentials or {}).keys()),
            },
        )
    return channel


SMPP_CHOICES = {
    "gsm7_packing": ("unpacked", "packed"),
    "send_bind": ("transmitter", "transceiver"),
    "dlr_id_format": ("same", "dec_to_hex", "hex_to_dec"),
}
SMPP_NUMBERS = {
    "port": (1, 65535, 2775),
    "enquire_link_seconds": (5, 600, 30),
    "response_timeout_seconds": (1, 120, 10),
}


def _smpp_settings(values: dict[str, Any], *, system_id: str, credentials: dict[str, Any]) -> dict[str, Any]:
    """SMPP 3.4 settings checked against the spec's field sizes (system_id 15, password 8, system_type 12 octets)."""
    errors: dict[str, list[str]] = {}
    host = str(values.get("host", "")).strip()
    if not host or len(host) > 253 or any(char.isspace() for char in host):
        errors["settings.host"] = [_("Enter the SMSC's host name or IP address.")]
    if not system_id or len(system_id) > 15:
        errors["account_id"] = [_("Enter the system_id the SMSC gave you (at most 15 characters).")]
    password = str(credentials.get("password", ""))
    if not password or len(password) > 8:
        errors["credentials.password"] = [_("Enter the SMPP password (at most 8 characters).")]
    clean: dict[str, Any] = {"host": host, "system_type": str(values.get("system_type", "")).strip()}
    if len(clean["system_type"]) > 12:
        errors["settings.system_type"] = [_("system_type has at most 12 characters.")]
    for name, choices in SMPP_CHOICES.items():
        clean[name] = str(values.get(name, choices[0]))
        if clean[name] not in choices:
            errors[f"settings.{name}"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}]
    for name, (low, high, default) in SMPP_NUMBERS.items():
        try:
            clean[name] = int(values.get(name, default))
        except (TypeError, ValueError):
            clean[name] = None
        if clean[name] is None or not low <= clean[name] <= high:
            errors[f"settings.{name}"] = [
                _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            ]
    unknown = sorted(set(values) - set(clean))
    if unknown:
        errors["settings"] = [_("Unknown SMPP settings: %(names)s.") % {"names": ", ".join(unknown)}]
    if errors:
        raise ValidationFailedError(fields=errors)
    return clean


KEEP: Any = object()  # "leave this as it is" for channel_update's optional values


def channel_update(
    *,
    ctx: RequestContext,
    channel_id: UUID,
    name: str | None = None,
    sender: str | None = None,
    identification_name: str | None = None,
    identification_contact: str | None = None,
    append_identification: bool | None = None,
    rate_per_second: Decimal | None = None,
    segment_price: Decimal | None = None,
    expected_daily_segments: int | None = KEEP,
    throttle_over_expected: bool | None = None,
    throttled_rate_per_second: Decimal | None = None,
    account_id: str | None = None,
    api_base_url: str | None = None,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
) -> Channel:
    """Change a channel's name, identification, rate and policy, or its provider settings. ``credentials`` replace
    only the secrets given (a rotated token); the others stay. ``expected_daily_segments=None`` follows the plan."""
    require_scope(ctx, "channels:manage")
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get_for_org(ctx.organization, public_id=channel_id)
        values = {
            "name": name,
            "sender": sender,
            "identification_name": identification_name,
            "identification_contact": identification_contact,
            "append_identification": append_identification,
            "rate_per_second": rate_per_second,
            "segment_price": segment_price,
            "throttle_over_expected": throttle_over_expected,
            "throttled_rate_per_second": throttled_rate_per_second,
            "account_id": account_id,
            "api_base_url": api_base_url,
        }
        changes: dict[str, Any] = {}
        for field, value in values.items():
            if value is not None and getattr(channel, field) != value:
                changes[field] = [str(getattr(channel, field)), str(value)]
                setattr(channel, field, value)
        if expected_daily_segments is not KEEP and channel.expected_daily_segments != expected_daily_segments:
            changes["expected_daily_segments"] = [channel.expected_daily_segments, expected_daily_segments]
            channel.expected_daily_segments = expected_daily_segments
        secrets = {**channel.credentials, **(credentials or {})}
        if settings is not None:
            if channel.kind == ChannelKind.EMAIL:
                channel.sender, settings = email_settings_clean(
                    sender=channel.sender, settings=settings, credentials=secrets
                )
            elif channel.provider == Provider.SMPP:
                settings = _smpp_settings(settings, system_id=channel.account_id, credentials=secrets)
            if settings != channel.settings:
                changes["settings"] = settings  # never secret: secrets are refused there
                channel.settings = settings
        if credentials:
            channel.set_credentials(secrets)
            changes["credentials"] = sorted(credentials)  # which secrets were replaced, never their values
        channel.full_clean(exclude=["credentials_encrypted", "api_base_url"])
        channel.save()
        audit_record(ctx=ctx, action="channel.updated", target=channel, changes=changes)
    return channel


def _channel_set_status(*, ctx: RequestContext, channel_id: UUID, status: str) -> Channel:
    require_scope(ctx, "channels:manage")
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get_for_org(ctx.organization, public_id=channel_id)
        if channel.status != status:
            previous = channel.status
            channel.status = status
            channel.save(update_fields=["status", "updated_at"])
            audit_record(ctx=ctx, action=f"channel.{status}", target=channel, changes={"status": [previous, status]})
    return channel


def channel_disable(*, ctx: RequestContext, channel_id: UUID) -> Channel:
    """Stop a channel: its webhooks answer 404 and nothing more is sent through it; history stays."""
    return _channel_set_status(ctx=ctx, channel_id=channel_id, status=ChannelStatus.DISABLED)


def channel_enable(*, ctx: RequestContext, channel_id: UUID) -> Channel:
    return _channel_set_status(ctx=ctx, channel_id=channel_id, status=ChannelStatus.ACTIVE)


def inbound_event_store(
    *, channel: Channel, kind: str, event_key: str, payload: dict[str, Any], at: datetime | None = None
) -> InboundEvent | None:
    """Keep a verified webhook as received. A duplicate (same channel and event key) answers None and stores nothing.

    One statement, ``INSERT … ON CONFLICT DO NOTHING RETURNING id``, in autocommit: the webhook's hot path pays one
    round trip for it (no transaction, no savepoint, no exception for a duplicate)."""
    at = at or clock.now()
    event = InboundEvent(
        organization_id=channel.organization_id,
        channel=channel,
        kind=kind,
        event_key=event_key[:200],
        payload=payload,
        received_at=at,
        created_at=at,
        updated_at=at,
    )
    fields = [field for field in InboundEvent._meta.concrete_fields if not field.primary_key]
    connection = connections[InboundEvent.objects.db]
    quote = connection.ops.quote_name
    values = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
    table = quote(InboundEvent._meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    conflict = f"ON CONFLICT ({quote('channel_id')}, {quote('event_key')}) DO NOTHING RETURNING {quote('id')}"
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) {conflict}"  # noqa: S608 (model's names, quoted)
    inserted = prepared_rows(sql, values, using=connection.alias)
    if not inserted:
        return None
    event.pk = inserted[0][0]
    event._state.adding = False
    event._state.db = connection.alias
    return event


INBOUND_EMAIL_SOURCES = ("imap", "smtp")


def inbound_email_store(
    *,
    channel: Channel,
    raw: bytes,
    source: str,
    mail_from: str = "",
    rcpt_to: Sequence[str] = (),
    ref: str = "",
    at: datetime | None = None,
) -> InboundEvent | None:
    """Keep one received email exactly as it arrived, from IMAP or the inbound SMTP receiver (one pipeline for both).

    The event key is ``email:<Message-ID>`` (normalised) or ``email-sha256:<digest of the bytes>`` when it has none,
    so the same message fetched twice, or received both ways, is stored once: a duplicate answers None. Nothing is
    parsed beyond the Message-ID, so malformed mail is stored as received. The payload (the inbox's contract):
    ``{"source": "imap"|"smtp", "raw": <base64 of the bytes>, "mail_from": ..., "rcpt_to": [...], "ref": ...}``."""
    if source not in INBOUND_EMAIL_SOURCES:
        raise ValueError(f"Unknown inbound email source {source!r}.")
    payload = {
        "source": source,
        "raw": base64.b64encode(raw).decode("ascii"),
        "mail_from": mail_from,
        "rcpt_to": list(rcpt_to),
        "ref": ref,
    }
    return inbound_event_store(channel=channel, kind="message", event_key=event_key_for(raw), payload=payload, at=at)


def inbound_event_keep(*, channel: Channel, kind: str, key: str, payload: dict[str, Any]) -> bool:
    """Store an event that arrived outside the inbox's own paths (a deliver_sm on a sending bind) and announce it
    (``signals.inbound_event_kept``), so the inbox has it processed as it would a webhook's. True when new."""
    if inbound_event_store(channel=channel, kind=kind, event_key=key, payload=payload) is None:
        return False
    inbound_event_kept.send(sender=Channel, channel_id=channel.pk)
    return True


def channel_inbound_request(*, channel_id: int, at: datetime | None = None) -> bool:
    """Mark that the channel has inbound events to process; True only when no request was pending before.

    One conditional ``UPDATE … WHERE inbound_requested_at IS NULL``: of all the events stored while a request is
    pending, only the first one's caller enqueues the processing task (``inbox.services.inbound``)."""
    at = at or clock.now()
    connection = connections[Channel.objects.db]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Channel._meta.db_table)} SET {quote('inbound_requested_at')} = %s "  # noqa: S608 (model's names)
        f"WHERE {quote('id')} = %s AND {quote('inbound_requested_at')} IS NULL RETURNING {quote('id')}"
    )
    # a raw statement, prepared on each connection (core.db): every webhook runs it, and the ORM compiled it anew
    updated = prepared_rows(sql, [connection.ops.adapt_datetimefield_value(at), channel_id], using=connection.alias)
    return bool(updated)


def channel_inbound_request_clear(*, channel_id: int) -> None:
    """The processing task has started: an event stored from now on requests processing again. Called before the
    task claims anything, so no event is left between the last claim and the clearing."""
    Channel.objects.filter(pk=channel_id, inbound_requested_at__isnull=False).update(inbound_requested_at=None)
