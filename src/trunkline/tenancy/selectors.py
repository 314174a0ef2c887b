from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.tenancy.models import Membership, Organization, OrganizationStatus


def organization_list_for_user(*, user: Any) -> QuerySet[Organization]:
    """The organisations a person may act for (active memberships in organisations that are not terminated)."""
    return Organization.objects.filter(memberships__user=user, memberships__is_active=True).exclude(
        status=OrganizationStatus.TERMINATED
    )


def organization_list(*, ctx: RequestContext) -> QuerySet[Organization]:
    """Operator staff see every organisation; anyone else sees the organisation they act for."""
    require_scope(ctx, "organization:read")
    if ctx.is_operator and ctx.has_scope("ops:read"):
        return Organization.objects.all()
    return Organization.objects.filter(pk=ctx.organization.pk)


def organization_get(*, ctx: RequestContext, public_id: Any) -> Organization:
    try:
        return organization_list(ctx=ctx).get(public_id=public_id)
    except (Organization.DoesNotExist, ValueError):
        raise NotFoundError() from None


def membership_list(*, ctx: RequestContext) -> QuerySet[Membership]:
    require_scope(ctx, "members:read")
    return Membership.objects.for_org(ctx.organization).select_related("user", "organization")


def membership_get(*, ctx: RequestContext, public_id: Any) -> Membership:
    return membership_list(ctx=ctx).get_for_org(ctx.organization, public_id=public_id)  # type: ignore[attr-defined]


def membership_for(*, user: Any, organization: Organization) -> Membership | None:
    return (
        Membership.objects.filter(user=user, organization=organization, is_active=True)
        .select_related("organization")
        .first()
    )
