"""The overdue-penalty rule (RT-6.4), between billing and licensing: which resellers have an issued, unpaid penalty
past its due date is billing's answer (``organizations_with_overdue_penalties``); disabling and re-enabling their
licenses is ours."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from trunkline.billing.selectors import organizations_with_overdue_penalties
from trunkline.licensing.models import LicensingAccount
from trunkline.licensing.services import account_of, licenses_disable_all, licenses_enable_all, policy_for
from trunkline.tenancy.models import Organization


def overdue_penalty_organizations(*, at: datetime) -> set[int]:
    return set(organizations_with_overdue_penalties(at=at))


def penalties_enforce(*, at: datetime) -> dict[str, int]:
    """The job: disable all licenses of resellers with an overdue penalty, where their policy says so."""
    disabled = 0
    for organization in Organization.objects.filter(pk__in=overdue_penalty_organizations(at=at), kind="reseller"):
        if not policy_for(reseller=organization, product=None).disable_all_automatically:
            continue
        if account_of(organization).disabled_at is not None:
            continue
        licenses_disable_all(
            ctx=None, organization=organization, reason=_("A penalty invoice is overdue and unpaid."), at=at
        )
        disabled += 1
    return {"resellers_disabled": disabled}


def penalty_paid(*, organization: Any, ctx: Any, at: datetime) -> int:
    """Re-enable the reseller's licenses once no penalty of it is overdue any more."""
    account = LicensingAccount.objects.filter(organization=organization, disabled_at__isnull=False).first()
    if account is None or organization.pk in overdue_penalty_organizations(at=at):
        return 0
    return licenses_enable_all(ctx=None, organization=organization, reason=_("The penalty invoice was paid."), at=at)
