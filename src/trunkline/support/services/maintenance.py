"""Planned maintenance notices (PT-6.7) and incidents, shown on the public status page."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.notifications.services import notice_send
from trunkline.support.errors import MaintenanceNoticeTooLateError
from trunkline.support.models import (
    MaintenanceKind,
    MaintenanceNotice,
    MaintenanceStatus,
    SupportedService,
    SupportPolicy,
)
from trunkline.support.services.calendars import require_support_staff
from trunkline.tenancy.models import Organization, OrganizationStatus


def _validated(
    *,
    title_en: str,
    title_bg: str,
    text_en: str,
    text_bg: str,
    service_codes: list[str],
    starts_at: datetime,
    ends_at: datetime | None,
) -> list[SupportedService]:
    errors: dict[str, list[str]] = {}
    for name, value in (("title_en", title_en), ("title_bg", title_bg), ("text_en", text_en), ("text_bg", text_bg)):
        if not value.strip():
            errors[name] = [_("Required in both languages.")]
    services = list(SupportedService.objects.filter(code__in=service_codes))
    if not services or len(services) != len(set(service_codes)):
        errors["services"] = [_("Choose the affected services.")]
    if ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = [_("The window must end after it starts.")]
    if errors:
        raise ValidationFailedError(fields=errors)
    return services


def affected_organizations() -> list[Organization]:
    """The customers told of planned maintenance: every active customer organisation with an account email."""
    return list(
        Organization.objects.filter(kind="customer", status=OrganizationStatus.ACTIVE).exclude(email="").order_by("pk")
    )


def maintenance_schedule(
    *,
    ctx: RequestContext,
    title_en: str,
    title_bg: str,
    text_en: str,
    text_bg: str,
    service_codes: list[str],
    starts_at: datetime,
    ends_at: datetime | None = None,
    at: datetime | None = None,
) -> MaintenanceNotice:
    """Schedule planned maintenance and announce it now to the affected customers. A start sooner than the lead time
    (24 hours by default, policy data) after the notice goes out is refused and nothing is stored or sent (PT-6.7)."""
    require_support_staff(ctx)
    at = at or clock.now()
    clock.require_aware(starts_at)
    lead = timedelta(hours=SupportPolicy.current().maintenance_notice_hours)
    if starts_at < at + lead:
        earliest = formats.date_format(clock.local(at + lead, ctx.organization.time_zone), "DATETIME_FORMAT")
        error = MaintenanceNoticeTooLateError(hours=int(lead.total_seconds() // 3600), earliest=earliest)
        error.fields = {"starts_at": [error.message]}
        error.detail = {"fields": error.fields}
        raise error
    services = _validated(
        title_en=title_en,
        title_bg=title_bg,
        text_en=text_en,
        text_bg=text_bg,
        service_codes=service_codes,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    with transaction.atomic():
        notice = MaintenanceNotice.objects.create(
            kind=MaintenanceKind.MAINTENANCE,
            title_en=title_en.strip(),
            title_bg=title_bg.strip(),
            text_en=text_en.strip(),
            text_bg=text_bg.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            notice_sent_at=at,
        )
        notice.services.set(services)
        organizations = affected_organizations()
        for organization in organizations:
            notice_send(
                organization=organization,
                kind="support.maintenance_scheduled",
                ctx=ctx,
                dedupe_key=f"maintenance:{notice.public_id}",
                context={"maintenance": notice, "services": services},
            )
        notice.notified_organizations = len(organizations)
        notice.save(update_fields=["notified_organizations", "updated_at"])
        audit_record(
            ctx=ctx,
            action="support.maintenance_scheduled",
            target=notice,
            changes={"starts_at": starts_at.isoformat(), "notified": len(organizations)},
        )
    return notice


def incident_report(
    *,
    ctx: RequestContext,
    title_en: str,
    title_bg: str,
    text_en: str,
    text_bg: str,
    service_codes: list[str],
    starts_at: datetime | None = None,
    at: datetime | None = None,
) -> MaintenanceNotice:
    """Publish an unplanned incident on the status page (no lead time: it is already happening)."""
    require_support_staff(ctx)
    at = at or clock.now()
    starts_at = starts_at or at
    services = _validated(
        title_en=title_en,
        title_bg=title_bg,
        text_en=text_en,
        text_bg=text_bg,
        service_codes=service_codes,
        starts_at=starts_at,
        ends_at=None,
    )
    with transaction.atomic():
        notice = MaintenanceNotice.objects.create(
            kind=MaintenanceKind.INCIDENT,
            title_en=title_en.strip(),
            title_bg=title_bg.strip(),
            text_en=text_en.strip(),
            text_bg=text_bg.strip(),
            starts_at=starts_at,
        )
        notice.services.set(services)
        audit_record(ctx=ctx, action="support.incident_reported", target=notice)
    return notice


def maintenance_cancel(
    *, ctx: RequestContext, notice_id: UUID, status: str = MaintenanceStatus.CANCELLED, at: datetime | None = None
) -> MaintenanceNotice:
    """Cancel planned maintenance, or mark maintenance or an incident resolved (it leaves the status page)."""
    require_support_staff(ctx)
    at = at or clock.now()
    if status not in (MaintenanceStatus.CANCELLED, MaintenanceStatus.RESOLVED):
        raise ValidationFailedError(fields={"status": [_("Choose cancelled or resolved.")]})
    with transaction.atomic():
        notice = MaintenanceNotice.objects.select_for_update().filter(public_id=notice_id).first()
        if notice is None:
            raise NotFoundError()
        notice.status = status
        if status == MaintenanceStatus.RESOLVED and (notice.ends_at is None or notice.ends_at > at):
            notice.ends_at = max(at, notice.starts_at + timedelta(seconds=1))
        notice.save(update_fields=["status", "ends_at", "updated_at"])
        audit_record(ctx=ctx, action=f"support.maintenance_{status}", target=notice)
    return notice
