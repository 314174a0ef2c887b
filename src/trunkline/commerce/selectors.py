"""Reads of agreements, the catalog and price books. Agreements belong to the operator's back office until an
organisation is made from one. A reseller reads only its own price book, or the default one if it has none (RT-4.12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from trunkline.commerce.domain.pricing import Tier, volume_net
from trunkline.commerce.domain.tax import TaxedAmount, apply_vat, reverse_charge_applies
from trunkline.commerce.errors import PriceUnavailableError
from trunkline.commerce.models import Agreement, Order, PriceBook, PriceBookVersion, PriceTier, Product
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.core.money import Money
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


def plan_expected_daily_segments(*, organization: Organization) -> int | None:
    """The SMS traffic per day the organisation's plan expects (PT-9.6), when its agreement states one."""
    return (
        Agreement.objects.filter(organization=organization, expected_daily_segments__isnull=False)
        .order_by("-provisioned_at")
        .values_list("expected_daily_segments", flat=True)
        .first()
    )


def require_price_reader(ctx: RequestContext) -> None:
    """Prices are read with either licensing:read or billing:read."""
    if not (ctx.has_scope("licensing:read") or ctx.has_scope("billing:read")):
        require_scope(ctx, "billing:read")


def product_list(*, active_only: bool = True) -> QuerySet[Product]:
    """The catalog (the same for everybody)."""
    products = Product.objects.all()
    return products.filter(is_active=True) if active_only else products


def product_get(*, public_id: Any) -> Product:
    try:
        product: Product = Product.objects.get(public_id=public_id, is_active=True)
    except (Product.DoesNotExist, ValueError, ValidationError):
        raise NotFoundError() from None
    return product


def price_book_default() -> PriceBook | None:
    return PriceBook.objects.filter(organization__isnull=True).first()


def price_book_for(*, reseller: Organization) -> PriceBook | None:
    """The reseller's own book, else the default book; never another reseller's (RT-3.5, RT-4.12)."""
    return PriceBook.objects.filter(organization=reseller).first() or price_book_default()


def price_book_version_in_force(*, book: PriceBook, at: datetime) -> PriceBookVersion | None:
    """The book's latest version whose ``effective_from`` is not after ``at``."""
    return book.versions.filter(effective_from__lte=at).order_by("-effective_from").first()


def price_tiers_of(*, version: PriceBookVersion, product: Product) -> list[PriceTier]:
    return list(version.tiers.filter(product=product).order_by("min_quantity"))


@dataclass(frozen=True)
class PriceQuote:
    """What ``quantity`` units cost at ``at``: the version and tier used, the unit price, and net / VAT / gross."""

    product: Product
    quantity: int
    book: PriceBook
    version: PriceBookVersion
    tier: Tier
    unit_price: Money
    amounts: TaxedAmount

    @property
    def net(self) -> Money:
        return self.amounts.net

    @property
    def vat(self) -> Money:
        return self.amounts.vat

    @property
    def gross(self) -> Money:
        return self.amounts.gross


def _tiers_in_force(*, book: PriceBook, product: Product, at: datetime) -> tuple[PriceBookVersion, list[Tier]] | None:
    version = price_book_version_in_force(book=book, at=at)
    if version is None:
        return None
    rows = price_tiers_of(version=version, product=product)
    if not rows:
        return None
    return version, [Tier(row.min_quantity, row.max_quantity, row.price) for row in rows]


def price_quote(
    *,
    reseller: Organization,
    product: Product,
    quantity: int,
    at: datetime | None = None,
    vat_number: str = "",
) -> PriceQuote:
    """Price ``quantity`` of ``product`` for ``reseller`` at ``at`` (default now): its own book's version in force if
    that lists the product, else the default book's (RT-3.5). Volume pricing: every unit at the tier containing the
    quantity. VAT at the product's rate, or reverse charge for an EU business with a valid non-Bulgarian VAT number."""
    at = at or clock.now()
    for book in (PriceBook.objects.filter(organization=reseller).first(), price_book_default()):
        if book is None:
            continue
        found = _tiers_in_force(book=book, product=product, at=at)
        if found is None:
            continue
        version, tiers = found
        tier, net = volume_net(tiers, quantity)
        amounts = apply_vat(
            net, rate=product.vat_rate, reverse_charge=reverse_charge_applies(is_business=True, vat_number=vat_number)
        )
        return PriceQuote(
            product=product,
            quantity=quantity,
            book=book,
            version=version,
            tier=tier,
            unit_price=tier.unit_price,
            amounts=amounts,
        )
    raise PriceUnavailableError()


def order_list(
    *,
    ctx: RequestContext,
    status: str = "",
    kind: str = "",
    organization_id: Any = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
) -> QuerySet[Order]:
    """Orders, newest first: a reseller's own, or everyone's for operator staff (who may filter by reseller)."""
    require_scope(ctx, "ops:read" if ctx.is_operator else "billing:read")
    orders = Order.objects.select_related("organization", "price_book_version").prefetch_related(
        "lines__product", "signatures"
    )
    if not ctx.is_operator:
        orders = orders.filter(organization=ctx.organization)
    elif organization_id:
        orders = orders.filter(organization__public_id=organization_id)
    if status:
        orders = orders.filter(status=status)
    if kind:
        orders = orders.filter(kind=kind)
    if placed_from:
        orders = orders.filter(placed_at__gte=placed_from)
    if placed_to:
        orders = orders.filter(placed_at__lt=placed_to)
    return orders


def order_get(*, ctx: RequestContext, order_id: Any) -> Order:
    try:
        order: Order = order_list(ctx=ctx).get(public_id=order_id)
    except (Order.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    return order
