"""The commerce API: the catalog, price quotes and the reseller's price book; staff add products and versions.
Orders: a reseller places Online Orders and draws up Purchase Orders for itself, signs and cancels them; operator
staff see every reseller's orders and sign for the vendor."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile

from trunkline.commerce.models import Order, PriceBookVersion, Product
from trunkline.commerce.schemas import (
    OrderCancelIn,
    OrderFilterIn,
    OrderOut,
    OrderPlaceIn,
    PriceBookOut,
    PriceBookVersionIn,
    PriceBookVersionOut,
    PriceQuoteIn,
    PriceQuoteOut,
    ProductCreateIn,
    ProductOut,
    PurchaseOrderCreateIn,
)
from trunkline.commerce.selectors import (
    order_get,
    order_list,
    price_book_for,
    price_book_version_in_force,
    price_quote,
    price_tiers_of,
    product_get,
    product_list,
    require_price_reader,
)
from trunkline.commerce.services import (
    TierData,
    order_cancel,
    order_place_online,
    order_sign,
    price_book_version_publish,
    product_create,
    purchase_order_create,
)
from trunkline.core import clock
from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.core.context import RequestContext
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
    the tier containing it (RT-3.5). VAT as your order would be charged: reverse charge (0 %) if your organisation has
    a valid VAT number of another EU country, else the product's rate."""
    ctx = ctx_of(request)
    require_price_reader(ctx)
    quote = price_quote(
        reseller=ctx.organization,
        product=product_get(public_id=params.product_id),
        quantity=params.quantity,
        vat_number=ctx.organization.vat_number,
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


def order_visible_or_404(ctx: RequestContext, order_id: UUID) -> None:
    """Another organisation's order answers 404 before anything else is checked, so nobody learns that it exists
    from a 403 or 422. Operator staff may act on every order; the service looks it up for them."""
    if not ctx.is_operator and not Order.objects.for_org(ctx.organization).filter(public_id=order_id).exists():
        raise NotFoundError()


@router.get(
    "/orders",
    response={200: Page[OrderOut], **ERROR_RESPONSES},
    operation_id="commerce_order_list",
    summary="List orders",
)
def order_list_api(request: HttpRequest, params: Query[PageIn], filters: Query[OrderFilterIn]) -> dict[str, Any]:
    """Your organisation's orders, newest first (billing:read); operator staff see every reseller's (ops:read) and may
    filter by ``organization_id``. ``placed_to`` is exclusive."""
    orders = order_list(
        ctx=ctx_of(request),
        status=filters.status or "",
        kind=filters.kind or "",
        organization_id=filters.organization_id,
        placed_from=filters.placed_from,
        placed_to=filters.placed_to,
    )
    return paginate(orders, params, orderings=("placed_at", "-placed_at", "gross_amount", "-gross_amount"))


@router.get(
    "/orders/{order_id}",
    response={200: OrderOut, **ERROR_RESPONSES},
    operation_id="commerce_order_get",
    summary="Get an order",
)
def order_get_api(request: HttpRequest, order_id: UUID) -> Order:
    """One order with its lines, kept at the tier price it was placed with (RT-3.5), and its signatures."""
    return order_get(ctx=ctx_of(request), order_id=order_id)


@router.post(
    "/orders",
    response={201: OrderOut, **ERROR_RESPONSES},
    operation_id="commerce_order_place_online",
    summary="Place an Online Order (reseller)",
)
def order_place_online_api(request: HttpRequest, payload: OrderPlaceIn):
    """Order ``quantity`` End-Point Licenses of a product at the unit price of the tier containing that quantity in
    your price book (RT-3.5). The order binds when placed. If your organisation has not accepted the reseller terms in
    force, send ``accept_terms: true`` as a signed-in person (an API key cannot accept terms: 403
    ``terms.person_required``): the order then records your acceptance with the method "online order" (RT-2.1);
    without it the answer is 403 ``terms.acceptance_required`` and nothing is stored."""
    order = order_place_online(
        ctx=ctx_of(request), product_id=payload.product_id, quantity=payload.quantity, accept_terms=payload.accept_terms
    )
    return Status(201, order)


@router.post(
    "/purchase-orders",
    response={201: OrderOut, **ERROR_RESPONSES},
    operation_id="commerce_purchase_order_create",
    summary="Draw up a Purchase Order",
)
def purchase_order_create_api(request: HttpRequest, payload: PurchaseOrderCreateIn):
    """A Purchase Order priced now from the reseller's book. A reseller creates one for itself (billing:manage);
    operator staff name the reseller in ``organization_id`` (ops:manage). It binds, and can be invoiced, only once
    both the reseller and the vendor have signed it (RT-3.4)."""
    order = purchase_order_create(
        ctx=ctx_of(request),
        product_id=payload.product_id,
        quantity=payload.quantity,
        organization_id=payload.organization_id,
    )
    return Status(201, order)


@router.post(
    "/orders/{order_id}/signatures",
    response={201: OrderOut, **ERROR_RESPONSES},
    operation_id="commerce_order_sign",
    summary="Sign a Purchase Order",
)
def order_sign_api(
    request: HttpRequest,
    order_id: UUID,
    signer_name: Form[str] = "",
    document: File[UploadedFile | None] = None,
):
    """Sign for your side (multipart/form-data): operator staff sign for the vendor, a reseller's administrator or
    billing person for the reseller. ``signer_name`` (required) names who signs and their role. Without ``document``
    it is a click signature by the signed-in person, their IP address and browser kept as evidence — an API key cannot
    sign by click; with one, the uploaded signed PDF (at most 10 MB) carrying that person's signature. When the second
    side signs, the order binds and, if not yet accepted, the reseller terms in force are accepted (RT-2.1, RT-3.4)."""
    ctx = ctx_of(request)
    order_visible_or_404(ctx, order_id)
    order = order_sign(ctx=ctx, order_id=order_id, signer_name=signer_name, document=document)
    return Status(201, order)


@router.post(
    "/orders/{order_id}/cancel",
    response={200: OrderOut, **ERROR_RESPONSES},
    operation_id="commerce_order_cancel",
    summary="Cancel an order",
)
def order_cancel_api(request: HttpRequest, order_id: UUID, payload: OrderCancelIn) -> Order:
    """Cancel an order that is not invoiced yet, saying why (the reseller for its own orders, or operator staff). An
    invoiced order is corrected by a credit note instead: 409 ``commerce.order_state``."""
    ctx = ctx_of(request)
    order_visible_or_404(ctx, order_id)
    return order_cancel(ctx=ctx, order_id=order_id, reason=payload.reason)
