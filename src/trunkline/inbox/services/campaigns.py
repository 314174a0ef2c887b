"""Bulk SMS campaigns (PT-9.2, PT-9.6): audience from a contact list, opted-out recipients skipped and reported,
throttled to the channel's rate, pause / resume / cancel, per-recipient status and a progress report."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Count
from email_validator import EmailNotValidError, validate_email

from trunkline.audit.services import audit_record
from trunkline.channels.models import Channel, ChannelKind
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.money import Money
from trunkline.inbox import policy
from trunkline.inbox.errors import CampaignStateError, InvalidPhoneError
from trunkline.inbox.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    Consent,
    Contact,
    ContactIdentity,
    ContactList,
    Delivery,
    DeliveryState,
    IdentityKind,
    RecipientStatus,
    UsageRecord,
)
from trunkline.inbox.services.contacts import contact_for_email, phone_normalise
from trunkline.inbox.services.email import campaign_mime, email_text
from trunkline.inbox.services.messages import outbound_text
from trunkline.inbox.services.outbox import deliveries_send_batch


def contact_list_create(*, ctx: RequestContext, name: str) -> ContactList:
    require_scope(ctx, "campaigns:send")
    with transaction.atomic():
        contact_list = ContactList.objects.create(organization=ctx.organization, name=name)
        audit_record(ctx=ctx, action="contact_list.created", target=contact_list)
    return contact_list


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    added: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _import_email(ctx: RequestContext, email: str, name: str, report: ImportReport) -> Contact | None:
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None
    before = ContactIdentity.objects.filter(
        organization=ctx.organization, kind=IdentityKind.EMAIL, value=email
    ).exists()
    contact = contact_for_email(organization=ctx.organization, email=email, name=name)
    if not before and contact.email == email and not contact.phone:
        report.created += 1
    return contact


def contact_import_csv(*, ctx: RequestContext, contact_list_id: UUID, text: str) -> ImportReport:
    """Add the rows of a CSV (a ``phone`` or an ``email`` column, optional ``name``) to a list; each bad row is
    reported by number."""
    require_scope(ctx, "campaigns:send")
    report = ImportReport()
    with transaction.atomic():
        contact_list = ContactList.objects.select_for_update().get_for_org(ctx.organization, public_id=contact_list_id)
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        columns = {name.strip().lower(): name for name in reader.fieldnames or []}
        if "phone" not in columns and "email" not in columns:
            report.errors.append((1, "The first row must name a phone or an email column."))
            return report
        for number, row in enumerate(reader, start=2):
            report.rows += 1
            name = (row.get(columns.get("name", ""), "") or "").strip() if "name" in columns else ""
            if "phone" not in columns:
                raw_email = (row.get(columns["email"]) or "").strip()
                contact = _import_email(ctx, raw_email, name, report)
                if contact is None:
                    report.errors.append((number, f"{raw_email or '(empty)'} is not a valid email address."))
                    continue
                contact_list.contacts.add(contact)
                report.added += 1
                continue
            raw = (row.get(columns["phone"]) or "").strip()
            try:
                phone = phone_normalise(raw)
            except InvalidPhoneError:
                report.errors.append((number, f"{raw or '(empty)'} is not a valid phone number."))
                continue
            contact = Contact.objects.filter(organization=ctx.organization, phone=phone).first()
            if contact is None:
                contact = Contact.objects.create(organization=ctx.organization, phone=phone, name=name)
                ContactIdentity.objects.create(
                    organization=ctx.organization, contact=contact, kind=IdentityKind.PHONE, value=phone
                )
                report.created += 1
            raw_email = (row.get(columns["email"]) or "").strip() if "email" in columns else ""
            if raw_email and not contact.email:
                try:
                    contact.email = validate_email(raw_email, check_deliverability=False).normalized.lower()
                    contact.save(update_fields=["email", "updated_at"])
                    ContactIdentity.objects.get_or_create(
                        organization=ctx.organization,
                        kind=IdentityKind.EMAIL,
                        value=contact.email,
                        defaults={"contact": contact},
                    )
                except EmailNotValidError:
                    report.errors.append((number, f"{raw_email} is not a valid email address."))
            contact_list.contacts.add(contact)
            report.added += 1
        audit_record(
            ctx=ctx,
            action="contact_list.imported",
            target=contact_list,
            changes={"rows": report.rows, "added": report.added, "errors": len(report.errors)},
        )
    return report


def _campaign_text(*, channel: Channel, body: str, is_promotional: bool) -> tuple[str, str, int]:
    """The text as stored, its SMS encoding and segments. An email's identification and unsubscribe link are added
    per recipient when each mail is composed (PT-10.8)."""
    if channel.kind == ChannelKind.EMAIL:
        return email_text(channel=channel, body=body, is_promotional=is_promotional).body, "", 0
    text = outbound_text(channel=channel, body=body, is_promotional=is_promotional)
    return text.body, text.encoding, text.segments


def campaign_create(
    *,
    ctx: RequestContext,
    name: str,
    channel_id: UUID,
    contact_list_id: UUID,
    body: str,
    is_promotional: bool = True,
    scheduled_at: datetime | None = None,
    subject: str = "",
) -> Campaign:
    """A draft campaign. The text is stored as it will go out (with identification and opt-out text, PT-8.10)."""
    require_scope(ctx, "campaigns:send")
    with transaction.atomic():
        channel = Channel.objects.get_for_org(ctx.organization, public_id=channel_id)
        contact_list = ContactList.objects.get_for_org(ctx.organization, public_id=contact_list_id)
        text_body, encoding, segments = _campaign_text(channel=channel, body=body, is_promotional=is_promotional)
        campaign = Campaign.objects.create(
            organization=ctx.organization,
            name=name,
            channel=channel,
            contact_list=contact_list,
            subject=subject.strip()[:500],
            body=text_body,
            encoding=encoding,
            segments_per_message=segments,
            is_promotional=is_promotional,
            scheduled_at=scheduled_at,
            created_by=ctx.user,
        )
        audit_record(ctx=ctx, action="campaign.created", target=campaign)
    return campaign


def _opted_out_contact_ids(channel: Channel) -> set[int]:
    return set(Consent.objects.filter(channel=channel, opted_out_at__isnull=False).values_list("contact_id", flat=True))


def campaign_preview(*, ctx: RequestContext, campaign_id: UUID) -> dict[str, Any]:
    """Recipients, opted-out ones to skip, segments and the estimated cost, before anything is sent."""
    require_scope(ctx, "inbox:read")
    campaign = Campaign.objects.select_related("channel").get_for_org(ctx.organization, public_id=campaign_id)
    column = "email" if campaign.channel.kind == ChannelKind.EMAIL else "phone"
    audience = Contact.objects.filter(lists=campaign.contact_list).exclude(**{column: ""})
    total = audience.count()
    opted_out = (
        audience.filter(id__in=_opted_out_contact_ids(campaign.channel)).count() if campaign.is_promotional else 0
    )
    to_send = total - opted_out
    segments = to_send * campaign.segments_per_message
    cost = Money(Decimal(segments) * campaign.channel.segment_price, campaign.channel.currency)
    return {
        "recipients": total,
        "opted_out": opted_out,
        "to_send": to_send,
        "segments_per_message": campaign.segments_per_message,
        "segments": segments,
        "cost": cost,
    }


def campaign_plan(*, campaign: Campaign, at: datetime) -> tuple[int, int]:
    """Write one recipient row per phone of the audience in one INSERT … SELECT; opted-out ones are written as
    skipped (PT-9.2). A phone listed twice gets one row (the unique constraint, ON CONFLICT DO NOTHING)."""
    recipient = CampaignRecipient._meta.db_table
    contact = Contact._meta.db_table
    membership = ContactList.contacts.through._meta.db_table
    consent = Consent._meta.db_table
    opted_out_check = (
        f"EXISTS (SELECT 1 FROM {consent} k WHERE k.contact_id = c.id AND k.channel_id = %s "  # noqa: S608
        "AND k.opted_out_at IS NOT NULL)"
        if campaign.is_promotional
        else "1 = 0"
    )
    channel = [campaign.channel_id] if campaign.is_promotional else []
    address = "c.email" if campaign.channel.kind == ChannelKind.EMAIL else "c.phone"  # a column name, not input
    params: list[Any] = [campaign.pk, *channel, RecipientStatus.SKIPPED_OPTED_OUT, RecipientStatus.QUEUED, at]
    params.append(campaign.contact_list_id)
    sql = f"""
        INSERT INTO {recipient} (campaign_id, contact_id, phone, status, error, updated_at)
        SELECT %s, c.id, {address}, CASE WHEN {opted_out_check} THEN %s ELSE %s END, '', %s
        FROM {contact} c JOIN {membership} m ON m.contact_id = c.id
        WHERE m.contactlist_id = %s AND {address} <> ''
        ORDER BY c.id
        ON CONFLICT DO NOTHING
    """  # noqa: S608 (table names come from the models; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    counts = dict(
        CampaignRecipient.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return sum(counts.values()), counts.get(RecipientStatus.SKIPPED_OPTED_OUT, 0)


def _campaign_for_update(ctx: RequestContext, campaign_id: UUID) -> Campaign:
    require_scope(ctx, "campaigns:send")
    return (
        Campaign.objects.select_for_update()
        .select_related("channel")
        .get_for_org(ctx.organization, public_id=campaign_id)
    )


def campaign_start(*, ctx: RequestContext, campaign_id: UUID, at: datetime | None = None) -> Campaign:
    """Plan the recipients and start now, or at the scheduled time."""
    at = at or clock.now()
    with transaction.atomic():
        campaign = _campaign_for_update(ctx, campaign_id)
        if campaign.status != CampaignStatus.DRAFT:
            raise CampaignStateError(status=campaign.get_status_display(), action="started")
        if campaign.is_promotional:  # the channel's identification may have changed since the draft (PT-8.10)
            if campaign.channel.kind == ChannelKind.EMAIL:
                email_text(channel=campaign.channel, body=campaign.body, is_promotional=True)
            else:
                outbound_text(channel=campaign.channel, body=campaign.body, is_promotional=True)
        planned, skipped = campaign_plan(campaign=campaign, at=at)
        campaign.total = planned
        scheduled = campaign.scheduled_at is not None and campaign.scheduled_at > at
        campaign.status = CampaignStatus.SCHEDULED if scheduled else CampaignStatus.RUNNING
        campaign.started_at = None if scheduled else at
        campaign.save()
        audit_record(
            ctx=ctx, action="campaign.started", target=campaign, changes={"recipients": planned, "skipped": skipped}
        )
    return campaign


def _transition(ctx: RequestContext, campaign_id: UUID, *, allowed: tuple[str, ...], to: str, action: str) -> Campaign:
    with transaction.atomic():
        campaign = _campaign_for_update(ctx, campaign_id)
        if campaign.status not in allowed:
            raise CampaignStateError(status=campaign.get_status_display(), action=action)
        campaign.status = to
        campaign.last_tick_at = None
        campaign.send_allowance = 0
        if to == CampaignStatus.CANCELLED:
            now = clock.now()
            campaign.finished_at = now
            CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.QUEUED).update(
                status=RecipientStatus.CANCELLED, updated_at=now
            )
            Delivery.objects.filter(recipient__campaign=campaign, state=DeliveryState.PENDING).update(
                state=DeliveryState.FAILED, error_code="cancelled", error_message="The campaign was cancelled."
            )
        campaign.save()
        audit_record(ctx=ctx, action=f"campaign.{action}", target=campaign)
    return campaign


def campaign_pause(*, ctx: RequestContext, campaign_id: UUID) -> Campaign:
    return _transition(
        ctx, campaign_id, allowed=(CampaignStatus.RUNNING, CampaignStatus.SCHEDULED), to="paused", action="paused"
    )


def campaign_resume(*, ctx: RequestContext, campaign_id: UUID) -> Campaign:
    return _transition(ctx, campaign_id, allowed=(CampaignStatus.PAUSED,), to="running", action="resumed")


def campaign_cancel(*, ctx: RequestContext, campaign_id: UUID) -> Campaign:
    allowed = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    return _transition(ctx, campaign_id, allowed=allowed, to="cancelled", action="cancelled")


def _rate(channel: Channel, at: datetime) -> float:
    """The channel's rate, or its throttled rate once today's traffic passed the plan's expected volume (PT-9.6)."""
    if channel.throttle_over_expected:
        today = UsageRecord.objects.filter(channel=channel, day=at.date()).values_list("segments", flat=True).first()
        if today is not None and today > policy.expected_daily_segments(channel):
            return float(channel.throttled_rate_per_second)
    return float(channel.rate_per_second)


