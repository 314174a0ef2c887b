"""The commerce API: the catalog, price quotes and the reseller's price book; staff add products and versions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from trunkline.commerce.models import PriceBookVersion, Product
from trunkline.commerce.schemas import (
    PriceBookOut,
    PriceBookVersionIn,
    PriceBookVersionOut,
    PriceQuoteIn,
    PriceQuoteOut,
    ProductCreateIn,
    ProductOut,
)
from trunkline.commerce.selectors import (
    price_book_for,
    price_book_version_in_force,
    price_quote,
    price_tiers_of,
    product_get,
    product_list,
    require_price_reader,
)
from trunkline.commerce.services import TierData, price_book_version_publish, product_create
from trunkline.core import clock
from trunkline.core.api import ERROR_RESPONSES, ctx_of
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.tenancy.models import Organization

router = Router(tags=["commerce"])


@router.get(
    "/products",
    response={200: list[ProductOut], **ERROR_RESPONSES},
    operation_id="commerce_product_list",
    summary="List products",
)
def product_list_api(request: HttpRequest) -> list[Product]:
    """The catalog with retail prices and VAT rates."""
    require_price_reader(ctx_of(request))
    return list(product_list())


@router.get(
    "/price-quote",
    response={200: PriceQuoteOut, **ERROR_RESPONSES},
    operation_id="commerce_price_quote",
    summary="Price a quantity of a product",
)
def price_quote_api(request: HttpRequest, params: Query[PriceQuoteIn]) -> dict[str, Any]:
    """What the quantity costs now from your price book (or the default one): the whole quantity at the unit price of
    the tier containing it (RT-3.5)."""
    ctx = ctx_of(request)
    require_price_reader(ctx)
    quote = price_quote(
        reseller=ctx.organization, product=product_get(public_id=params.product_id), quantity=params.quantity
    )
    return {
        "product_id": quote.product.public_id,
        "quantity": quote.quantity,
        "book_id": quote.book.public_id,
        "is_default_book": quote.book.is_default,
        "version_id": quote.version.public_id,
        "effective_from": quote.version.effective_from,
        "tier": {
            "min_quantity": quote.tier.min_quantity,
            "max_quantity": quote.tier.max_quantity,
            "unit_price": quote.tier.unit_price.amount,
        },
        "unit_price": quote.unit_price.amount,
        "currency": quote.unit_price.currency,
        "net": quote.net.amount,
        "vat": quote.vat.amount,
        "gross": quote.gross.amount,
        "vat_rate": quote.amounts.vat_rate,
        "is_reverse_charge": quote.amounts.is_reverse_charge,
    }


@router.get(
    "/price-book",
    response={200: PriceBookOut, **ERROR_RESPONSES},
    operation_id="commerce_price_book",
    summary="Your price book in force",
)
def price_book_api(request: HttpRequest) -> dict[str, Any]:
    """Your own price book's tiers in force now, or the default book's if you have none (RT-4.12)."""
    ctx = ctx_of(request)
    require_price_reader(ctx)
    book = price_book_for(reseller=ctx.organization)
    if book is None:
        raise NotFoundError()
    version = price_book_version_in_force(book=book, at=clock.now())
    products: list[dict[str, Any]] = []
    if version is not None:
        for product in product_list():
            tiers = price_tiers_of(version=version, product=product)
            if tiers:
                products.append(
                    {
                        "product_id": product.public_id,
                        "product_code": product.code,
                        "currency": product.currency,
                        "tiers": tiers,
                    }
                )
    return {
        "book_id": book.public_id,
        "name": book.name,
        "is_default_book": book.is_default,
        "version_id": version.public_id if version else None,
        "effective_from": version.effective_from if version else None,
        "products": products,
    }


@router.post(
    "/products",
    response={201: ProductOut, **ERROR_RESPONSES},
    operation_id="commerce_product_create",
    summary="Add a product (operator staff)",
)
def product_create_api(request: HttpRequest, payload: ProductCreateIn):
    """Add a product with its retail price and VAT rate."""
    product = product_create(
        ctx=ctx_of(request),
        code=payload.code,
        name=payload.name,
        retail_amount=payload.retail_price,
        currency=payload.currency,
        vat_rate=payload.vat_rate,
    )
    return Status(201, product)


@router.post(
    "/price-book-versions",
    response={201: PriceBookVersionOut, **ERROR_RESPONSES},
    operation_id="commerce_price_book_version_publish",
    summary="Publish a price book version (operator staff)",
)
def price_book_version_publish_api(request: HttpRequest, payload: PriceBookVersionIn):
    """Publish new tiers for the default book or a reseller's book, in force from ``effective_from``."""
    ctx = ctx_of(request)
    organization = None
    if payload.organization_id is not None:
        organization = Organization.objects.filter(public_id=payload.organization_id).first()
        if organization is None:
            raise ValidationFailedError(fields={"organization_id": [_("No such organisation.")]})
    version: PriceBookVersion = price_book_version_publish(
        ctx=ctx,
        organization=organization,
        effective_from=payload.effective_from,
        note=payload.note,
        tiers=[
            TierData(
                product_id=tier.product_id,
                min_quantity=tier.min_quantity,
                max_quantity=tier.max_quantity,
                unit_price=tier.unit_price,
            )
            for tier in payload.tiers
        ],
    )
    return Status(
        201,
        {
            "version_id": version.public_id,
            "book_id": version.book.public_id,
            "organization_id": organization.public_id if organization else None,
            "effective_from": version.effective_from,
        },
    )
