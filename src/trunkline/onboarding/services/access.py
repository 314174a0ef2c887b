"""Allowed countries of an organisation and the record of refused access (PT-8.3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction

from trunkline.audit.services import audit_record
from trunkline.commerce.validators import validate_country
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.onboarding.errors import CountriesRequiredError, OperatorOnlyError
from trunkline.onboarding.models import CountryAccess
from trunkline.tenancy.models import Organization

if TYPE_CHECKING:
    from trunkline.onboarding.access import AccessDecision


def _codes(countries: Iterable[str]) -> list[str]:
    codes = sorted({code.strip().upper() for code in countries if code.strip()})
    errors: list[str] = []
    for code in codes:
        try:
            validate_country(code)
        except ValidationError as error:
            errors.extend(str(message) for message in error.messages)
    if errors:
        raise ValidationFailedError(fields={"allowed_countries": errors})
    if not codes:
        raise CountriesRequiredError(fields={"allowed_countries": [str(CountriesRequiredError.message_template)]})
    return codes


def country_access_init(*, organization: Organization, also: Iterable[str] = ()) -> CountryAccess:
    """A new organisation's allowed countries: its registered country, and any its agreement allows as well."""
    codes = _codes([organization.country, *also])
    return CountryAccess.objects.create(organization=organization, allowed_countries=codes)


def country_access_set(*, ctx: RequestContext, organization_id: UUID, countries: Iterable[str]) -> CountryAccess:
    """Operator staff change the countries an organisation may use the web interface from."""
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise OperatorOnlyError()
    codes = _codes(countries)
    with transaction.atomic():
        try:
            organization = Organization.objects.get(public_id=organization_id)
        except (Organization.DoesNotExist, ValueError, ValidationError):
            raise NotFoundError() from None
        access, _created = CountryAccess.objects.select_for_update().get_or_create(
            organization=organization, defaults={"allowed_countries": [organization.country]}
        )
        before = list(access.allowed_countries)
        access.allowed_countries = codes
        access.save(update_fields=["allowed_countries", "updated_at"])
        audit_record(
            ctx=ctx,
            action="access.countries_changed",
            target=organization,
            organization=organization,
            changes={"allowed_countries": [before, codes]},
        )
    return access


def access_refusal_record(
    *,
    user: Any,
    organization: Organization,
    decision: AccessDecision,
    where: str,
    user_agent: str = "",
    request_id: str = "",
) -> None:
    """Audit a refused sign-in or session request: who, from which address and country, and what was allowed."""
    ctx = RequestContext(
        organization=organization,
        scopes=frozenset(),
        user=user,
        ip=decision.ip,
        user_agent=user_agent,
        request_id=request_id,
    )
    with transaction.atomic():
        audit_record(
            ctx=ctx,
            action="access.refused_country",
            target=user,
            changes={
                "where": where,
                "ip": decision.ip,
                "country": decision.country,
                "allowed_countries": list(decision.allowed_countries),
            },
        )
