from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.tenancy.errors import ReasonRequiredError, StatusTransitionError
from trunkline.tenancy.events import organization_status_changed
from trunkline.tenancy.models import Organization, OrganizationKind, OrganizationStatus, StatusGround

EDITABLE_FIELDS = ("name", "time_zone", "language", "email", "vat_number", "address")


def organization_create(
    *,
    ctx: RequestContext | None,
    name: str,
    kind: str,
    country: str = "BG",
    time_zone: str = "Europe/Sofia",
    language: str = "bg",
    email: str = "",
    status: str = OrganizationStatus.PENDING,
) -> Organization:
    """Create an organisation. Customers and resellers are created by registration or by operator staff."""
    if ctx is not None:
        require_scope(ctx, "ops:manage")
    if kind not in OrganizationKind.values:
        raise ValidationFailedError(fields={"kind": [f"{kind!r} is not a kind of organisation."]})
    with transaction.atomic():
        organization = Organization.objects.create(
            name=name,
            kind=kind,
            country=country.upper(),
            time_zone=time_zone,
            language=language,
            email=email,
            status=status,
            status_changed_at=clock.now(),
        )
        audit_record(
            ctx=ctx,
            action="organization.created",
            target=organization,
            organization=organization,
            changes={"kind": kind, "status": status},
        )
    return organization


def organization_update(*, ctx: RequestContext, **changes: str) -> Organization:
    """Change the acting organisation's own profile (name, time zone, language, account email, and the VAT number
    and registered address its invoices carry). A VAT number is stored compact and upper case (``BG175074752``)."""
    require_scope(ctx, "organization:manage")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailedError(fields={name: ["This field cannot be changed here."] for name in sorted(unknown)})
    if "vat_number" in changes:
        changes["vat_number"] = "".join(changes["vat_number"].split()).replace("-", "").replace(".", "").upper()
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=ctx.organization.pk)
        before = {name: getattr(organization, name) for name in changes}
        for name, value in changes.items():
            setattr(organization, name, value)
        organization.full_clean()
        organization.save(update_fields=[*changes, "updated_at"])
        audit_record(
            ctx=ctx,
            action="organization.updated",
            target=organization,
            changes={name: [before[name], value] for name, value in changes.items() if before[name] != value},
        )
    return organization


# --- Lifecycle (PT-6.3, PT-6.12, PT-24.13): one service per transition, each with reason, actor, audit, notice ---

ALLOWED_FROM: dict[str, set[str]] = {
    OrganizationStatus.ACTIVE: {OrganizationStatus.PENDING, OrganizationStatus.SUSPENDED},
    OrganizationStatus.SUSPENDED: {OrganizationStatus.ACTIVE},
    OrganizationStatus.TERMINATED: {
        OrganizationStatus.PENDING,
        OrganizationStatus.ACTIVE,
        OrganizationStatus.SUSPENDED,
    },
}
VERBS: dict[str, Any] = {
    OrganizationStatus.ACTIVE: _("activated"),
    OrganizationStatus.SUSPENDED: _("suspended"),
    OrganizationStatus.TERMINATED: _("terminated"),
}


def _organization_change_status(
    *,
    ctx: RequestContext | None,
    organization_id: UUID,
    status: str,
    reason: str,
    ground: str = "",
    at: datetime | None = None,
) -> Organization:
    if ctx is not None:
        require_scope(ctx, "ops:manage")
    reason = reason.strip()
    if not reason and status != OrganizationStatus.ACTIVE:
        raise ReasonRequiredError(fields={"reason": [str(ReasonRequiredError.message_template)]})
    if ground and ground not in StatusGround.values:
        raise ValidationFailedError(fields={"ground": [f"{ground!r} is not a ground."]})
    with transaction.atomic():
        try:
            organization = Organization.objects.select_for_update().get(public_id=organization_id)
        except (Organization.DoesNotExist, ValueError):
            raise NotFoundError() from None
        previous = organization.status
        if previous not in ALLOWED_FROM[status]:
            raise StatusTransitionError(current=organization.get_status_display(), wanted=VERBS[status])
        organization.status = status
        organization.status_reason = reason
        organization.status_ground = ground
        organization.status_changed_at = at or clock.now()
        organization.status_changed_by = ctx.user if ctx else None
        organization.save()
        audit_record(
            ctx=ctx,
            action=f"organization.{status}",
            target=organization,
            organization=organization,
            changes={"status": [previous, status], "reason": reason, "ground": ground},
        )
        organization_status_changed.send(
            sender=Organization,
            organization=organization,
            previous_status=previous,
            status=status,
            reason=reason,
            ctx=ctx,
        )
    return organization


def organization_activate(
    *, ctx: RequestContext | None, organization_id: UUID, reason: str = "", at: datetime | None = None
) -> Organization:
    """A pending organisation's contract starts (registration confirmed, or provisioned by staff)."""
    return _organization_change_status(
        ctx=ctx, organization_id=organization_id, status=OrganizationStatus.ACTIVE, reason=reason, at=at
    )


def organization_suspend(
    *, ctx: RequestContext | None, organization_id: UUID, reason: str, ground: str, at: datetime | None = None
) -> Organization:
    """Suspend use of the services. Its people can still sign in, see why, and pay (PT-6.3, PT-6.12)."""
    return _organization_change_status(
        ctx=ctx,
        organization_id=organization_id,
        status=OrganizationStatus.SUSPENDED,
        reason=reason,
        ground=ground,
        at=at,
    )


def organization_reactivate(
    *, ctx: RequestContext | None, organization_id: UUID, reason: str = "", at: datetime | None = None
) -> Organization:
    """Lift a suspension."""
    return _organization_change_status(
        ctx=ctx, organization_id=organization_id, status=OrganizationStatus.ACTIVE, reason=reason, at=at
    )


def organization_terminate(
    *, ctx: RequestContext | None, organization_id: UUID, reason: str, ground: str, at: datetime | None = None
) -> Organization:
    """End the agreement: access ends at once, for people and API keys alike (PT-24.13)."""
    return _organization_change_status(
        ctx=ctx,
        organization_id=organization_id,
        status=OrganizationStatus.TERMINATED,
        reason=reason,
        ground=ground,
        at=at,
    )
