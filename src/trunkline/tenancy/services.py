from __future__ import annotations

from django.db import transaction

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import ValidationFailedError
from trunkline.tenancy.models import Organization, OrganizationKind, OrganizationStatus

EDITABLE_FIELDS = ("name", "time_zone", "language", "email")


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
    """Change the acting organisation's own profile (name, time zone, language, account email)."""
    require_scope(ctx, "organization:manage")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailedError(fields={name: ["This field cannot be changed here."] for name in sorted(unknown)})
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
