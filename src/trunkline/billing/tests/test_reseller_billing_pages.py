"""The reseller's billing pages: the balance with the bank details, its documents with the overdue ones marked, each
document with its payments and PDF, paying from credit, and contesting a penalty without moving its due date
(RT-6.4). Another reseller's document is a 404."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from trunkline.billing.models import InvoiceStatus, PenaltyDispute, Seller
from trunkline.billing.services import penalty_raise
from trunkline.billing.tests.factories import World, billing_world
from trunkline.testing.factories import member

pytestmark = pytest.mark.django_db

BILLING = "/reseller/billing/"
INVOICES = "/reseller/billing/invoices/"


@pytest.fixture
def world() -> World:
    return billing_world()


@pytest.fixture
def client(world) -> Client:
    client = Client()
    client.force_login(world.reseller.user)
    return client


def penalty(world: World, licenses: int = 3):
    return penalty_raise(
        ctx=world.staff_ctx,
        organization_id=world.reseller.organization.public_id,
        product_id=world.product.public_id,
        licenses=licenses,
        reason="Licenses assigned to end users of another company",
    )


def test_the_billing_page_shows_the_balance_payments_and_where_to_pay(world, client):
    seller = Seller.current()
    seller.iban, seller.bic, seller.bank_name = "BG80BNBG96611020345678", "BNBGBGSD", "Example Bank"
    seller.save()
    invoice = world.invoiced(quantity=10)  # 440.00 net, 528.00 gross
    world.pay(invoice, "100.00")
    response = client.get(BILLING)
    assert response.status_code == 200
    text = response.content.decode()
    assert '<span class="card-number" id="balance-outstanding">428.00 EUR</span>' in text
    assert '<span class="card-number" id="balance-credit">0.00 EUR</span>' in text
    assert "BG80BNBG96611020345678" in text
    assert invoice.display_number in text
    assert "100.00 EUR" in text
    assert '<a href="/reseller/billing/" aria-current="page">Billing</a>' in text


def test_the_document_list_filters_by_status_and_marks_the_overdue(world, client):
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False):
        late = world.invoiced(quantity=10)
    paid = world.invoiced(quantity=12)
    world.pay(paid, str(paid.gross_amount))
    text = client.get(INVOICES).content.decode()
    assert late.display_number in text
    assert paid.display_number in text
    assert "badge-invoice-overdue" in text
    issued = client.get(INVOICES, {"status": "issued"}).content.decode()
    assert late.display_number in issued
    assert paid.display_number not in issued
    overdue = client.get(INVOICES, {"status": "overdue"}).content.decode()
    assert late.display_number in overdue
    assert paid.display_number not in overdue
    by_order = client.get(INVOICES, {"order": str(paid.order.public_id)}).content.decode()
    assert paid.display_number in by_order
    assert late.display_number not in by_order


def test_the_document_list_runs_the_same_number_of_queries_for_many_documents(world, client):
    world.invoiced(quantity=5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(INVOICES).status_code == 200
    for quantity in range(6, 14):
        world.invoiced(quantity=quantity)
    with CaptureQueriesContext(connection) as many:
        assert client.get(INVOICES).status_code == 200
    assert len(many) == len(few)


def test_a_document_shows_its_lines_and_payments_and_downloads_as_a_pdf(world, client):
    invoice = world.invoiced(quantity=10, kind="invoice")
    world.pay(invoice, "28.00", reference=f"Part of {invoice.display_number}")
    page = f"{INVOICES}{invoice.public_id}/"
    text = client.get(page).content.decode()
    assert invoice.lines.get().description in text
    assert f"Part of {invoice.display_number}" in text
    assert '<td class="cell-number" id="invoice-outstanding">500.00 EUR</td>' in text
    assert f'href="{page}pdf/"' in text
    pdf = client.get(f"{page}pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="{invoice.display_number}.pdf"'
    assert pdf.content.startswith(b"%PDF")


def test_a_reseller_gets_404_for_another_resellers_documents(world, client):
    other = billing_world(email="other@reseller.example.com")
    theirs = other.invoiced(quantity=10)
    assert client.get(f"{INVOICES}{theirs.public_id}/").status_code == 404
    assert client.get(f"{INVOICES}{theirs.public_id}/pdf/").status_code == 404
    assert client.post(f"{INVOICES}{theirs.public_id}/", {"action": "credit"}).status_code == 404
    assert theirs.display_number not in client.get(INVOICES).content.decode()


@pytest.mark.rule("RT-6.4")
def test_contesting_a_penalty_records_the_dispute_and_keeps_the_due_date(world, client):
    invoice = penalty(world)
    due = invoice.due_date
    page = f"{INVOICES}{invoice.public_id}/"
    text = client.get(page).content.decode()
    assert "Contesting does not move the due date" in text
    assert client.post(page, {"action": "contest", "reason": ""}).status_code == 422
    response = client.post(page, {"action": "contest", "reason": "These were test users of ours"})
    assert response.status_code == 302
    dispute = PenaltyDispute.objects.get(invoice=invoice)
    assert dispute.reason == "These were test users of ours"
    invoice.refresh_from_db()
    assert invoice.due_date == due
    text = client.get(page).content.decode()
    assert "These were test users of ours" in text
    assert 'value="contest"' not in text
    assert "stays due on" in text


def test_an_order_invoice_cannot_be_contested(world, client):
    invoice = world.invoiced(quantity=10, kind="invoice")
    page = f"{INVOICES}{invoice.public_id}/"
    assert 'value="contest"' not in client.get(page).content.decode()


def test_paying_from_credit(world, client):
    """An overpayment becomes credit; the next invoice shows "Pay from credit", which settles it from that credit."""
    first = world.invoiced(quantity=10)
    world.pay(first, str(first.gross_amount + 600), received_on=date(2026, 11, 1))
    second = world.invoiced(quantity=10)
    page = f"{INVOICES}{second.public_id}/"
    text = client.get(page).content.decode()
    assert "Pay from credit" in text
    assert "600.00 EUR of credit" in text
    response = client.post(page, {"action": "credit"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == InvoiceStatus.SUPERSEDED  # a paid proforma, replaced by its tax invoice
    assert second.outstanding.amount == 0
    text = client.get(page).content.decode()
    assert "Your credit was applied" in text
    assert 'value="credit"' not in text


def test_the_billing_pages_are_behind_the_terms_gate_and_need_billing_access():
    newcomer = member(kind="reseller", role="admin")
    client = Client()
    client.force_login(newcomer.user)
    for page in (BILLING, INVOICES):
        response = client.get(page)
        assert response.status_code == 302
        assert "/accept/" in response["Location"]
    staff = member(kind="reseller", role="staff", accepted_terms=True)
    client.force_login(staff.user)
    assert client.get(BILLING).status_code == 403
    assert client.get(INVOICES).status_code == 403


def test_the_overdue_card_counts_what_is_past_due(world, client):
    with time_machine.travel(datetime.now(tz=UTC) - timedelta(days=30), tick=False):
        late = world.invoiced(quantity=10)
    text = client.get(BILLING).content.decode()
    assert f'id="balance-overdue">{late.gross_amount:,.2f} EUR</span>' in text
