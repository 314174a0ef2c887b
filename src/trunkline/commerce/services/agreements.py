"""Recording paid-plan agreements (PT-5.5). Operator staff only; the customer organisation is created from a complete
agreement by onboarding, which then marks the agreement provisioned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.commerce.errors import AgreementIncompleteError, AgreementProvisionedError
from trunkline.commerce.models import Agreement, AgreementRepresentative
from trunkline.commerce.validators import phone_e164, validate_country
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError, NotFoundError, ValidationFailedError
from trunkline.core.money import MINOR_UNITS
from trunkline.tenancy.models import Organization


@dataclass(frozen=True)
class RepresentativeData:
    name: str
    email: str
    phone: str  # any format a person types; stored as E.164


@dataclass(frozen=True)
class AgreementData:
    customer_name: str
    reference: str = ""
    customer_country: str = ""
    account_email: str = ""
    plan_name: str = ""
    term_start: date | None = None
    term_end: date | None = None
    price_amount: Decimal | None = None
    price_currency: str = "EUR"
    signed_on: date | None = None
    expected_daily_segments: int | None = None
    allowed_countries: tuple[str, ...] = ()
    representatives: tuple[RepresentativeData, ...] = field(default_factory=tuple)


# What a paid-plan organisation cannot be created without (PT-5.5). The reference number is optional.
REQUIRED_FIELDS = (
    "customer_name",
    "customer_country",
    "account_email",
    "plan_name",
    "term_start",
    "term_end",
    "price_amount",
    "signed_on",
)


def _require_operator_staff(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise MissingScopeError(scope="ops:manage")


def _message(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _cleaned(data: AgreementData) -> tuple[dict[str, Any], list[RepresentativeData]]:
    """The agreement's fields in stored form, or ValidationFailedError naming every field that is malformed."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "reference": data.reference.strip(),
        "customer_name": data.customer_name.strip(),
        "customer_country": data.customer_country.strip().upper(),
        "account_email": data.account_email.strip().lower(),
        "plan_name": data.plan_name.strip(),
        "term_start": data.term_start,
        "term_end": data.term_end,
        "price_amount": data.price_amount,
        "price_currency": data.price_currency,
        "signed_on": data.signed_on,
        "expected_daily_segments": data.expected_daily_segments,
        "allowed_countries": sorted({code.strip().upper() for code in data.allowed_countries if code.strip()}),
    }
    if not values["customer_name"]:
        errors["customer_name"] = [_("Give the customer's company name.")]
    if values["customer_country"]:
        try:
            validate_country(values["customer_country"])
        except ValidationError as error:
            errors["customer_country"] = _message(error)
    if values["account_email"]:
        try:
            validate_email(values["account_email"])
        except ValidationError as error:
            errors["account_email"] = _message(error)
    if data.term_start and data.term_end and data.term_end <= data.term_start:
        errors["term_end"] = [_("The term must end after it starts.")]
    if data.price_currency not in MINOR_UNITS:
        errors["price_currency"] = [_("Choose one of the currencies offered.")]
    elif data.price_amount is not None:
        if data.price_amount < 0:
            errors["price_amount"] = [_("The price cannot be negative.")]
        elif data.price_amount != data.price_amount.quantize(Decimal(1).scaleb(-MINOR_UNITS[data.price_currency])):
            errors["price_amount"] = [
                _("Use at most %(places)s decimal places for %(currency)s.")
                % {"places": MINOR_UNITS[data.price_currency], "currency": data.price_currency}
            ]
    for code in values["allowed_countries"]:
        try:
            validate_country(code)
        except ValidationError as error:
            errors.setdefault("allowed_countries", []).extend(_message(error))
    representatives: list[RepresentativeData] = []
    for index, person in enumerate(data.representatives):
        name, email, phone = person.name.strip(), person.email.strip().lower(), person.phone.strip()
        if not (name or email or phone):
            continue  # an empty row of the form
        prefix = f"representatives.{index}"
        if not name:
            errors[f"{prefix}.name"] = [_("Give the representative's name.")]
        if not email:
            errors[f"{prefix}.email"] = [_("Give the representative's email.")]
        else:
            try:
                validate_email(email)
            except ValidationError as error:
                errors[f"{prefix}.email"] = _message(error)
        if not phone:
            errors[f"{prefix}.phone"] = [_("Give the representative's phone.")]
        else:
            try:
                phone = phone_e164(phone, region=values["customer_country"] or None)
            except ValidationError as error:
                errors[f"{prefix}.phone"] = _message(error)
        representatives.append(RepresentativeData(name=name, email=email, phone=phone))
    if errors:
        raise ValidationFailedError(fields=errors)
    return values, representatives


