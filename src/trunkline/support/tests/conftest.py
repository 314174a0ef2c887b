"""A customer with an agreement listing one authorised representative, and the operator's support staff."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from trunkline.commerce.models import Agreement, AgreementRepresentative
from trunkline.support.models import Representative
from trunkline.testing.factories import ctx_for, member

SOFIA = ZoneInfo("Europe/Sofia")


def sofia(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SOFIA)  # type: ignore[misc, arg-type]


@pytest.fixture
def representative_member():
    """Maria, administrator of Vitosha Clinics, listed as representative on its agreement."""
    membership = member(kind="customer", role="admin", email="maria@vitosha.example.com", accepted_terms=True)
    organization = membership.organization
    organization.name, organization.email = "Vitosha Clinics", "office@vitosha.example.com"
    organization.save(update_fields=["name", "email"])
    agreement = Agreement.objects.create(customer_name="Vitosha Clinics", organization=organization)
    AgreementRepresentative.objects.create(
        agreement=agreement, name="Maria Petrova", email="maria@vitosha.example.com", phone="+359888765432"
    )
    return membership


@pytest.fixture
def representative_ctx(representative_member):
    return ctx_for(representative_member)


@pytest.fixture
def colleague_ctx(representative_member):
    """A member of the same customer who is not a representative."""
    return ctx_for(member(organization=representative_member.organization, role="admin", email="ivan@example.com"))


@pytest.fixture
def staff_member():
    return member(kind="operator", role="support", email="desk@example.com")


@pytest.fixture
def staff_ctx(staff_member):
    return ctx_for(staff_member)


@pytest.fixture
def representative(representative_member) -> Representative:
    from trunkline.support.services import representative_for

    found = representative_for(organization=representative_member.organization, email="maria@vitosha.example.com")
    assert found is not None
    return found
