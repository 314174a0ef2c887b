"""PBX configuration requests: the deadline counts working days (Bulgarian calendar) from the moment all required
information is in, and is shown to the customer (PT-15.7, PT-6.1)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError, NotFoundError
from trunkline.support.domain.bulgaria import bulgarian_holidays
from trunkline.telephony.domain.workdays import add_working_days
from trunkline.telephony.errors import ConfigurationStateError, TelephonyInvalidError
from trunkline.telephony.models import ConfigurationRequest, ConfigurationStatus, TelephonyPolicy

BUSINESS_ZONE = "Europe/Sofia"


def configuration_due_on(*, information_complete_at: datetime, working_days: int) -> date:
    """The deadline: ``working_days`` Bulgarian working days after the local date the information was complete."""
    start = clock.local(information_complete_at, BUSINESS_ZONE).date()
    return add_working_days(start, working_days, holidays=bulgarian_holidays(range(start.year, start.year + 2)))


def configuration_request_open(
    *, ctx: RequestContext, details: str, at: datetime | None = None
) -> ConfigurationRequest:
    """The customer asks for its PBX to be configured; the clock waits for the information to be complete."""
    require_scope(ctx, "telephony:manage")
    if not details.strip():
        raise TelephonyInvalidError(fields={"details": [_("Say what to configure.")]})
    with transaction.atomic():
        request = ConfigurationRequest.objects.create(organization=ctx.organization, details=details.strip())
        if at is not None:
            ConfigurationRequest.objects.filter(pk=request.pk).update(created_at=at)
        audit_record(ctx=ctx, action="telephony.configuration_requested", target=request, at=at)
    return request


def _staff(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise MissingScopeError(scope="ops:manage")


def _request_for_update(request_id: UUID) -> ConfigurationRequest:
    try:
        request: ConfigurationRequest = ConfigurationRequest.objects.select_for_update().get(public_id=request_id)
    except (ConfigurationRequest.DoesNotExist, ValueError):
        raise NotFoundError() from None
    return request


def configuration_request_information_complete(
    *, ctx: RequestContext, request_id: UUID, at: datetime | None = None
) -> ConfigurationRequest:
    """Operator staff: all required information is in; the deadline is set from now (PT-15.7)."""
    _staff(ctx)
    at = clock.require_aware(at or clock.now())
    with transaction.atomic():
        request = _request_for_update(request_id)
        if request.status != ConfigurationStatus.WAITING:
            raise ConfigurationStateError(status=request.get_status_display())
        working_days = TelephonyPolicy.current().configuration_working_days
        request.information_complete_at = at
        request.working_days = working_days
        request.due_on = configuration_due_on(information_complete_at=at, working_days=working_days)
        request.status = ConfigurationStatus.IN_PROGRESS
        request.save()
        audit_record(
            ctx=ctx,
            action="telephony.configuration_information_complete",
            target=request,
            organization=request.organization,
            changes={"due_on": request.due_on.isoformat(), "working_days": working_days},
            at=at,
        )
    return request


def configuration_request_complete(
    *, ctx: RequestContext, request_id: UUID, at: datetime | None = None
) -> ConfigurationRequest:
    """Operator staff: the configuration is done."""
    _staff(ctx)
    at = clock.require_aware(at or clock.now())
    with transaction.atomic():
        request = _request_for_update(request_id)
        if request.status != ConfigurationStatus.IN_PROGRESS:
            raise ConfigurationStateError(status=request.get_status_display())
        request.status = ConfigurationStatus.DONE
        request.completed_at = at
        request.save()
        audit_record(
            ctx=ctx,
            action="telephony.configuration_done",
            target=request,
            organization=request.organization,
            at=at,
        )
    return request
