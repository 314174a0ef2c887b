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


def seed_support_policy() -> None:
    """The policy rows of migration 0002 (a transactional test before this one may have flushed them)."""
    from importlib import import_module

    from django.apps import apps

    from trunkline.support.models import SlaTarget
    from trunkline.testing.factories import operator_organization

    operator_organization()
    if not SlaTarget.objects.exists():
        import_module("trunkline.support.migrations.0002_support_policy_data").seed(apps, None)


@pytest.fixture(autouse=True)
def _support_policy(request):
    """Transactional tests start from a flushed database: put the seeded policy back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        seed_support_policy()


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
