"""Orders: Online Orders priced from the reseller's own book and accepting the terms (RT-2.1, RT-3.5), Purchase
Orders binding only with both signatures (RT-3.4), and the paid event firing once per order (RT-3.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from trunkline.audit.models import AuditEvent
from trunkline.commerce.errors import (
    OrderInvalidError,
    OrderNotBindingError,
    OrderStateError,
    ResellerOnlyError,
    SignatureExistsError,
)
from trunkline.commerce.events import order_paid
from trunkline.commerce.models import Order, OrderStatus, Product, SignatureMethod
from trunkline.commerce.services import (
    TierData,
    order_cancel,
    order_mark_invoiced,
    order_mark_paid,
    order_place_online,
    order_sign,
    price_book_version_publish,
    purchase_order_create,
)
from trunkline.core.errors import NotFoundError
from trunkline.terms.errors import TermsAcceptanceRequiredError
from trunkline.terms.models import TermsAcceptance
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def product() -> Product:
    return Product.objects.get(code="EPL-PRO")


@pytest.fixture
def staff():
    return member(kind="operator", role="staff")


@pytest.fixture
def reseller():
    return member(kind="reseller", role="admin", accepted_terms=True)


def publish(staff, reseller, product, *rows: tuple[int, int | None, str], at: datetime = NOW) -> None:
    with time_machine.travel(at, tick=False):
        price_book_version_publish(
            ctx=ctx_for(staff),
            organization=reseller.organization,
            tiers=[TierData(product.public_id, low, high, Decimal(price)) for low, high, price in rows],
        )


def paid_events() -> list[Order]:
    received: list[Order] = []

    def receiver(sender, order, ctx, **kwargs):
        received.append(order)

    order_paid.connect(receiver, weak=False, dispatch_uid="test-orders-paid")
    return received


@pytest.fixture
def paid_orders():
    received = paid_events()
    yield received
    order_paid.disconnect(dispatch_uid="test-orders-paid")


@pytest.mark.rule("RT-3.5")
def test_an_order_keeps_the_tier_price_of_the_version_it_was_placed_under(staff, reseller, product):
    """250 licenses at the tier containing 250 in the reseller's own book; a later book change leaves that order's
    price alone and prices the next order."""
    publish(staff, reseller, product, (1, 100, "45.00"), (100, 300, "40.00"), (300, None, "35.00"))
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        first = order_place_online(ctx=ctx_for(reseller), product_id=product.public_id, quantity=250)
    publish(
        staff,
        reseller,
        product,
        (1, 100, "44.00"),
        (100, 300, "38.50"),
        (300, None, "33.00"),
        at=NOW + timedelta(days=1),
    )
    with time_machine.travel(NOW + timedelta(days=1, minutes=5), tick=False):
        second = order_place_online(ctx=ctx_for(reseller), product_id=product.public_id, quantity=250)

    first.refresh_from_db()
    [line] = first.lines.all()
    assert (line.quantity, line.unit_price, line.tier_min_quantity, line.tier_max_quantity) == (
        250,
        Decimal("40.00"),
        100,
        300,
    )
    assert (first.net_amount, first.vat_amount, first.gross_amount) == (
        Decimal("10000.00"),
        Decimal("2000.00"),
        Decimal("12000.00"),
    )
    assert second.lines.get().unit_price == Decimal("38.50")
    assert second.gross_amount == Decimal("11550.00")
    assert first.price_book_version_id != second.price_book_version_id
    assert first.status == OrderStatus.PLACED
    assert first.binding_at is not None


@pytest.mark.rule("RT-2.1")
def test_placing_an_online_order_accepts_the_reseller_terms_when_not_yet_accepted(reseller, product):
    newcomer = member(kind="reseller", role="admin")
    ctx = ctx_for(newcomer, user_agent="Firefox/140")

    with pytest.raises(TermsAcceptanceRequiredError) as refused:
        order_place_online(ctx=ctx, product_id=product.public_id, quantity=5)
    assert refused.value.detail["kind"] == "reseller_terms"
    assert not Order.objects.filter(organization=newcomer.organization).exists()

    order = order_place_online(ctx=ctx, product_id=product.public_id, quantity=5, accept_terms=True)

    acceptance = TermsAcceptance.objects.get(organization=newcomer.organization)
    assert order.terms_acceptance == acceptance
    assert (acceptance.method, acceptance.reference, acceptance.person) == (
        "online_order",
        order.display_number,
        newcomer.user,
    )
    assert (acceptance.ip, acceptance.user_agent) == ("127.0.0.1", "Firefox/140")
    # An organisation that accepted already records nothing more.
    again = order_place_online(ctx=ctx, product_id=product.public_id, quantity=5, accept_terms=True)
    assert again.terms_acceptance is None
    assert TermsAcceptance.objects.filter(organization=newcomer.organization).count() == 1


def test_bad_quantities_and_products_are_refused_and_nothing_is_stored(reseller, product):
    for quantity in (0, -3, 1_000_001):
        with pytest.raises(OrderInvalidError) as error:
            order_place_online(ctx=ctx_for(reseller), product_id=product.public_id, quantity=quantity)
        assert "quantity" in error.value.fields
    with pytest.raises(OrderInvalidError) as error:
        order_place_online(ctx=ctx_for(reseller), product_id="not-a-uuid", quantity=3)
    assert "product_id" in error.value.fields
    customer = member(kind="customer", role="admin", accepted_terms=True)
    with pytest.raises(ResellerOnlyError):
        order_place_online(ctx=ctx_for(customer), product_id=product.public_id, quantity=3)
    assert Order.objects.count() == 0


@pytest.mark.rule("RT-3.4")
def test_a_purchase_order_cannot_be_invoiced_until_both_sides_sign(staff, reseller, product):
    order = purchase_order_create(
        ctx=ctx_for(staff), organization_id=reseller.organization.public_id, product_id=product.public_id, quantity=40
    )
    assert order.status == OrderStatus.AWAITING_SIGNATURES

    with pytest.raises(OrderNotBindingError):
        order_mark_invoiced(ctx=ctx_for(staff), order=order)
    order_sign(ctx=ctx_for(reseller), order_id=order.public_id, signer_name="Ivan Petrov, manager")
    with pytest.raises(OrderNotBindingError):
        order_mark_invoiced(ctx=ctx_for(staff), order=order)
    with pytest.raises(SignatureExistsError):
        order_sign(ctx=ctx_for(reseller), order_id=order.public_id, signer_name="Ivan Petrov")

    signed = order_sign(
        ctx=ctx_for(staff),
        order_id=order.public_id,
        signer_name="Maria Ivanova, CEO",
        document=SimpleUploadedFile("po.pdf", PDF, content_type="application/pdf"),
    )
    assert signed.status == OrderStatus.BINDING
    vendor = signed.signatures.get(side="vendor")
    assert vendor.method == SignatureMethod.UPLOADED
    assert len(vendor.document_sha256) == 64
    assert order_mark_invoiced(ctx=ctx_for(staff), order=order).status == OrderStatus.INVOICED
    actions = list(
        AuditEvent.objects.filter(target_id=str(order.public_id)).order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "commerce.order.created",
        "commerce.order.signed",
        "commerce.order.signed",
        "commerce.order.binding",
        "commerce.order.invoiced",
    ]


@pytest.mark.rule("RT-2.1")
def test_a_purchase_order_signed_by_both_sides_is_the_resellers_acceptance_of_the_terms(staff, product):
    newcomer = member(kind="reseller", role="admin")
    order = purchase_order_create(ctx=ctx_for(newcomer), product_id=product.public_id, quantity=10)
    order_sign(ctx=ctx_for(staff), order_id=order.public_id, signer_name="Maria Ivanova, CEO")
    order_sign(ctx=ctx_for(newcomer), order_id=order.public_id, signer_name="Georgi Georgiev, owner")

    acceptance = TermsAcceptance.objects.get(organization=newcomer.organization)
    assert (acceptance.method, acceptance.signatory, acceptance.reference) == (
        "purchase_order",
        "Georgi Georgiev, owner",
        order.display_number,
    )


def test_an_uploaded_signature_must_be_a_pdf(staff, reseller, product):
    order = purchase_order_create(ctx=ctx_for(reseller), product_id=product.public_id, quantity=10)
    with pytest.raises(OrderInvalidError) as error:
        order_sign(
            ctx=ctx_for(staff),
            order_id=order.public_id,
            signer_name="Maria",
            document=SimpleUploadedFile("po.pdf", b"<html>", content_type="application/pdf"),
        )
    assert "document" in error.value.fields
    assert order.signatures.count() == 0


def test_another_reseller_cannot_see_sign_or_cancel_an_order(reseller, product):
    order = purchase_order_create(ctx=ctx_for(reseller), product_id=product.public_id, quantity=10)
    intruder = member(kind="reseller", role="admin", accepted_terms=True)
    with pytest.raises(NotFoundError):
        order_sign(ctx=ctx_for(intruder), order_id=order.public_id, signer_name="Intruder")
    with pytest.raises(NotFoundError):
        order_cancel(ctx=ctx_for(intruder), order_id=order.public_id, reason="mine now")
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_SIGNATURES
    assert order.signatures.count() == 0


def test_only_an_order_not_yet_invoiced_can_be_cancelled(staff, reseller, product):
    order = order_place_online(ctx=ctx_for(reseller), product_id=product.public_id, quantity=3)
    with pytest.raises(OrderInvalidError):
        order_cancel(ctx=ctx_for(reseller), order_id=order.public_id, reason="  ")
    order_mark_invoiced(ctx=None, order=order)
    with pytest.raises(OrderStateError):
        order_cancel(ctx=ctx_for(reseller), order_id=order.public_id, reason="changed my mind")
    other = order_place_online(ctx=ctx_for(reseller), product_id=product.public_id, quantity=3)
    cancelled = order_cancel(ctx=ctx_for(staff), order_id=other.public_id, reason="duplicate")
    assert (cancelled.status, cancelled.cancel_reason) == (OrderStatus.CANCELLED, "duplicate")
    with pytest.raises(OrderStateError):
        order_mark_invoiced(ctx=None, order=cancelled)


@pytest.mark.rule("RT-3.3")
def test_the_paid_event_fires_once_per_order_and_the_order_is_fulfilled(reseller, product, paid_orders):
    order = order_place_online(ctx=ctx_for(reseller), product_id=product.public_id, quantity=7)
    with pytest.raises(OrderStateError):
        order_mark_paid(ctx=None, order=order)  # not invoiced yet
    assert paid_orders == []
    order_mark_invoiced(ctx=None, order=order)

    first = order_mark_paid(ctx=None, order=order)
    replay = order_mark_paid(ctx=None, order=order)

    assert [o.pk for o in paid_orders] == [order.pk]
    assert paid_orders[0].lines.get().quantity == 7
    assert first.status == replay.status == OrderStatus.FULFILLED
    assert first.paid_at is not None
    assert first.fulfilled_at is not None