def agreement_missing_data(agreement: Agreement) -> dict[str, list[str]]:
    """The fields an organisation cannot be provisioned without, each with the sentence to show beside it."""
    required = _("Required before the organisation can be created.")
    missing = {name: [str(required)] for name in REQUIRED_FIELDS if getattr(agreement, name) in (None, "", [])}
    if not agreement.representatives.exists():
        missing["representatives"] = [_("Name at least one authorised representative (name, email and phone).")]
    return missing


def _store_representatives(agreement: Agreement, representatives: list[RepresentativeData]) -> None:
    agreement.representatives.all().delete()
    AgreementRepresentative.objects.bulk_create(
        AgreementRepresentative(agreement=agreement, name=person.name, email=person.email, phone=person.phone)
        for person in representatives
    )


def _summary(agreement: Agreement) -> dict[str, Any]:
    """What the audit trail keeps of an agreement: its terms, not the representatives' contact details."""
    return {
        "reference": agreement.reference,
        "customer_name": agreement.customer_name,
        "plan_name": agreement.plan_name,
        "term": [str(agreement.term_start or ""), str(agreement.term_end or "")],
        "price": "" if agreement.price is None else str(agreement.price),
    }


def agreement_create(*, ctx: RequestContext, data: AgreementData) -> Agreement:
    """Record a signed agreement. A draft may lack data; provisioning refuses it until it is complete."""
    _require_operator_staff(ctx)
    values, representatives = _cleaned(data)
    with transaction.atomic():
        agreement = Agreement.objects.create(created_by=ctx.user, **values)
        _store_representatives(agreement, representatives)
        audit_record(ctx=ctx, action="agreement.created", target=agreement, changes=_summary(agreement))
    return agreement


def _agreement_for_update(agreement_id: UUID) -> Agreement:
    try:
        agreement: Agreement = Agreement.objects.select_for_update().get(public_id=agreement_id)
    except (Agreement.DoesNotExist, ValueError, ValidationError):
        raise NotFoundError() from None
    if agreement.is_provisioned:
        raise AgreementProvisionedError()
    return agreement


def agreement_update(*, ctx: RequestContext, agreement_id: UUID, data: AgreementData) -> Agreement:
    """Complete or correct a draft agreement; one that an organisation was created from is read-only."""
    _require_operator_staff(ctx)
    values, representatives = _cleaned(data)
    with transaction.atomic():
        agreement = _agreement_for_update(agreement_id)
        for name, value in values.items():
            setattr(agreement, name, value)
        agreement.save()
        _store_representatives(agreement, representatives)
        audit_record(ctx=ctx, action="agreement.updated", target=agreement, changes=_summary(agreement))
    return agreement


def agreement_mark_provisioned(*, ctx: RequestContext, agreement_id: UUID, organization: Organization) -> Agreement:
    """Tie a complete agreement to the organisation created from it. Runs inside the provisioning transaction."""
    _require_operator_staff(ctx)
    with transaction.atomic():
        agreement = _agreement_for_update(agreement_id)
        missing = agreement_missing_data(agreement)
        if missing:
            raise AgreementIncompleteError(fields=missing)
        agreement.organization = organization
        agreement.provisioned_at = clock.now()
        agreement.save(update_fields=["organization", "provisioned_at", "updated_at"])
        audit_record(
            ctx=ctx,
            action="agreement.provisioned",
            target=agreement,
            organization=organization,
            changes=_summary(agreement),
        )
    return agreement
