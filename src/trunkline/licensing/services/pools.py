"""Policies and pools: which numbers apply, and how a pool grows (paid orders, RT-3.3), gets a Test License
allotment (RT-4.6) and is forfeited on termination (RT-8.3)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.commerce.models import Product
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError, NotFoundError, ValidationFailedError
from trunkline.licensing.errors import NoPolicyError
from trunkline.licensing.models import (
    POLICY_FIELDS,
    LicensingAccount,
    LicensingPolicy,
    Pool,
    PoolCredit,
    PoolCreditKind,
)
from trunkline.tenancy.models import Organization


def require_operator_staff(ctx: RequestContext, scope: str = "ops:manage") -> None:
    require_scope(ctx, scope)
    if not ctx.is_operator:
        raise MissingScopeError(scope=scope)


def policy_for(*, reseller: Organization | None, product: Product | None) -> LicensingPolicy:
    """The most specific policy: reseller and product, then reseller, then product, then the default."""
    rows = LicensingPolicy.objects.filter(
        Q(product=product) | Q(product__isnull=True) if product is not None else Q(product__isnull=True),
        Q(organization=reseller) | Q(organization__isnull=True)
        if reseller is not None
        else Q(organization__isnull=True),
    )
    ranked = sorted(rows, key=lambda row: (row.organization_id is not None, row.product_id is not None), reverse=True)
    if not ranked:
        raise NoPolicyError()
    return ranked[0]


class _PolicyCache:
    """Every policy row's values (the table holds a handful of rows), kept in this process for the activation API's hot
    path. Cleared at once in this process when a policy is saved or deleted (and again after its commit), and reloaded
    at most ``LICENSING_POLICY_CACHE_SECONDS`` after a change made by another process. Inside a transaction it is not
    used: there the rows may be uncommitted, and tests run inside one."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] | None = None
        self.loaded_at = 0.0
        self.lock = threading.Lock()

    def clear(self, **_ignored: Any) -> None:
        with self.lock:
            self.rows = None

    def load(self) -> list[dict[str, Any]]:
        return [
            row.snapshot() | {"product_id": row.product_id, "organization_id": row.organization_id}
            for row in LicensingPolicy.objects.all()
        ]

    def get(self) -> list[dict[str, Any]]:
        if transaction.get_connection().in_atomic_block:
            return self.load()
        now = time.monotonic()
        rows = self.rows
        if rows is None or now - self.loaded_at > settings.LICENSING_POLICY_CACHE_SECONDS:
            rows = self.load()
            with self.lock:
                self.rows, self.loaded_at = rows, now
        return rows


policy_cache = _PolicyCache()


def _policy_changed(**_kwargs: Any) -> None:
    policy_cache.clear()
    transaction.on_commit(policy_cache.clear)


post_save.connect(_policy_changed, sender=LicensingPolicy, dispatch_uid="licensing_policy_cache_save")
post_delete.connect(_policy_changed, sender=LicensingPolicy, dispatch_uid="licensing_policy_cache_delete")


def policy_values_for(*, organization_id: int, product_id: int) -> dict[str, Any]:
    """The values of the most specific policy (as ``LicensingPolicy.snapshot()`` gives them, so they are stored with
    the decision as they are), from the in-process cache: no query on the activation API's hot path."""
    best: dict[str, Any] | None = None
    best_rank = (-1, -1)
    for row in policy_cache.get():
        if row["organization_id"] not in (None, organization_id) or row["product_id"] not in (None, product_id):
            continue
        rank = (int(row["organization_id"] is not None), int(row["product_id"] is not None))
        if rank > best_rank:
            best, best_rank = row, rank
    if best is None:
        raise NoPolicyError()
    return {name: value for name, value in best.items() if name not in ("organization_id", "product_id")}


def penalty_multiplier(reseller: Organization | None, product: Product) -> Decimal:
    """The RT-6.4 multiplier for a penalty on ``reseller``'s licenses of ``product``, for billing's penalty invoice."""
    return policy_for(reseller=reseller, product=product).penalty_multiplier


def policy_set(
    *,
    ctx: RequestContext,
    product: Product | None,
    organization: Organization | None,
    values: dict[str, Any],
    note: str = "",
) -> LicensingPolicy:
    """Create or change the policy of a product, a reseller, or a reseller and product (operator staff). Unset fields
    start from the policy that applied before, so an override changes only what staff chose."""
    require_operator_staff(ctx)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationFailedError(fields={name: [_("Not a policy setting.")] for name in sorted(unknown)})
    if organization is not None and organization.kind != "reseller":
        raise ValidationFailedError(fields={"organization_id": [_("Policies are overridden for resellers only.")]})
    with transaction.atomic():
        policy = LicensingPolicy.objects.select_for_update().filter(product=product, organization=organization).first()
        before: dict[str, Any] = {}
        if policy is None:
            inherited = policy_for(reseller=organization, product=product)
            policy = LicensingPolicy(product=product, organization=organization)
            for name in POLICY_FIELDS:
                setattr(policy, name, getattr(inherited, name))
        else:
            before = policy.snapshot()
        for name, value in values.items():
            setattr(policy, name, value)
        policy.note = note
        policy.full_clean(exclude=["product", "organization"])
        policy.save()
        audit_record(
            ctx=ctx,
            action="licensing.policy_set",
            target=organization or product,
            changes={"before": before, "after": policy.snapshot()},
        )
    return policy


