"""Organisations that operator staff create: paid customers from a complete agreement (PT-5.5, PT-1.2) and resellers.
The first person of each is emailed a single-use link to set their own password by accounts; no credential is ever
shown to staff, written to the audit trail or kept in a notice (RT-4.2)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from trunkline.accounts.services import membership_add
from trunkline.commerce.errors import AgreementIncompleteError, AgreementProvisionedError
from trunkline.commerce.models import Agreement
from trunkline.commerce.selectors import agreement_get
from trunkline.commerce.services import (
    AgreementData,
    agreement_create,
    agreement_mark_provisioned,
    agreement_missing_data,
    agreement_update,
)
from trunkline.core.context import RequestContext, require_scope
from trunkline.notifications.services import notice_send
from trunkline.onboarding import legal
from trunkline.onboarding.errors import OperatorOnlyError
from trunkline.onboarding.services.access import country_access_init
from trunkline.tenancy.models import Organization, OrganizationKind, OrganizationStatus
from trunkline.tenancy.services import organization_activate, organization_create


def _require_operator_staff(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise OperatorOnlyError()


def _acting_for(ctx: RequestContext, organization: Organization) -> RequestContext:
    """Staff setting up a new organisation act for it once, to add its first administrator."""
    return replace(ctx, organization=organization, scopes=frozenset({"members:manage"}), withheld_scopes=frozenset())


def customer_provision(*, ctx: RequestContext, agreement_id: UUID) -> Organization:
    """Create the paid customer organisation of a complete agreement and start its contract. Refused with the missing
    fields while the agreement is incomplete, and with a conflict if it was provisioned already."""
    _require_operator_staff(ctx)
    agreement: Agreement = agreement_get(ctx=ctx, public_id=agreement_id)
    if agreement.is_provisioned:
        raise AgreementProvisionedError()
    missing = agreement_missing_data(agreement)
    if missing:
        raise AgreementIncompleteError(fields=missing)
    with transaction.atomic():
        organization = organization_create(
            ctx=ctx,
            name=agreement.customer_name,
            kind=OrganizationKind.CUSTOMER,
            country=agreement.customer_country,
            language="bg" if agreement.customer_country == "BG" else "en",
            email=agreement.account_email,
            status=OrganizationStatus.PENDING,
        )
        country_access_init(organization=organization, also=agreement.allowed_countries)
        agreement = agreement_mark_provisioned(ctx=ctx, agreement_id=agreement.public_id, organization=organization)
        customer_ctx = _acting_for(ctx, organization)
        membership_add(ctx=customer_ctx, email=agreement.account_email, role="admin")
        with translation.override(organization.language):
            signatory = _("%(names)s (authorised representatives)") % {
                "names": ", ".join(person.name for person in agreement.representatives.all())
            }
        for version in legal.versions_to_show(language=organization.language).values():  # signing accepted them
            legal.acceptance_record(
                ctx=ctx,
                version_id=version.version_id,
                method="signed_agreement",
                ip=None,
                user_agent="",
                organization_id=organization.public_id,
                signatory=signatory,
                reference=agreement.reference,
            )
        with translation.override(organization.language):
            signed_on = date_format(agreement.signed_on, "SHORT_DATE_FORMAT") if agreement.signed_on else ""
            reason = _("Agreement %(reference)s signed on %(date)s.") % {
                "reference": agreement.reference or agreement.plan_name,
                "date": signed_on,
            }
        organization = organization_activate(ctx=ctx, organization_id=organization.public_id, reason=reason)
        notice_send(
            organization=organization,
            kind="onboarding.agreement_started",
            ctx=ctx,
            context={"agreement": agreement},
        )
    return organization


def customer_provision_from_data(
    *, ctx: RequestContext, data: AgreementData, agreement_id: UUID | None
) -> Organization:
    """Save the agreement as entered and provision from it, in one go: if anything is missing, nothing is saved."""
    _require_operator_staff(ctx)
    with transaction.atomic():
        if agreement_id is None:
            agreement = agreement_create(ctx=ctx, data=data)
        else:
            agreement = agreement_update(ctx=ctx, agreement_id=agreement_id, data=data)
        return customer_provision(ctx=ctx, agreement_id=agreement.public_id)


@dataclass(frozen=True)
class ResellerData:
    name: str
    country: str
    email: str  # the account email: notices about the organisation go here
    first_user_email: str
    first_user_first_name: str = ""
    first_user_last_name: str = ""
    language: str = "bg"


def reseller_provision(*, ctx: RequestContext, data: ResellerData) -> Organization:
    """Create a reseller organisation and invite its first person, who sets their own password by the emailed link."""
    _require_operator_staff(ctx)
    with transaction.atomic():
        organization = organization_create(
            ctx=ctx,
            name=data.name.strip(),
            kind=OrganizationKind.RESELLER,
            country=data.country,
            language=data.language,
            email=data.email.strip().lower(),
            status=OrganizationStatus.PENDING,
        )
        country_access_init(organization=organization)
        membership_add(
            ctx=_acting_for(ctx, organization),
            email=data.first_user_email.strip().lower(),
            role="admin",
            first_name=data.first_user_first_name.strip(),
            last_name=data.first_user_last_name.strip(),
        )
        with translation.override(organization.language):
            reason = _("Reseller organisation set up by operator staff.")
        organization = organization_activate(ctx=ctx, organization_id=organization.public_id, reason=reason)
        notice_send(organization=organization, kind="onboarding.reseller_ready", ctx=ctx, context={"data": data})
    return organization
