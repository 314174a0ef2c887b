"""Writing the catalog and price books (RT-3.5). Operator staff only. A published version is never edited: to change
prices, staff publish a new version with a later ``effective_from``; orders keep the version they were placed under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.commerce.domain.pricing import Tier, TierTableError, validate_tiers
from trunkline.commerce.models import PriceBook, PriceBookVersion, PriceTier, Product
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError, ValidationFailedError
from trunkline.core.money import DEFAULT_CURRENCY, MINOR_UNITS, Money
from trunkline.tenancy.models import Organization


@dataclass(frozen=True)
class TierData:
    product_id: UUID
    min_quantity: int
    max_quantity: int | None
    unit_price: Decimal


def _require_operator_staff(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise MissingScopeError(scope="ops:manage")


def _decimal_places_error(amount: Decimal, currency: str) -> str | None:
    if amount != amount.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency])):
        return _("Use at most %(places)s decimal places for %(currency)s.") % {
            "places": MINOR_UNITS[currency],
            "currency": currency,
        }
    return None


def product_create(
    *,
    ctx: RequestContext,
    code: str,
    name: str,
    retail_amount: Decimal,
    currency: str = DEFAULT_CURRENCY,
    vat_rate: Decimal = Decimal("20"),
) -> Product:
    """Add a product to the catalog with its retail price and VAT rate (20 % unless given)."""
    _require_operator_staff(ctx)
    code, name = code.strip().upper(), name.strip()
    errors: dict[str, list[str]] = {}
    if not code:
        errors["code"] = [_("Give the product a code.")]
    elif Product.objects.filter(code=code).exists():
        errors["code"] = [_("Another product already has this code.")]
    if not name:
        errors["name"] = [_("Give the product a name.")]
    if currency not in MINOR_UNITS:
        errors["currency"] = [_("Choose one of the currencies offered.")]
    elif retail_amount < 0:
        errors["retail_amount"] = [_("The price cannot be negative.")]
    elif message := _decimal_places_error(retail_amount, currency):
        errors["retail_amount"] = [message]
    if not Decimal(0) <= vat_rate <= Decimal(100) or vat_rate != vat_rate.quantize(Decimal("0.01")):
        errors["vat_rate"] = [_("Give the VAT rate as a percentage between 0 and 100, e.g. 20.")]
    if errors:
        raise ValidationFailedError(fields=errors)
    with transaction.atomic():
        product = Product.objects.create(
            code=code, name=name, retail_amount=retail_amount, currency=currency, vat_rate=vat_rate
        )
        audit_record(
            ctx=ctx,
            action="product.created",
            target=product,
            changes={"code": code, "retail_price": str(product.retail_price), "vat_rate": str(vat_rate)},
        )
    return product


TIER_MESSAGES = {
    "empty": ("tiers", lambda: _("Give at least one tier.")),
    "min_below_one": ("min_quantity", lambda: _("Quantities start at 1.")),
    "empty_range": ("max_quantity", lambda: _("The upper bound must be greater than the lower bound.")),
    "negative_price": ("unit_price", lambda: _("The price cannot be negative.")),
    "mixed_currencies": ("tiers", lambda: _("All tiers of a product use the product's currency.")),
    "gap": ("min_quantity", lambda: _("This tier leaves a gap after the previous one: start it where that one ends.")),
    "overlap": ("min_quantity", lambda: _("This tier overlaps the previous one: start it where that one ends.")),
    "not_open_ended": ("max_quantity", lambda: _("The last tier must have no upper bound.")),
}


def _tier_errors(tiers: list[TierData], indexes: list[int], error: TierTableError) -> dict[str, list[str]]:
    field, message = TIER_MESSAGES.get(error.code, ("tiers", lambda: _("The tiers are not valid.")))
    if error.index is None or field == "tiers":
        return {"tiers": [message()]}
    return {f"tiers.{indexes[error.index]}.{field}": [message()]}


def price_book_version_publish(
    *,
    ctx: RequestContext,
    tiers: list[TierData],
    organization: Organization | None = None,
    effective_from: datetime | None = None,
    note: str = "",
) -> PriceBookVersion:
    """Publish a new version of the default book (``organization`` None) or of a reseller's own book (created on
    first use). It takes effect at ``effective_from`` (default now; never in the past, so prices already in force
    are never rewritten). Each product's tiers must cover every quantity from 1 without gaps or overlaps."""
    _require_operator_staff(ctx)
    now = clock.now()
    effective_from = effective_from or now
    errors: dict[str, list[str]] = {}
    if effective_from.tzinfo is None:
        errors["effective_from"] = [_("Give the time with its time zone.")]
    elif effective_from < now:
        errors["effective_from"] = [_("A new version cannot start in the past.")]
    if organization is not None and organization.kind != "reseller":
        errors["organization_id"] = [_("Only resellers have their own price book.")]
    if not tiers:
        errors["tiers"] = [_("Give at least one tier.")]
    products: dict[UUID, Product] = {}
    by_product: dict[UUID, list[int]] = {}
    for index, data in enumerate(tiers):
        product = products.get(data.product_id)
        if product is None:
            try:
                product = Product.objects.get(public_id=data.product_id)
            except (Product.DoesNotExist, ValueError, ValidationError):
                errors[f"tiers.{index}.product_id"] = [_("No such product.")]
                continue
            products[data.product_id] = product
        if message := _decimal_places_error(data.unit_price, product.currency):
            errors[f"tiers.{index}.unit_price"] = [message]
            continue
        by_product.setdefault(data.product_id, []).append(index)
    if not errors:
        for product_id, indexes in by_product.items():
            currency = products[product_id].currency
            table = [
                Tier(tiers[i].min_quantity, tiers[i].max_quantity, Money.of(tiers[i].unit_price, currency))
                for i in indexes
            ]
            try:
                validate_tiers(table)
            except TierTableError as error:
                errors.update(_tier_errors(tiers, indexes, error))
    if errors:
        raise ValidationFailedError(fields=errors)
    with transaction.atomic():
        book = _book_for_update(organization)
        if book.versions.filter(effective_from=effective_from).exists():
            raise ValidationFailedError(
                fields={"effective_from": [_("This book already has a version starting at that time.")]}
            )
        version = PriceBookVersion.objects.create(
            book=book, effective_from=effective_from, note=note.strip(), created_by=ctx.user
        )
        PriceTier.objects.bulk_create(
            PriceTier(
                version=version,
                product=products[data.product_id],
                min_quantity=data.min_quantity,
                max_quantity=data.max_quantity,
                unit_price=data.unit_price,
                currency=products[data.product_id].currency,
            )
            for data in tiers
        )
        audit_record(
            ctx=ctx,
            action="price_book.version_published",
            target=version,
            organization=organization,
            changes=_summary(version, tiers, products),
        )
    return version


def _book_for_update(organization: Organization | None) -> PriceBook:
    """The book to add a version to, locked so two publications of the same book run one after the other."""
    books = PriceBook.objects.select_for_update()
    book = (
        books.filter(organization=organization).first()
        if organization
        else books.filter(organization__isnull=True).first()
    )
    if book is None:
        name = f"{organization.name} price book" if organization else "Default price book"
        book = PriceBook.objects.create(organization=organization, name=name)
    return book


def _summary(version: PriceBookVersion, tiers: list[TierData], products: dict[UUID, Product]) -> dict[str, Any]:
    return {
        "book": str(version.book.public_id),
        "effective_from": version.effective_from.isoformat(),
        "tiers": [
            [products[data.product_id].code, data.min_quantity, data.max_quantity, str(data.unit_price)]
            for data in tiers
        ],
    }
