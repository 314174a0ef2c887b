"""Orders from placing to fulfilment. Each transition is one service: it locks the order, checks the state it starts
from, changes it and writes the audit event in one transaction.

Online Order (RT-2.1): placed by the reseller in the System; placing it accepts the reseller terms in force if the
reseller had not accepted them yet, and binds at once. Purchase Order (RT-3.4): created by staff or the reseller,
binding only when both the reseller and the vendor have signed. Billing invoices a binding order, and tells us when
its invoice is fully paid; then ``order_paid`` fires, exactly once (RT-3.3).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.commerce.errors import (
    OrderInvalidError,
    OrderNotBindingError,
    OrderStateError,
    ResellerOnlyError,
    SignatureExistsError,
)
from trunkline.commerce.events import order_paid
from trunkline.commerce.models import (
    CANCELLABLE,
    INVOICEABLE,
    Order,
    OrderKind,
    OrderLine,
    OrderSignature,
    OrderStatus,
    Product,
    SignatureMethod,
    SignatureSide,
)
from trunkline.commerce.selectors import PriceQuote, price_quote
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError, NotFoundError
from trunkline.tenancy.models import Organization
from trunkline.terms.gate import terms_require_accepted
from trunkline.terms.models import AcceptanceMethod, TermsAcceptance
from trunkline.terms.selectors import terms_acceptance_current
from trunkline.terms.services import terms_accept

RESELLER_TERMS = "reseller_terms"
MAX_QUANTITY = 1_000_000
SIGNED_DOCUMENT_TYPES = {"application/pdf"}
SIGNED_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def _require_reseller(ctx: RequestContext) -> None:
    require_scope(ctx, "billing:manage")
    if ctx.organization.kind != "reseller":
        raise ResellerOnlyError()


def _require_staff(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise MissingScopeError(scope="ops:manage")


def _product(product_id: Any) -> Product:
    try:
        product: Product = Product.objects.get(public_id=product_id, is_active=True)
    except (Product.DoesNotExist, ValueError, TypeError, ValidationError):
        raise OrderInvalidError(fields={"product_id": [_("Choose a product from the catalog.")]}) from None
    return product


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise OrderInvalidError(
            fields={"quantity": [_("Order between 1 and %(max)s licenses.") % {"max": f"{MAX_QUANTITY:,}"}]}
        )


def _create(
    *,
    ctx: RequestContext,
    reseller: Organization,
    kind: str,
    status: str,
    quote: PriceQuote,
    at: datetime,
) -> Order:
    order = Order.objects.create(
        organization=reseller,
        kind=kind,
        status=status,
        price_book_version=quote.version,
        currency=quote.gross.currency,
        net_amount=quote.net.amount,
        vat_rate=quote.amounts.vat_rate,
        vat_amount=quote.vat.amount,
        gross_amount=quote.gross.amount,
        is_reverse_charge=quote.amounts.is_reverse_charge,
        buyer_vat_number=reseller.vat_number,
        placed_at=at,
        placed_by=ctx.user,
        binding_at=at if status == OrderStatus.PLACED else None,
    )
    OrderLine.objects.create(
        order=order,
        product=quote.product,
        description=quote.product.name,
        quantity=quote.quantity,
        unit_price=quote.unit_price.amount,
        tier_min_quantity=quote.tier.min_quantity,
        tier_max_quantity=quote.tier.max_quantity,
        net_amount=quote.net.amount,
    )
    return order


def _audit(ctx: RequestContext | None, order: Order, action: str, at: datetime, **changes: Any) -> None:
    audit_record(
        ctx=ctx,
        action=action,
        target=order,
        organization=order.organization,
        changes={"status": order.status, **changes},
        at=at,
    )


def order_place_online(
    *,
    ctx: RequestContext,
    product_id: Any,
    quantity: int,
    accept_terms: bool = False,
    at: datetime | None = None,
) -> Order:
    """Place an Online Order for ``quantity`` of a product at the unit price of the tier containing that quantity in
    the reseller's own book (RT-3.5). If the reseller has not accepted the reseller terms in force, ``accept_terms``
    must be true: placing the order then records the acceptance with the method "online order" (RT-2.1)."""
    at = at or clock.now()
    _require_reseller(ctx)
    _check_quantity(quantity)
    product = _product(product_id)
    reseller = ctx.organization
    terms = terms_acceptance_current(organization=reseller, kind=RESELLER_TERMS, at=at)
    if not terms.accepted and not accept_terms:
        terms_require_accepted(organization=reseller, kind=RESELLER_TERMS, at=at)
    quote = price_quote(reseller=reseller, product=product, quantity=quantity, at=at, vat_number=reseller.vat_number)
    with transaction.atomic():
        order = _create(
            ctx=ctx, reseller=reseller, kind=OrderKind.ONLINE, status=OrderStatus.PLACED, quote=quote, at=at
        )
        if not terms.accepted:
            assert terms.version is not None
            order.terms_acceptance = terms_accept(
                ctx=ctx,
                version_id=terms.version.public_id,
                method=AcceptanceMethod.ONLINE_ORDER,
                ip=ctx.ip,
                user_agent=ctx.user_agent,
                reference=order.display_number,
                at=at,
            )
            order.save(update_fields=["terms_acceptance"])
        _audit(ctx, order, "commerce.order.placed", at, kind=order.kind, quantity=quantity, gross=str(order.gross))
    return order


def purchase_order_create(
    *,
    ctx: RequestContext,
    product_id: Any,
    quantity: int,
    organization_id: Any = None,
    at: datetime | None = None,
) -> Order:
    """Draw up a Purchase Order, priced now from the reseller's book. Staff name the reseller (``organization_id``);
    a reseller creates one for itself. It binds only once both sides have signed (RT-3.4)."""
    at = at or clock.now()
    if ctx.is_operator:
        _require_staff(ctx)
        try:
            reseller = Organization.objects.get(public_id=organization_id, kind="reseller")
        except (Organization.DoesNotExist, ValueError, TypeError, ValidationError):
            raise OrderInvalidError(fields={"organization_id": [_("Choose a reseller.")]}) from None
    else:
        _require_reseller(ctx)
        reseller = ctx.organization
    _check_quantity(quantity)
    product = _product(product_id)
    quote = price_quote(reseller=reseller, product=product, quantity=quantity, at=at, vat_number=reseller.vat_number)
    with transaction.atomic():
        order = _create(
            ctx=ctx,
            reseller=reseller,
            kind=OrderKind.PURCHASE,
            status=OrderStatus.AWAITING_SIGNATURES,
            quote=quote,
            at=at,
        )
        _audit(ctx, order, "commerce.order.created", at, kind=order.kind, quantity=quantity, gross=str(order.gross))
    return order


def _locked(ctx: RequestContext, order_id: Any) -> Order:
    """The order, locked; a reseller reaches only its own, staff any (404 otherwise)."""
    orders = Order.objects.select_for_update().select_related("organization")
    if not ctx.is_operator:
        orders = orders.filter(organization=ctx.organization)
    try:
        order: Order = orders.get(public_id=order_id)
    except (Order.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    return order


def _checked_document(document: UploadedFile) -> tuple[UploadedFile, str]:
    if document.size is None or document.size > SIGNED_DOCUMENT_MAX_BYTES:
        raise OrderInvalidError(fields={"document": [_("Upload a PDF of at most 10 MB.")]})
    head = document.read(5)
    document.seek(0)
    if head != b"%PDF-":
        raise OrderInvalidError(fields={"document": [_("The signed document must be a PDF file.")]})
    digest = hashlib.sha256()
    for chunk in document.chunks():
        digest.update(chunk)
    document.seek(0)
    return document, digest.hexdigest()


def order_sign(
    *,
    ctx: RequestContext,
    order_id: Any,
    signer_name: str,
    document: UploadedFile | None = None,
    at: datetime | None = None,
) -> Order:
    """Sign a Purchase Order for the acting side: operator staff sign for the vendor, a reseller's administrator or
    billing person for the reseller. Without ``document`` it is a click signature by the signed-in person (their IP
    and browser kept as evidence); with one, the uploaded signed PDF and the name of who signed it on paper. When
    the second side signs, the order binds; if the reseller had not accepted the reseller terms in force, that
    signed order is its acceptance (RT-2.1, RT-3.4)."""
    at = at or clock.now()
    if ctx.is_operator:
        _require_staff(ctx)
        side = SignatureSide.VENDOR
    else:
        _require_reseller(ctx)
        side = SignatureSide.RESELLER
    signer_name = signer_name.strip()
    if not signer_name:
        raise OrderInvalidError(fields={"signer_name": [_("Name the person who signs, and their role.")]})
    if document is None and ctx.user is None:
        raise OrderInvalidError(fields={"document": [_("An API key cannot sign by click: upload the signed PDF.")]})
    checked = _checked_document(document) if document is not None else None
    with transaction.atomic():
        order = _locked(ctx, order_id)
        if order.kind != OrderKind.PURCHASE or order.status != OrderStatus.AWAITING_SIGNATURES:
            raise OrderStateError(number=order.display_number, status=order.get_status_display())
        if order.signatures.filter(side=side).exists():
            raise SignatureExistsError(side=SignatureSide(side).label)
        signature = OrderSignature(
            order=order,
            side=side,
            method=SignatureMethod.UPLOADED if checked else SignatureMethod.CLICK,
            signer_name=signer_name[:300],
            recorded_by=ctx.user,
            recorded_by_label=ctx.actor_label,
            signed_at=at,
            ip=ctx.ip or None,
            user_agent=(ctx.user_agent or "")[:500],
        )
        if checked is not None:
            signature.document, signature.document_sha256 = checked
        signature.save()
        _audit(ctx, order, "commerce.order.signed", at, side=side, method=signature.method, signer=signer_name)
        if order.signatures.count() == 2:
            order.status, order.binding_at = OrderStatus.BINDING, at
            order.save(update_fields=["status", "binding_at", "updated_at"])
            _record_purchase_order_acceptance(ctx, order, at)
            _audit(ctx, order, "commerce.order.binding", at)
    return order


def _record_purchase_order_acceptance(ctx: RequestContext, order: Order, at: datetime) -> None:
    """A Purchase Order signed by both sides accepts the reseller terms in force, if not accepted yet (RT-2.1)."""
    terms = terms_acceptance_current(organization=order.organization, kind=RESELLER_TERMS, at=at)
    if terms.accepted:
        return
    assert terms.version is not None
    reseller_signature = order.signatures.get(side=SignatureSide.RESELLER)
    acceptance: TermsAcceptance = terms_accept(
        ctx=ctx,
        version_id=terms.version.public_id,
        method=AcceptanceMethod.PURCHASE_ORDER,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        organization_id=order.organization.public_id,
        signatory=reseller_signature.signer_name,
        reference=order.display_number,
        at=at,
    )
    order.terms_acceptance = acceptance
    order.save(update_fields=["terms_acceptance"])


def order_cancel(*, ctx: RequestContext, order_id: Any, reason: str, at: datetime | None = None) -> Order:
    """Cancel an order that has not been invoiced yet. An invoiced order is corrected by a credit note instead."""
    at = at or clock.now()
    if ctx.is_operator:
        _require_staff(ctx)
    else:
        _require_reseller(ctx)
    reason = reason.strip()
    if not reason:
        raise OrderInvalidError(fields={"reason": [_("Say why the order is cancelled.")]})
    with transaction.atomic():
        order = _locked(ctx, order_id)
        if order.status not in CANCELLABLE:
            raise OrderStateError(number=order.display_number, status=order.get_status_display())
        order.status, order.cancelled_at, order.cancel_reason = OrderStatus.CANCELLED, at, reason[:500]
        order.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        _audit(ctx, order, "commerce.order.cancelled", at, reason=reason)
    return order


def order_mark_invoiced(*, ctx: RequestContext | None, order: Order, at: datetime | None = None) -> Order:
    """Billing issued the order's invoice. Only a binding order may be invoiced: an Online Order once placed, a
    Purchase Order once both sides signed (RT-3.4). Runs inside billing's transaction."""
    at = at or clock.now()
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == OrderStatus.AWAITING_SIGNATURES:
        raise OrderNotBindingError(number=order.display_number)
    if order.status not in INVOICEABLE:
        raise OrderStateError(number=order.display_number, status=order.get_status_display())
    order.status, order.invoiced_at = OrderStatus.INVOICED, at
    order.save(update_fields=["status", "invoiced_at", "updated_at"])
    _audit(ctx, order, "commerce.order.invoiced", at)
    return order


def order_mark_paid(*, ctx: RequestContext | None, order: Order, at: datetime | None = None) -> Order:
    """Billing found the order's invoice fully paid: the order is paid, ``order_paid`` fires (the licensing pool
    grows by its count in the same transaction, RT-3.3), and the order is fulfilled. A second call for the same order
    changes nothing and fires nothing, so a replayed payment can never release licenses twice."""
    at = at or clock.now()
    order = Order.objects.select_for_update().select_related("organization").get(pk=order.pk)
    if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
        return order
    if order.status != OrderStatus.INVOICED:
        raise OrderStateError(number=order.display_number, status=order.get_status_display())
    order.status, order.paid_at = OrderStatus.PAID, at
    order.save(update_fields=["status", "paid_at", "updated_at"])
    _audit(ctx, order, "commerce.order.paid", at)
    order_paid.send(sender=Order, order=order, ctx=ctx)
    order.status, order.fulfilled_at = OrderStatus.FULFILLED, at
    order.save(update_fields=["status", "fulfilled_at", "updated_at"])
    _audit(ctx, order, "commerce.order.fulfilled", at)
    return order
