"""Reads of onboarding data. Operator pages read any organisation's; nothing here is shown to customers yet."""

from __future__ import annotations

from typing import Any

from trunkline.onboarding.models import Registration
from trunkline.tenancy.models import Organization


def registration_pending_for(*, user: Any) -> Registration | None:
    """The registration waiting for this person to set their password, if any."""
    return Registration.objects.filter(user=user, confirmed_at__isnull=True).select_related("organization").first()


def registration_for(*, organization: Organization) -> Registration | None:
    return Registration.objects.for_org(organization).select_related("user").first()
