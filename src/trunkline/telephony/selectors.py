"""Tenant-scoped reads of the PBX: numbers, trunks, calls, statistics per day and hour, CSV export (PT-15.1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet

from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.telephony.domain.statistics import Tally
from trunkline.telephony.models import (
    BusinessNumber,
    CallAttempt,
    CallRecord,
    Carrier,
    ConfigurationRequest,
    Disposition,
    TelephonyAccount,
    Trunk,
    UserNumber,
    VoiceAsset,
)


def _reader(ctx: RequestContext) -> None:
    require_scope(ctx, "telephony:manage")


def user_number_list(*, ctx: RequestContext) -> QuerySet[UserNumber]:
    _reader(ctx)
    return (
        UserNumber.objects.for_org(ctx.organization)
        .select_related("greeting", "music")
        .prefetch_related(Prefetch("business_numbers", queryset=BusinessNumber.objects.order_by("position", "pk")))
    )


def user_number_get(*, ctx: RequestContext, public_id: Any) -> UserNumber:
    try:
        return user_number_list(ctx=ctx).get(public_id=public_id)
    except (UserNumber.DoesNotExist, ValueError, ValidationError):
        raise NotFoundError() from None


def business_number_get(*, ctx: RequestContext, public_id: Any) -> BusinessNumber:
    _reader(ctx)
    business_number: BusinessNumber = BusinessNumber.objects.select_related("user_number").get_for_org(
        ctx.organization, public_id=public_id
    )
    return business_number


def trunk_list(*, ctx: RequestContext) -> QuerySet[Trunk]:
    _reader(ctx)
    return Trunk.objects.for_org(ctx.organization)


def trunk_get(*, ctx: RequestContext, public_id: Any) -> Trunk:
    try:
        return trunk_list(ctx=ctx).get(public_id=public_id)
    except (Trunk.DoesNotExist, ValueError, ValidationError):
        raise NotFoundError() from None


def configuration_request_list(*, ctx: RequestContext) -> QuerySet[ConfigurationRequest]:
    _reader(ctx)
    return ConfigurationRequest.objects.for_org(ctx.organization)


def voice_asset_list(*, ctx: RequestContext) -> QuerySet[VoiceAsset]:
    _reader(ctx)
    return VoiceAsset.objects.for_org(ctx.organization)


def _operator(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:read")
    if not ctx.is_operator:
        raise NotFoundError()


def carrier_list(*, ctx: RequestContext) -> QuerySet[Carrier]:
    """Operator staff: the upstream carriers."""
    _operator(ctx)
    return Carrier.objects.order_by("name", "pk")


def trunk_list_all(*, ctx: RequestContext) -> QuerySet[Trunk]:
    """Operator staff: every customer's trunks."""
    _operator(ctx)
    return Trunk.objects.select_related("organization").order_by("organization__name", "name", "pk")


def configuration_request_list_all(*, ctx: RequestContext, status: str = "") -> QuerySet[ConfigurationRequest]:
    """Operator staff: configuration requests of every customer, open ones first by deadline."""
    _operator(ctx)
    requests = ConfigurationRequest.objects.select_related("organization")
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("completed_at", "due_on", "created_at")


def voice_asset_list_all(*, ctx: RequestContext, status: str = "") -> QuerySet[VoiceAsset]:
    """Operator staff: every customer's music and voice messages."""
    _operator(ctx)
    assets = VoiceAsset.objects.select_related("organization")
    if status:
        assets = assets.filter(status=status)
    return assets.order_by("-created_at", "pk")


def voice_asset_get(*, ctx: RequestContext, public_id: Any) -> VoiceAsset:
    """One asset: the organisation's own, or any for operator staff."""
    try:
        if ctx.is_operator:
            _operator(ctx)
            asset: VoiceAsset = VoiceAsset.objects.select_related("organization").get(public_id=public_id)
            return asset
        _reader(ctx)
        return VoiceAsset.objects.for_org(ctx.organization).get(public_id=public_id)
    except (VoiceAsset.DoesNotExist, ValueError, ValidationError):
        raise NotFoundError() from None


def asset_usage(*, ctx: RequestContext) -> dict[int, list[tuple[str, str]]]:
    """Where each of the organisation's assets plays: asset id → [(User Number, "greeting" | "music" | "message")]."""
    _reader(ctx)
    usage: dict[int, list[tuple[str, str]]] = {}
    for user_number in UserNumber.objects.for_org(ctx.organization).select_related("hours"):
        for role, asset_id in (("greeting", user_number.greeting_id), ("music", user_number.music_id)):
            if asset_id:
                usage.setdefault(asset_id, []).append((user_number.number, role))
        hours = getattr(user_number, "hours", None)
        if hours is not None and hours.is_enabled and hours.message_id and hours.after_hours == "message":
            usage.setdefault(hours.message_id, []).append((user_number.number, "message"))
    return usage


def telephony_account_of(*, ctx: RequestContext) -> TelephonyAccount | None:
    return TelephonyAccount.objects.filter(organization=ctx.organization).first()


