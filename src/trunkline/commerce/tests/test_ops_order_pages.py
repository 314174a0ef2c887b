"""The back office's order pages: every reseller's orders with filters and a CSV export, drawing up a Purchase Order,
and one order with its signatures, the vendor's signature (RT-3.4) and cancelling."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from trunkline.billing.tests.factories import World, billing_world
from trunkline.commerce.models import Order, OrderKind, OrderSignature, OrderStatus, SignatureMethod, SignatureSide
from trunkline.commerce.services import order_place_online, order_sign, purchase_order_create
from trunkline.commerce.views.ops import tier_label
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db

LIST = "/ops/orders/"
EXPORT = "/ops/orders/export.csv"
NEW = "/ops/orders/new/"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path}},
    }


@pytest.fixture
def world() -> World:
    return billing_world()


def client_of(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def purchase_order(world: World, quantity: int = 500) -> Order:
    return purchase_order_create(ctx=world.reseller_ctx, product_id=world.product.public_id, quantity=quantity)


def detail_url(order: Order) -> str:
    return f"/ops/orders/{order.public_id}/"


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# ---- Who may enter ------------------------------------------------------------------------------------------------


def test_every_page_opens_for_staff(world):
    """Staff see the list, the export, the new Purchase Order form and an order."""
    order = world.order(quantity=10)
    client = client_of(world.staff)
    for url in (LIST, EXPORT, NEW, detail_url(order)):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("kind", ["reseller", "customer"])
def test_resellers_and_customers_get_404(world, kind):
    """The back office does not exist for a reseller's or a customer's member, not even for their own order."""
    order = world.order(quantity=10)
    client = client_of(world.reseller if kind == "reseller" else member(kind="customer", accepted_terms=True))
    for url in (LIST, EXPORT, NEW, detail_url(order)):
        assert client.get(url).status_code == 404, url
    assert client.post(detail_url(order), {"action": "cancel", "reason": "no"}).status_code == 404
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED


def test_support_reads_but_changes_nothing(world):
    """A support engineer (ops:read only) sees the pages without the forms and is refused a change."""
    order = purchase_order(world)
    client = client_of(member(kind="operator", role="support"))
    page = client.get(detail_url(order)).content.decode()
    assert "Sign for the vendor" not in page
    assert "Cancel this order" not in page
    assert client.post(detail_url(order), {"action": "sign", "signer_name": "Me"}).status_code == 403
    assert (
        client.post(NEW, {"organization": order.organization.public_id, "product": world.product.public_id}).status_code
        == 403
    )
    assert OrderSignature.objects.filter(side=SignatureSide.VENDOR).count() == 0
    assert Order.objects.count() == 1


def test_an_unknown_order_is_404(world):
    assert client_of(world.staff).get("/ops/orders/00000000-0000-4000-8000-000000000000/").status_code == 404


# ---- The list, its filters and the export ------------------------------------------------------------------------


def test_filters_select_orders_by_reseller_status_kind_and_placed_dates(world):
    """Each filter narrows the list; "placed to" includes its whole day in the staff member's zone."""
    other = member(kind="reseller", accepted_terms=True)
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False):
        early = world.order(quantity=10)
    with time_machine.travel(datetime(2026, 11, 5, 21, 30, tzinfo=UTC), tick=False):  # 23:30 in Sofia on the 5th
        late = world.order(quantity=20)
        theirs = order_place_online(ctx=ctx_for(other), product_id=world.product.public_id, quantity=5)
    purchase = purchase_order(world)
    client = client_of(world.staff)

    def numbers(query: str) -> set[str]:
        page = client.get(f"{LIST}?{query}").content.decode()
        return {order.display_number for order in (early, late, theirs, purchase) if order.display_number in page}

    everyone = {early.display_number, late.display_number, theirs.display_number, purchase.display_number}
    assert numbers("") == everyone
    assert numbers(f"organization={other.organization.public_id}") == {theirs.display_number}
    assert numbers("kind=purchase") == {purchase.display_number}
    assert numbers("status=placed&kind=online") == {early.display_number, late.display_number, theirs.display_number}
    assert numbers("placed_from=2026-11-01&placed_to=2026-11-05") == {
        early.display_number,
        late.display_number,
        theirs.display_number,
    }
    assert numbers("placed_from=2026-11-03&placed_to=2026-11-05") == {late.display_number, theirs.display_number}
    assert numbers("placed_to=2026-11-04") == {early.display_number}


