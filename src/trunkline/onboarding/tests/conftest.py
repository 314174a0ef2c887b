"""Shared set-up of onboarding's tests: the terms in force, the tiny IP database, operator staff."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from trunkline.onboarding import legal
from trunkline.onboarding.legal import ShownVersion
from trunkline.terms.models import TermsAcceptance
from trunkline.testing.factories import member

IP_DATABASE = Path(__file__).parent / "fixtures" / "ip_countries.csv"


@dataclass
class TermsInForce:
    versions: dict[str, ShownVersion]

    def of(self, organization: Any) -> list[dict[str, Any]]:
        """The acceptances recorded for ``organization``, oldest first, as the terms app stored them."""
        return [
            {
                "document": acceptance.version.document.kind,
                "version_id": str(acceptance.version.public_id),
                "sha256": acceptance.sha256,
                "method": acceptance.method,
                "ip": acceptance.ip,
                "user_agent": acceptance.user_agent,
                "person": acceptance.person,
                "signatory": acceptance.signatory,
                "reference": acceptance.reference,
            }
            for acceptance in TermsAcceptance.objects.for_org(organization)
            .select_related("version__document")
            .order_by("accepted_at", "id")
        ]


@pytest.fixture
def terms() -> TermsInForce:
    """The platform terms and the privacy notice in force (version 1 from the terms app's first data migration),
    as an English-speaking visitor is shown them."""
    return TermsInForce(versions=legal.versions_to_show(language="en"))


@pytest.fixture
def ip_database(settings) -> Path:
    """Country lookups read the tiny fixture database instead of the packaged data."""
    settings.IP_COUNTRY_DATABASE = str(IP_DATABASE)
    return IP_DATABASE


@pytest.fixture
def staff():
    """A member of the operator's staff (scopes ops:read and ops:manage)."""
    return member(kind="operator", role="staff")


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client
