"""Paid-plan agreements as operator staff record them (PT-5.5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from trunkline.audit.models import AuditEvent
from trunkline.commerce.errors import AgreementIncompleteError, AgreementProvisionedError
from trunkline.commerce.models import Agreement
from trunkline.commerce.services import (
    AgreementData,
    RepresentativeData,
    agreement_create,
    agreement_mark_provisioned,
    agreement_missing_data,
    agreement_update,
)
from trunkline.core.errors import MissingScopeError, ValidationFailedError
from trunkline.testing.factories import OrganizationFactory, ctx_for, member

pytestmark = pytest.mark.django_db

MARIA = RepresentativeData(name="Maria Petrova", email="Maria@Vitosha.example", phone="0888 765 432")


def complete(**changes) -> AgreementData:
    fields: dict[str, Any] = {
        "customer_name": "Vitosha Clinics",
        "reference": "AG-2026-014",
        "customer_country": "bg",
        "account_email": "Office@Vitosha.example",
        "plan_name": "Business",
        "term_start": date(2026, 12, 1),
        "term_end": date(2027, 11, 30),
        "price_amount": Decimal("249.00"),
        "price_currency": "EUR",
        "signed_on": date(2026, 11, 20),
        "allowed_countries": ("de",),
        "representatives": (MARIA,),
    }
    fields.update(changes)
    return AgreementData(**fields)


@pytest.fixture
def staff_ctx():
    return ctx_for(member(kind="operator", role="staff"))


@pytest.mark.rule("PT-5.5")
def test_an_agreement_is_stored_normalised_and_audited(staff_ctx):
    """Codes are upper-cased, emails lower-cased, phones in E.164; the audit keeps the terms, not the contacts."""
    agreement = agreement_create(ctx=staff_ctx, data=complete())

    assert (agreement.customer_country, agreement.account_email, agreement.allowed_countries) == (
        "BG",
        "office@vitosha.example",
        ["DE"],
    )
    assert str(agreement.price) == "249.00 EUR"
    person = agreement.representatives.get()
    assert (person.email, person.phone) == ("maria@vitosha.example", "+359888765432")
    assert agreement_missing_data(agreement) == {}
    event = AuditEvent.objects.get(action="agreement.created")
    assert event.changes == {
        "reference": "AG-2026-014",
        "customer_name": "Vitosha Clinics",
        "plan_name": "Business",
        "term": ["2026-12-01", "2027-11-30"],
        "price": "249.00 EUR",
    }


@pytest.mark.rule("PT-5.5")
def test_a_draft_names_everything_still_missing(staff_ctx):
    """A draft with only the customer's name lists each required field and the missing representative."""
    draft = agreement_create(ctx=staff_ctx, data=AgreementData(customer_name="Vitosha Clinics"))

    missing = agreement_missing_data(draft)

    assert sorted(missing) == [
        "account_email",
        "customer_country",
        "plan_name",
        "price_amount",
        "representatives",
        "signed_on",
        "term_end",
        "term_start",
    ]
    assert missing["plan_name"] == ["Required before the organisation can be created."]
    with pytest.raises(AgreementIncompleteError) as error:
        agreement_mark_provisioned(
            ctx=staff_ctx, agreement_id=draft.public_id, organization=OrganizationFactory.create()
        )
    assert error.value.code == "commerce.agreement_incomplete"
    draft.refresh_from_db()
    assert draft.organization is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"customer_name": " "}, "customer_name", "Give the customer's company name."),
        ({"term_end": date(2026, 12, 1)}, "term_end", "The term must end after it starts."),
        ({"price_amount": Decimal("-1")}, "price_amount", "The price cannot be negative."),
        (
            {"price_amount": Decimal("12.5"), "price_currency": "JPY"},
            "price_amount",
            "Use at most 0 decimal places for JPY.",
        ),
        ({"price_currency": "XYZ"}, "price_currency", "Choose one of the currencies offered."),
        ({"customer_country": "XX"}, "customer_country", "XX is not an ISO 3166 country code."),
        ({"account_email": "office@"}, "account_email", "Enter a valid email address."),
        (
            {"representatives": (RepresentativeData(name="Maria", email="m@v.example", phone="12"),)},
            "representatives.0.phone",
            "Enter a valid phone number, e.g. +359 88 123 4567.",
        ),
        (
            {"representatives": (RepresentativeData(name="", email="m@v.example", phone=""),)},
            "representatives.0.name",
            "Give the representative's name.",
        ),
    ],
)
def test_malformed_data_is_refused_by_field_and_nothing_is_written(staff_ctx, changes, field, message):
    """Each malformed value is named with its field and a clear sentence; no agreement is stored."""
    with pytest.raises(ValidationFailedError) as error:
        agreement_create(ctx=staff_ctx, data=complete(**changes))

    assert error.value.fields[field] == [message]
    assert Agreement.objects.count() == 0


def test_only_operator_staff_record_agreements():
    """A customer's administrator and operator support (read-only) are refused."""
    for kind, role in (("customer", "admin"), ("operator", "support")):
        with pytest.raises(MissingScopeError):
            agreement_create(ctx=ctx_for(member(kind=kind, role=role)), data=complete())
    assert Agreement.objects.count() == 0


@pytest.mark.rule("PT-5.5")
def test_a_provisioned_agreement_is_read_only(staff_ctx):
    """Once an organisation was created from it, the agreement cannot be changed or provisioned again."""
    agreement = agreement_create(ctx=staff_ctx, data=complete())
    organization = OrganizationFactory.create()
    agreement_mark_provisioned(ctx=staff_ctx, agreement_id=agreement.public_id, organization=organization)

    with pytest.raises(AgreementProvisionedError) as error:
        agreement_update(ctx=staff_ctx, agreement_id=agreement.public_id, data=complete(plan_name="Enterprise"))
    assert error.value.code == "commerce.agreement_provisioned"
    assert error.value.http_status == 409
    with pytest.raises(AgreementProvisionedError):
        agreement_mark_provisioned(ctx=staff_ctx, agreement_id=agreement.public_id, organization=organization)
    agreement.refresh_from_db()
    assert agreement.plan_name == "Business"
