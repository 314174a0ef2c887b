"""Reads of agreements. Agreements belong to the operator's back office until an organisation is made from one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from trunkline.commerce.models import Agreement
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.tenancy.models import Organization


def agreement_list(*, ctx: RequestContext) -> QuerySet[Agreement]:
    """Every agreement, for operator staff; nobody else reads them here."""
    require_scope(ctx, "ops:read")
    if not ctx.is_operator:
        return Agreement.objects.none()
    return Agreement.objects.select_related("organization").prefetch_related("representatives")


def agreement_get(*, ctx: RequestContext, public_id: Any) -> Agreement:
    try:
        agreement: Agreement = agreement_list(ctx=ctx).get(public_id=public_id)
    except (Agreement.DoesNotExist, ValueError, ValidationError):
        raise NotFoundError() from None
    return agreement


def agreement_for_organization(*, organization: Organization) -> Agreement | None:
    """The agreement an organisation was provisioned from (the latest, should there ever be several)."""
    return (
        Agreement.objects.filter(organization=organization)
        .prefetch_related("representatives")
        .order_by("-provisioned_at")
        .first()
    )
