"""Authorised representatives (PT-7.4): the people a customer's agreement lists. Only they open tickets."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.commerce.selectors import agreement_for_organization
from trunkline.core.context import RequestContext
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.support.models import Representative
from trunkline.support.services.calendars import require_support_staff
from trunkline.tenancy.models import Organization


def representatives_sync_from_agreement(*, organization: Organization) -> int:
    """Copy the representatives the organisation's agreement lists into the support register (idempotent).

    Returns how many were added. People already registered are left as they are (staff may have deactivated them).
    """
    agreement = agreement_for_organization(organization=organization)
    if agreement is None:
        return 0
    added = 0
    with transaction.atomic():
        known = set(Representative.objects.for_org(organization).values_list("email", flat=True))
        for person in agreement.representatives.all():
            email = person.email.strip().lower()
            if email in known:
                continue
            Representative.objects.create(
                organization=organization,
                name=person.name,
                email=email,
                phone=person.phone,
                agreement_id=agreement.public_id,
            )
            known.add(email)
            added += 1
        if added:
            audit_record(
                ctx=None,
                action="support.representatives_synced",
                organization=organization,
                changes={"added": added, "agreement": str(agreement.public_id)},
            )
    return added


def representative_for(*, organization: Organization, email: str) -> Representative | None:
    """The active representative of ``organization`` with this email, after syncing the agreement's list."""
    if not email:
        return None
    if not Representative.objects.for_org(organization).exists():
        representatives_sync_from_agreement(organization=organization)
    return Representative.objects.for_org(organization).filter(email__iexact=email.strip(), is_active=True).first()


def representative_add(
    *, ctx: RequestContext, organization_id: UUID, name: str, email: str, phone: str = ""
) -> Representative:
    """Operator staff register a representative a customer's agreement (or its amendment) names."""
    require_support_staff(ctx)
    name, email = name.strip(), email.strip().lower()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the representative's name.")]
    try:
        validate_email(email)
    except ValidationError as error:
        errors["email"] = [str(message) for message in error.messages]
    if errors:
        raise ValidationFailedError(fields=errors)
    organization = Organization.objects.filter(public_id=organization_id, kind="customer").first()
    if organization is None:
        raise NotFoundError()
    try:
        with transaction.atomic():
            representative = Representative.objects.create(
                organization=organization, name=name, email=email, phone=phone.strip()
            )
            audit_record(
                ctx=ctx, action="support.representative_added", target=representative, organization=organization
            )
    except IntegrityError:
        raise ValidationFailedError(
            fields={"email": [_("This person is already a representative of the organisation.")]}
        ) from None
    return representative


def representative_deactivate(*, ctx: RequestContext, representative_id: UUID) -> Representative:
    """The customer withdrew someone's authority: they can no longer open tickets; their tickets stay."""
    require_support_staff(ctx)
    with transaction.atomic():
        representative = Representative.objects.select_for_update().filter(public_id=representative_id).first()
        if representative is None:
            raise NotFoundError()
        representative.is_active = False
        representative.save(update_fields=["is_active", "updated_at"])
        audit_record(
            ctx=ctx,
            action="support.representative_deactivated",
            target=representative,
            organization=representative.organization,
        )
    return representative
