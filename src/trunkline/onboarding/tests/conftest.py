"""Shared set-up of onboarding's tests: published terms, the tiny IP database, operator staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from trunkline.onboarding import legal
from trunkline.onboarding.legal import ShownVersion
from trunkline.testing.factories import member

IP_DATABASE = Path(__file__).parent / "fixtures" / "ip_countries.csv"


@dataclass
class PublishedTerms:
    versions: dict[str, ShownVersion]
    accepted: list[dict[str, Any]] = field(default_factory=list)

    def of(self, organization: Any) -> list[dict[str, Any]]:
        return [row for row in self.accepted if row["organization"] == organization.pk]


@pytest.fixture
def terms(monkeypatch) -> PublishedTerms:
    """The platform terms and the privacy notice, each with a version in force."""
    published = PublishedTerms(
        versions={
            "platform_terms": ShownVersion(
                "platform_terms",
                "11111111-1111-4111-8111-111111111111",
                "Platform terms",
                "/terms/platform-terms/",
                "a" * 64,
            ),
            "privacy_notice": ShownVersion(
                "privacy_notice",
                "22222222-2222-4222-8222-222222222222",
                "Privacy notice",
                "/terms/privacy-notice/",
                "b" * 64,
            ),
        }
    )

    def record(*, ctx, version_id, method, ip, user_agent):
        document = next(v for v in published.versions.values() if v.version_id == version_id)
        published.accepted.append(
            {
                "organization": ctx.organization.pk,
                "user": ctx.user.pk if ctx.user else None,
                "document": document.document,
                "version_id": version_id,
                "content_hash": document.content_hash,
                "method": method,
                "ip": ip,
                "user_agent": user_agent,
            }
        )

    monkeypatch.setattr(legal, "versions_to_show", lambda *, language: dict(published.versions))
    monkeypatch.setattr(legal, "acceptance_record", record)
    return published


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
