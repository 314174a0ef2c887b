"""Calendars and SLA targets as data, turned into the pure engine's objects (PT-7.1 to PT-7.3)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError, NotFoundError, ValidationFailedError
from trunkline.support.domain.bulgaria import bulgarian_holidays
from trunkline.support.domain.calendar import AroundTheClock, BusinessCalendar, Calendar
from trunkline.support.domain.sla import Milestone, Target, Unit
from trunkline.support.models import (
    BusinessCalendarRecord,
    CalendarDay,
    CalendarDayKind,
    Priority,
    SlaTarget,
    SlaWarningThreshold,
    SupportPolicy,
)

# Built calendars by (record id, last change): rebuilt only when the record or one of its days changes.
_CACHE: dict[tuple[int, str], Calendar] = {}
HOLIDAY_YEARS = range(2020, 2041)


def require_support_staff(ctx: RequestContext) -> None:
    require_scope(ctx, "support:handle")
    if not ctx.is_operator:
        raise MissingScopeError(scope="support:handle")


def _version(record: BusinessCalendarRecord) -> str:
    last_day = record.days.order_by("-updated_at").values_list("updated_at", flat=True).first()
    return f"{record.updated_at.isoformat()}|{last_day.isoformat() if last_day else ''}|{record.days.count()}"


def calendar_for(record: BusinessCalendarRecord) -> Calendar:
    """The engine's calendar for a stored one: hours, zone, Bulgarian holidays and the operator's own days."""
    if record.is_around_the_clock:
        return AroundTheClock()
    key = (record.pk, _version(record))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    days = list(record.days.all())
    holidays = bulgarian_holidays(HOLIDAY_YEARS) if record.has_bulgarian_holidays else frozenset()
    calendar = BusinessCalendar(
        zone=record.zone,
        opens=record.opens,
        closes=record.closes,
        weekdays=frozenset(int(day) for day in record.weekdays),
        holidays=holidays | {day.date for day in days if day.kind == CalendarDayKind.HOLIDAY},
        working_days=frozenset(day.date for day in days if day.kind == CalendarDayKind.WORKING_DAY),
    )
    for stale in [k for k in _CACHE if k[0] == record.pk]:
        del _CACHE[stale]
    _CACHE[key] = calendar
    return calendar


def targets_for(priority: str) -> dict[Milestone, tuple[Target, BusinessCalendarRecord]]:
    """The policy of one priority: each milestone's target and the calendar it counts on."""
    rows = SlaTarget.objects.filter(priority=priority).select_related("calendar")
    return {Milestone(row.milestone): (Target(row.amount, Unit(row.unit)), row.calendar) for row in rows}


def _recompute_open_tickets_later() -> None:
    from trunkline.support.tasks import sla_recompute_open_task

    transaction.on_commit(partial(sla_recompute_open_task.enqueue))


def calendar_day_add(*, ctx: RequestContext, calendar_id: UUID, day: date, kind: str, name: str = "") -> CalendarDay:
    """Add an extra holiday or a decreed working day; open tickets' deadlines are recomputed after commit."""
    require_support_staff(ctx)
    if kind not in CalendarDayKind.values:
        raise ValidationFailedError(fields={"kind": [_("Choose a holiday or a working day.")]})
    with transaction.atomic():
        record = BusinessCalendarRecord.objects.select_for_update().filter(public_id=calendar_id).first()
        if record is None:
            raise NotFoundError()
        calendar_day, _created = CalendarDay.objects.update_or_create(
            calendar=record, date=day, defaults={"kind": kind, "name": name.strip()}
        )
        record.save(update_fields=["updated_at"])  # a new version of the calendar for the cache
        audit_record(
            ctx=ctx, action="support.calendar_day_set", target=record, changes={"date": str(day), "kind": kind}
        )
        _recompute_open_tickets_later()
    return calendar_day


def sla_target_update(*, ctx: RequestContext, priority: str, milestone: str, amount: int, unit: str) -> SlaTarget:
    """Change one SLA target (policy data); open tickets' deadlines are recomputed after commit."""
    require_support_staff(ctx)
    errors: dict[str, list[Any]] = {}
    if priority not in Priority.values:
        errors["priority"] = [_("Choose a priority.")]
    if milestone not in Milestone.__members__.values():
        errors["milestone"] = [_("Choose a milestone.")]
    if unit not in ("hours", "days"):
        errors["unit"] = [_("Choose hours or days.")]
    if amount < 1:
        errors["amount"] = [_("A target is at least 1.")]
    if errors:
        raise ValidationFailedError(fields=errors)
    with transaction.atomic():
        target = SlaTarget.objects.select_for_update().filter(priority=priority, milestone=milestone).first()
        if target is None:
            raise NotFoundError()
        before = f"{target.amount} {target.unit}"
        target.amount, target.unit = amount, unit
        target.save(update_fields=["amount", "unit", "updated_at"])
        audit_record(
            ctx=ctx,
            action="support.sla_target_changed",
            target=target,
            changes={"priority": priority, "milestone": milestone, "from": before, "to": f"{amount} {unit}"},
        )
        _recompute_open_tickets_later()
    return target


def calendar_day_remove(*, ctx: RequestContext, calendar_id: UUID, day: date) -> None:
    """Remove one of the operator's own days; open tickets' deadlines are recomputed after commit."""
    require_support_staff(ctx)
    with transaction.atomic():
        record = BusinessCalendarRecord.objects.select_for_update().filter(public_id=calendar_id).first()
        if record is None:
            raise NotFoundError()
        deleted, _rows = CalendarDay.objects.filter(calendar=record, date=day).delete()
        if deleted:
            record.save(update_fields=["updated_at"])  # a new version of the calendar for the cache
            audit_record(ctx=ctx, action="support.calendar_day_removed", target=record, changes={"date": str(day)})
            _recompute_open_tickets_later()


def support_policy_update(
    *,
    ctx: RequestContext,
    maintenance_notice_hours: int,
    team_email: str,
    warning_percents: list[int],
    warning_minutes: list[int],
) -> SupportPolicy:
    """Change the support-wide numbers: maintenance lead time, the team's address, and the warning thresholds."""
    require_support_staff(ctx)
    errors: dict[str, list[Any]] = {}
    if maintenance_notice_hours < 24:
        errors["maintenance_notice_hours"] = [_("The rules require at least 24 hours (PT-6.7).")]
    if any(not 1 <= percent <= 99 for percent in warning_percents):
        errors["warning_percents"] = [_("Use percentages from 1 to 99.")]
    if any(minutes < 1 for minutes in warning_minutes):
        errors["warning_minutes"] = [_("Use whole minutes, at least 1.")]
    if errors:
        raise ValidationFailedError(fields=errors)
    with transaction.atomic():
        policy = SupportPolicy.current()
        policy = SupportPolicy.objects.select_for_update().get(pk=policy.pk)
        policy.maintenance_notice_hours = maintenance_notice_hours
        policy.team_email = team_email.strip().lower()
        policy.save()
        SlaWarningThreshold.objects.all().delete()
        SlaWarningThreshold.objects.bulk_create(
            [SlaWarningThreshold(percent=percent) for percent in sorted(set(warning_percents))]
            + [SlaWarningThreshold(minutes_before=minutes) for minutes in sorted(set(warning_minutes))]
        )
        audit_record(
            ctx=ctx,
            action="support.policy_changed",
            target=policy,
            changes={
                "maintenance_notice_hours": maintenance_notice_hours,
                "warning_percents": sorted(set(warning_percents)),
                "warning_minutes": sorted(set(warning_minutes)),
            },
        )
        _recompute_open_tickets_later()
    return policy