@dataclass
class Tick:
    sent: int
    status: str


def campaign_tick(*, campaign_id: int, at: datetime | None = None) -> Tick:
    """Send what the throttle allows since the last tick: new recipients first, then retries that are due."""
    at = at or clock.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("channel").get(pk=campaign_id)
        if campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_at and campaign.scheduled_at <= at:
            campaign.status = CampaignStatus.RUNNING
            campaign.started_at = at
        if campaign.status != CampaignStatus.RUNNING:
            campaign.save()
            return Tick(0, campaign.status)
        rate = _rate(campaign.channel, at)
        elapsed = (at - campaign.last_tick_at).total_seconds() if campaign.last_tick_at else 1.0
        allowance = min(campaign.send_allowance + max(elapsed, 0) * rate, float(policy.campaign_batch_limit()))
        budget = int(allowance)
        retry_ids = list(
            Delivery.objects.filter(
                recipient__campaign=campaign, state=DeliveryState.PENDING, next_attempt_at__lte=at
            ).values_list("pk", flat=True)[:budget]
        )
        fresh = list(
            CampaignRecipient.objects.filter(
                campaign=campaign, status=RecipientStatus.QUEUED, delivery__isnull=True
            ).values_list("pk", "contact_id", "phone")[: budget - len(retry_ids)]
        )
        opted_out = (
            set(
                Consent.objects.filter(
                    channel=campaign.channel, opted_out_at__isnull=False, contact_id__in=[row[1] for row in fresh]
                ).values_list("contact_id", flat=True)
            )
            if campaign.is_promotional
            else set()
        )
        skipped = [pk for pk, contact_id, _phone in fresh if contact_id in opted_out]  # STOP arrived meanwhile
        CampaignRecipient.objects.filter(pk__in=skipped).update(status=RecipientStatus.SKIPPED_OPTED_OUT, updated_at=at)
        created = Delivery.objects.bulk_create(
            [
                Delivery(
                    organization_id=campaign.organization_id,
                    channel=campaign.channel,
                    recipient_id=pk,
                    idempotency_key=f"campaign:{campaign.public_id}:{pk}",
                    to=phone,
                    body=campaign.body,
                    segments=campaign.segments_per_message,
                    mime=_campaign_mime(campaign, to=phone, recipient_id=pk, at=at),
                )
                for pk, contact_id, phone in fresh
                if contact_id not in opted_out
            ]
        )
        new_ids = (
            [delivery.pk for delivery in created]
            if all(d.pk for d in created)
            else list(Delivery.objects.filter(recipient_id__in=[pk for pk, *_ in fresh]).values_list("pk", flat=True))
        )
        campaign.send_allowance = allowance - len(retry_ids) - len(fresh)
        campaign.last_tick_at = at
        campaign.save()
    if retry_ids or new_ids:
        deliveries_send_batch(channel=campaign.channel, delivery_ids=[*retry_ids, *new_ids], at=at)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        open_work = CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.QUEUED).exists()
        if campaign.status == CampaignStatus.RUNNING and not open_work:
            campaign.status = CampaignStatus.COMPLETED
            campaign.finished_at = at
            campaign.save(update_fields=["status", "finished_at", "updated_at"])
            audit_record(ctx=None, action="campaign.completed", target=campaign, organization=campaign.organization)
    return Tick(len(retry_ids) + len(new_ids), campaign.status)


def _campaign_mime(campaign: Campaign, *, to: str, recipient_id: int, at: datetime) -> bytes:
    if campaign.channel.kind != ChannelKind.EMAIL:
        return b""
    return campaign_mime(
        channel=campaign.channel,
        to=to,
        subject=campaign.subject or campaign.name,
        body=campaign.body,
        is_promotional=campaign.is_promotional,
        key=f"campaign.{campaign.public_id.hex[:12]}.{recipient_id}",
        at=at,
    )


def campaign_drive(*, campaign_id: int, seconds: int = 55) -> Campaign:
    """The worker's loop: tick about every second for ``seconds`` or until the campaign stops running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tick = campaign_tick(campaign_id=campaign_id)
        if tick.status not in (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED):
            break
        time.sleep(1)
    return Campaign.objects.get(pk=campaign_id)