def test_the_export_has_a_header_and_exactly_the_filtered_rows(world):
    """The CSV keeps the list's filters: UTF-8 with a BOM, plain decimal amounts, times in the staff member's zone."""
    staff = world.staff
    staff.user.time_zone = "America/New_York"
    staff.user.save(update_fields=["time_zone"])
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False):
        big = world.order(quantity=250)
        purchase = purchase_order(world, quantity=30)
    response = client_of(staff).get(f"{EXPORT}?kind=online")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    header, *rows = read_csv(response)
    assert header[:5] == ["Number", "Kind", "Status", "Reseller", "Placed at"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    line = big.lines.get()
    assert row["Number"] == big.display_number != purchase.display_number
    assert (row["Kind"], row["Status"], row["Reseller"]) == ("online", "placed", big.organization.name)
    assert row["Placed at"] == "2026-11-02T04:00:00-05:00"
    assert (row["Licenses"], row["Unit price"], row["Currency"]) == ("250", f"{line.unit_price:f}", "EUR")
    assert (row["Net"], row["VAT"], row["Total"]) == (
        f"{big.net_amount:f}",
        f"{big.vat_amount:f}",
        f"{big.gross_amount:f}",
    )
    assert Decimal(row["Total"]) == big.gross_amount
    assert "," not in row["Total"]


def test_an_empty_export_still_has_its_header(world):
    header, *rows = read_csv(client_of(world.staff).get(f"{EXPORT}?status=cancelled"))
    assert header[0] == "Number"
    assert rows == []


def test_the_list_costs_the_same_queries_for_3_and_13_orders(world):
    """Query-count guard: the list reads reseller, lines and products in a fixed number of queries."""
    client = client_of(world.staff)
    for _ in range(3):
        world.order(quantity=10)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for _ in range(10):
        world.order(quantity=10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as exported:
        assert len(read_csv(client.get(EXPORT))) == 14
    assert len(exported) <= len(few) + 2


# ---- Drawing up a Purchase Order -------------------------------------------------------------------------------


def test_staff_draw_up_a_purchase_order_for_a_reseller(world):
    """The new order waits for both signatures, priced from the reseller's book."""
    response = client_of(world.staff).post(
        NEW,
        {"organization": world.reseller.organization.public_id, "product": world.product.public_id, "quantity": 120},
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(order)
    assert (order.kind, order.status, order.organization) == (
        OrderKind.PURCHASE,
        OrderStatus.AWAITING_SIGNATURES,
        world.reseller.organization,
    )
    assert order.lines.get().quantity == 120


def test_a_purchase_order_without_reseller_or_quantity_is_refused_beside_the_fields(world):
    response = client_of(world.staff).post(NEW, {"organization": "", "product": world.product.public_id, "quantity": 0})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_organization_error"' in page
    assert 'id="id_quantity_error"' in page
    assert Order.objects.count() == 0


# ---- One order: signatures and cancelling ----------------------------------------------------------------------


@pytest.mark.rule("RT-3.4")
def test_the_vendor_signs_by_click_and_the_order_binds_after_the_reseller(world):
    order = purchase_order(world)
    order_sign(ctx=world.reseller_ctx, order_id=order.public_id, signer_name="Ivan Georgiev, director")
    client = client_of(world.staff)

    response = client.post(detail_url(order), {"action": "sign", "signer_name": "Olga Petrova, sales director"})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.BINDING
    vendor = order.signatures.get(side=SignatureSide.VENDOR)
    assert (vendor.method, vendor.signer_name, vendor.recorded_by) == (
        SignatureMethod.CLICK,
        "Olga Petrova, sales director",
        world.staff.user,
    )
    page = client.get(detail_url(order)).content.decode()
    assert "You signed" in page
    assert "Ivan Georgiev, director" in page
    assert "Olga Petrova, sales director" in page
    assert "Sign for the vendor</h3>" not in page


@pytest.mark.rule("RT-3.4")
def test_the_vendor_uploads_the_signed_pdf_and_its_hash_and_download_show(world):
    order = purchase_order(world)
    client = client_of(world.staff)
    document = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")

    response = client.post(detail_url(order), {"action": "sign", "signer_name": "Olga Petrova", "document": document})

    assert response.status_code == 302
    signature = order.signatures.get(side=SignatureSide.VENDOR)
    digest = hashlib.sha256(PDF).hexdigest()
    assert (signature.method, signature.document_sha256) == (SignatureMethod.UPLOADED, digest)
    page = client.get(detail_url(order)).content.decode()
    download = f"/ops/orders/{order.public_id}/signatures/{signature.public_id}/document/"
    assert digest in page
    assert download in page
    file = client.get(download)
    assert file.status_code == 200
    assert file.getvalue() == PDF
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_SIGNATURES  # the reseller has not signed


def test_a_signed_document_that_is_no_pdf_is_refused_beside_its_field(world):
    order = purchase_order(world)
    document = SimpleUploadedFile("signed.pdf", b"hello", content_type="application/pdf")
    response = client_of(world.staff).post(
        detail_url(order), {"action": "sign", "signer_name": "Olga Petrova", "document": document}
    )
    assert response.status_code == 422
    assert "The signed document must be a PDF file." in response.content.decode()
    assert not order.signatures.exists()


def test_staff_cancel_with_a_reason_and_a_reason_is_required(world):
    order = world.order(quantity=10)
    client = client_of(world.staff)

    refused = client.post(detail_url(order), {"action": "cancel", "reason": "  "})
    assert refused.status_code == 422
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED

    response = client.post(detail_url(order), {"action": "cancel", "reason": "Ordered twice by mistake"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "Ordered twice by mistake")
    page = client.get(detail_url(order)).content.decode()
    assert "Ordered twice by mistake" in page
    assert "Cancel this order" not in page


def test_the_order_page_shows_the_kept_tier_and_the_invoice_buttons(world):
    """The line shows its tier and unit price as placed; a binding order offers both kinds of invoice."""
    order = world.order(quantity=250)
    line = order.lines.get()
    page = client_of(world.staff).get(detail_url(order)).content.decode()
    assert f"/ops/orders/{order.public_id}/invoice/" in page
    assert 'value="proforma"' in page
    assert 'value="invoice"' in page
    assert f"<td>{tier_label(line.tier_min_quantity, line.tier_max_quantity)}</td>" in page
    assert f"/ops/orders/{order.public_id}/documents/" in page