def call_list(
    *,
    ctx: RequestContext,
    start: datetime | None = None,
    end: datetime | None = None,
    user_number_id: UUID | None = None,
) -> QuerySet[CallRecord]:
    """Calls that started in ``[start, end)``, newest first, with their attempts."""
    _reader(ctx)
    calls = (
        CallRecord.objects.for_org(ctx.organization)
        .select_related("user_number")
        .prefetch_related(Prefetch("attempts", queryset=CallAttempt.objects.order_by("position")))
    )
    if start is not None:
        calls = calls.filter(started_at__gte=start)
    if end is not None:
        calls = calls.filter(started_at__lt=end)
    if user_number_id is not None:
        calls = calls.filter(user_number__public_id=user_number_id)
    return calls


def calls_in_progress(*, ctx: RequestContext) -> QuerySet[CallRecord]:
    return call_list(ctx=ctx).filter(disposition=Disposition.IN_PROGRESS)


@dataclass
class Statistics:
    zone: str
    group: str
    total: Tally
    buckets: list[tuple[str, Tally]]
    by_user_number: list[tuple[str, Tally]]
    by_business_number: list[tuple[str, Tally]]
    rejected: int


def _label(at: datetime, zone: ZoneInfo, group: str) -> str:
    local = at.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:00") if group == "hour" else local.strftime("%Y-%m-%d")


def call_statistics(
    *, ctx: RequestContext, start: datetime, end: datetime, group: str = "day", zone: str | None = None
) -> Statistics:
    """Calls, answered, missed, busy, ASR and ACD in ``[start, end)`` per day or hour of the organisation's time zone,
    per User Number and per business number (each business number's own attempts). Rejected calls are counted
    apart: they never reached the hunt."""
    tz = ZoneInfo(zone or ctx.organization.time_zone or "UTC")
    if group not in ("day", "hour"):
        group = "day"
    calls = list(call_list(ctx=ctx, start=start, end=end))
    total = Tally()
    buckets: dict[str, Tally] = {}
    per_user_number: dict[str, Tally] = {}
    per_business_number: dict[str, Tally] = {}
    rejected = 0
    for call in calls:
        if call.disposition == Disposition.REJECTED:
            rejected += 1
            continue
        if call.disposition == Disposition.IN_PROGRESS:
            continue
        total.add(disposition=call.disposition, duration_seconds=call.duration_seconds)
        buckets.setdefault(_label(call.started_at, tz, group), Tally()).add(
            disposition=call.disposition, duration_seconds=call.duration_seconds
        )
        if call.user_number is not None:
            per_user_number.setdefault(call.user_number.number, Tally()).add(
                disposition=call.disposition, duration_seconds=call.duration_seconds
            )
        for attempt in call.attempts.all():
            duration = call.duration_seconds if attempt.outcome == Disposition.ANSWERED else 0
            per_business_number.setdefault(attempt.number, Tally()).add(
                disposition=attempt.outcome, duration_seconds=duration
            )
    return Statistics(
        zone=str(tz),
        group=group,
        total=total,
        buckets=_fill(buckets, start=start, end=end, zone=tz, group=group),
        by_user_number=sorted(per_user_number.items()),
        by_business_number=sorted(per_business_number.items()),
        rejected=rejected,
    )


def _fill(
    buckets: dict[str, Tally], *, start: datetime, end: datetime, zone: ZoneInfo, group: str
) -> list[tuple[str, Tally]]:
    """Every day (or hour) of the period, empty ones included, so a chart has no gaps."""
    out: list[tuple[str, Tally]] = []
    step = timedelta(hours=1) if group == "hour" else timedelta(days=1)
    cursor = start
    seen: set[str] = set()
    limit = 24 * 62
    while cursor < end and len(out) < limit:
        label = _label(cursor, zone, group)
        if label not in seen:
            seen.add(label)
            out.append((label, buckets.get(label, Tally())))
        cursor += step
    for label in sorted(set(buckets) - seen):
        out.append((label, buckets[label]))
    return sorted(out)


CSV_COLUMNS = [
    "call_id",
    "direction",
    "started_at",
    "answered_at",
    "ended_at",
    "disposition",
    "sip_code",
    "a_number",
    "b_number",
    "user_number",
    "answered_by",
    "duration_seconds",
    "attempts",
]


def calls_csv(calls: Iterable[CallRecord]) -> str:
    """The calls as CSV, one row per call; attempts as ``number:code`` joined by ``;``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for call in calls:
        writer.writerow(
            [
                call.call_id,
                call.direction,
                call.started_at.isoformat(),
                call.answered_at.isoformat() if call.answered_at else "",
                call.ended_at.isoformat() if call.ended_at else "",
                call.disposition,
                call.sip_code or "",
                _safe(call.a_number),
                _safe(call.b_number),
                call.user_number.number if call.user_number else "",
                call.answered_by,
                call.duration_seconds,
                ";".join(f"{attempt.number}:{attempt.sip_code}" for attempt in call.attempts.all()),
            ]
        )
    return buffer.getvalue()


def _safe(value: str) -> str:
    """No spreadsheet formulas from caller-controlled text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not value[1:].isdigit() else value


def day_range(day: date, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start, start + timedelta(days=1)