def pool_get_or_create(*, organization: Organization, product: Product) -> Pool:
    """The reseller's pool of ``product`` (an empty one the first time), and its licensing account."""
    LicensingAccount.objects.get_or_create(organization=organization)
    pool, _created = Pool.objects.get_or_create(organization=organization, product=product)
    return pool


def account_of(organization: Organization) -> LicensingAccount:
    account, _created = LicensingAccount.objects.get_or_create(organization=organization)
    return account


def pool_credit_order(*, order: Any, ctx: RequestContext | None = None, at: datetime | None = None) -> list[Pool]:
    """Grow the reseller's pools by a fully paid order's license counts, exactly once per order (RT-3.3).

    Called inside the transaction that marks the order paid. A repeated call for the same order changes nothing: the
    unique credit per (pool, order) is inserted before the pool grows, in a savepoint.
    """
    at = at or clock.now()
    quantities: dict[int, int] = defaultdict(int)
    products: dict[int, Product] = {}
    for line in order.lines.select_related("product").all():
        quantities[line.product_id] += int(line.quantity)
        products[line.product_id] = line.product
    grown: list[Pool] = []
    with transaction.atomic():
        for product_id, quantity in sorted(quantities.items()):
            if quantity <= 0:
                continue
            pool = pool_get_or_create(organization=order.organization, product=products[product_id])
            try:
                with transaction.atomic():
                    PoolCredit.objects.create(
                        pool=pool,
                        kind=PoolCreditKind.ORDER,
                        quantity=quantity,
                        order_public_id=order.public_id,
                        actor_label=ctx.actor_label if ctx else "system",
                        at=at,
                    )
            except IntegrityError:
                continue  # this order already credited this pool
            Pool.objects.filter(pk=pool.pk).update(purchased=F("purchased") + quantity)
            pool.refresh_from_db()
            audit_record(
                ctx=ctx,
                action="licensing.pool_credited",
                target=pool,
                organization=order.organization,
                changes={"order": str(order.public_id), "product": products[product_id].code, "quantity": quantity},
                at=at,
            )
            grown.append(pool)
    return grown


def pool_test_allotment_grant(
    *,
    ctx: RequestContext,
    organization_id: UUID,
    product_id: UUID,
    quantity: int,
    reason: str,
    at: datetime | None = None,
) -> Pool:
    """Operator staff grant a reseller Test Licenses of a product, with a reason (RT-4.6)."""
    require_operator_staff(ctx)
    at = at or clock.now()
    errors: dict[str, list[str]] = {}
    if quantity < 1:
        errors["quantity"] = [_("Grant at least one Test License.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason for this action; it is recorded.")]
    if errors:
        raise ValidationFailedError(fields=errors)
    organization = Organization.objects.filter(public_id=organization_id, kind="reseller").first()
    product = Product.objects.filter(public_id=product_id).first()
    if organization is None or product is None:
        raise NotFoundError()
    with transaction.atomic():
        pool = pool_get_or_create(organization=organization, product=product)
        PoolCredit.objects.create(
            pool=pool,
            kind=PoolCreditKind.TEST_ALLOTMENT,
            quantity=quantity,
            reason=reason.strip(),
            actor_label=ctx.actor_label,
            at=at,
        )
        Pool.objects.filter(pk=pool.pk).update(test_allotment=F("test_allotment") + quantity)
        pool.refresh_from_db()
        audit_record(
            ctx=ctx,
            action="licensing.test_allotment_granted",
            target=pool,
            organization=organization,
            changes={"product": product.code, "quantity": quantity, "reason": reason.strip()},
            at=at,
        )
    return pool


def pools_forfeit(*, organization: Organization, ctx: RequestContext | None, at: datetime) -> int:
    """Forfeit every unused End-Point License and Test License of a terminated reseller (RT-8.3). Returns how many
    End-Point Licenses were forfeited. Running it again forfeits nothing more."""
    total = 0
    with transaction.atomic():
        for pool in Pool.objects.select_for_update().filter(organization=organization).order_by("pk"):
            unused = pool.available
            unused_tests = pool.test_available
            if unused <= 0 and unused_tests <= 0:
                continue
            Pool.objects.filter(pk=pool.pk).update(
                forfeited=F("purchased") - F("assigned"), test_allotment=F("test_assigned")
            )
            PoolCredit.objects.create(
                pool=pool,
                kind=PoolCreditKind.FORFEIT,
                quantity=-unused,
                reason=_("Forfeited on termination (%(tests)s unused Test Licenses too).") % {"tests": unused_tests},
                actor_label=ctx.actor_label if ctx else "system",
                at=at,
            )
            total += unused
        audit_record(
            ctx=ctx,
            action="licensing.pools_forfeited",
            target=organization,
            organization=organization,
            changes={"forfeited": total},
            at=at,
        )
    return total
