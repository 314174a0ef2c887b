"""A customer's telephony service status (PT-8.8 suspends telephony alone, not the whole organisation)."""

from __future__ import annotations

from typing import Any

from trunkline.telephony.errors import TelephonySuspendedError
from trunkline.telephony.models import TelephonyAccount, TelephonyStatus


def telephony_account_for(organization: Any, *, for_update: bool = False) -> TelephonyAccount:
    account, _created = TelephonyAccount.objects.get_or_create(organization=organization)
    if for_update:
        account = TelephonyAccount.objects.select_for_update().get(pk=account.pk)
    return account


def require_telephony_active(organization: Any) -> None:
    account = TelephonyAccount.objects.filter(organization=organization).first()
    if account is not None and account.status == TelephonyStatus.SUSPENDED:
        raise TelephonySuspendedError(reason=account.status_reason)


def telephony_reactivate(*, ctx: Any, organization_id: Any, reason: str = "") -> TelephonyAccount:
    """Operator staff lift a telephony suspension (after PT-8.8 was dealt with)."""
    from django.db import transaction

    from trunkline.audit.services import audit_record
    from trunkline.core.context import require_scope
    from trunkline.core.errors import MissingScopeError
    from trunkline.telephony.services.routing import publish_after_commit
    from trunkline.tenancy.models import Organization

    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise MissingScopeError(scope="ops:manage")
    with transaction.atomic():
        organization = Organization.objects.get(public_id=organization_id)
        account = telephony_account_for(organization, for_update=True)
        account.status = TelephonyStatus.ACTIVE
        account.status_reason = ""
        account.save()
        audit_record(
            ctx=ctx,
            action="telephony.reactivated",
            target=account,
            organization=organization,
            changes={"reason": reason},
        )
        publish_after_commit()
    return account
