"""Tenant-scoped reads of licensing. A reseller reads its own rows; operator staff (ops:read) read everyone's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate

from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.licensing.domain.cap import affiliated_room
from trunkline.licensing.domain.weeks import week_start
from trunkline.licensing.models import (
    Activation,
    EndUser,
    EndUserImport,
    License,
    LicensingAccount,
    Pool,
    Reset,
    ResetBy,
)
from trunkline.licensing.services.pools import policy_for
from trunkline.tenancy.models import Organization


def _reseller_scope(ctx: RequestContext) -> Organization | None:
    """The reseller whose rows ctx may read, or None for operator staff (all of them). Customers have no licensing
    rows: to them these resources do not exist (404)."""
    if ctx.organization.kind == "customer":
        raise NotFoundError()
    require_scope(ctx, "ops:read" if ctx.is_operator else "licensing:read")
    return None if ctx.is_operator else ctx.organization


def pool_list(*, ctx: RequestContext, organization: Organization | None = None) -> QuerySet[Pool]:
    owner = _reseller_scope(ctx)
    pools = Pool.objects.select_related("product", "organization")
    if owner is not None:
        return pools.filter(organization=owner)
    return pools.filter(organization=organization) if organization is not None else pools


def end_user_list(
    *, ctx: RequestContext, query: str = "", organization: Organization | None = None
) -> QuerySet[EndUser]:
    owner = _reseller_scope(ctx)
    end_users = EndUser.objects.select_related("organization").annotate(
        license_count=Count("licenses", filter=Q(licenses__kind="regular"))
    )
    if owner is not None:
        end_users = end_users.filter(organization=owner)
    elif organization is not None:
        end_users = end_users.filter(organization=organization)
    query = query.strip()
    if query:
        end_users = end_users.filter(
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(phone__icontains=query)
            | Q(external_reference__icontains=query)
        )
    return end_users


def end_user_get(*, ctx: RequestContext, public_id: Any, organization: Organization | None = None) -> EndUser:
    try:
        end_user: EndUser = end_user_list(ctx=ctx, organization=organization).get(public_id=public_id)
    except (EndUser.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    return end_user


def end_user_import_get(*, ctx: RequestContext, public_id: Any) -> EndUserImport:
    """One CSV import of the acting reseller; another organisation's import does not exist (404)."""
    owner = _reseller_scope(ctx)
    if owner is None:
        raise NotFoundError()
    record: EndUserImport = EndUserImport.objects.defer("data").get_for_org(owner, public_id=public_id)
    return record


def license_list(*, ctx: RequestContext, end_user: EndUser | None = None) -> QuerySet[License]:
    owner = _reseller_scope(ctx)
    licenses = License.objects.select_related("product", "end_user", "organization").prefetch_related(
        Prefetch("activations", queryset=Activation.objects.order_by("-activated_at"))
    )
    if owner is not None:
        licenses = licenses.filter(organization=owner)
    if end_user is not None:
        licenses = licenses.filter(end_user=end_user)
    return licenses


def license_get(*, ctx: RequestContext, public_id: Any) -> License:
    try:
        license: License = license_list(ctx=ctx).get(public_id=public_id)
    except (License.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    return license


def resets_this_week(*, license: License, at: datetime | None = None) -> int:
    at = at or clock.now()
    zone = str(license.policy.get("reset_time_zone") or "Europe/Sofia")
    return Reset.objects.filter(license=license, week=week_start(at, zone), by=ResetBy.END_USER).count()


@dataclass(frozen=True)
class ProductDashboard:
    pool: Pool
    cap_percent: Any
    affiliated_room: int


@dataclass(frozen=True)
class Dashboard:
    organization: Organization
    products: list[ProductDashboard]
    provided: int
    affiliated: int
    disabled_at: datetime | None
    disabled_reason: str
    end_users: int
    active_tests: int
    series: list[tuple[date, int]]


def dashboard(*, ctx: RequestContext, organization: Organization | None = None, days: int = 30) -> Dashboard:
    """A reseller's licensing at a glance: per product purchased/assigned/available, the test allotment, the
    affiliated share against the cap, and the End-Point Licenses assigned per day over ``days`` days."""
    owner = _reseller_scope(ctx)
    organization = owner or organization
    if organization is None:
        raise NotFoundError()
    account = LicensingAccount.objects.filter(organization=organization).first()
    provided = account.provided if account else 0
    affiliated = account.affiliated if account else 0
    products = []
    for pool in (
        pool_list(ctx=ctx, organization=organization).filter(organization=organization).order_by("product__code")
    ):
        policy = policy_for(reseller=organization, product=pool.product)
        products.append(
            ProductDashboard(
                pool=pool,
                cap_percent=policy.affiliated_cap_percent,
                affiliated_room=affiliated_room(
                    affiliated=affiliated, provided=provided, cap_percent=policy.affiliated_cap_percent
                ),
            )
        )
    today = clock.now().date()
    start = today - timedelta(days=days - 1)
    counts = dict(
        License.objects.filter(organization=organization, kind="regular", assigned_at__date__gte=start)
        .annotate(day=TruncDate("assigned_at"))
        .values_list("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )
    series = [(start + timedelta(days=offset), counts.get(start + timedelta(days=offset), 0)) for offset in range(days)]
    return Dashboard(
        organization=organization,
        products=products,
        provided=provided,
        affiliated=affiliated,
        disabled_at=account.disabled_at if account else None,
        disabled_reason=account.disabled_reason if account else "",
        end_users=EndUser.objects.filter(organization=organization).count(),
        active_tests=License.objects.filter(organization=organization, kind="test", status="active").count(),
        series=series,
    )


def reseller_get(*, ctx: RequestContext, public_id: UUID) -> Organization:
    """A reseller, for operator staff."""
    require_scope(ctx, "ops:read")
    if not ctx.is_operator:
        raise NotFoundError()
    organization = Organization.objects.filter(public_id=public_id, kind="reseller").first()
    if organization is None:
        raise NotFoundError()
    return organization
