"""The back office's billing pages: invoicing an order (RT-3.4), documents and payments with filters and CSV exports,
credit notes, penalty disputes and refunds (RT-6.4), bank statement import with its review screen, and raising a
penalty with its amount shown first."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from trunkline.billing.models import (
    DisputeStatus,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    LineStatus,
    Payment,
    PenaltyDispute,
    Refund,
    RefundStatus,
    StatementImport,
    StatementLine,
)
from trunkline.billing.services import penalty_dispute_open, penalty_raise, statement_import
from trunkline.billing.tests.factories import World, billing_world
from trunkline.commerce.models import Order, OrderStatus
from trunkline.commerce.services import order_sign, purchase_order_create
from trunkline.testing.factories import member

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
INVOICES = "/ops/billing/invoices/"
PAYMENTS = "/ops/billing/payments/"
STATEMENTS = "/ops/billing/statements/"
PENALTY = "/ops/billing/penalties/new/"


@pytest.fixture
def world() -> World:
    return billing_world()


@pytest.fixture
def staff_client(world) -> Client:
    return client_of(world.staff)


def client_of(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def invoice_url(invoice: Invoice) -> str:
    return f"{INVOICES}{invoice.public_id}/"


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def statement(*rows: str) -> bytes:
    header = "Date;Amount;Currency;Reference;Counterparty;Counterparty IBAN;Bank reference\n"
    return (header + "\n".join(rows) + "\n").encode()


def upload(client: Client, data: bytes, name: str = "november.csv"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(STATEMENTS, {"file": file})


def raise_penalty(world: World, licenses: int = 2) -> Invoice:
    return penalty_raise(
        ctx=world.staff_ctx,
        organization_id=world.reseller.organization.public_id,
        product_id=world.product.public_id,
        licenses=licenses,
        reason="RT-4.10: affiliated end users above the cap",
    )


# ---- Who may enter ------------------------------------------------------------------------------------------------


def _every_get_url(world: World) -> list[str]:
    proforma = world.invoiced(quantity=10)
    assert proforma.order is not None
    return [
        INVOICES,
        f"{INVOICES}export.csv",
        invoice_url(proforma),
        PAYMENTS,
        f"{PAYMENTS}export.csv",
        f"{PAYMENTS}new/",
        STATEMENTS,
        PENALTY,
        f"{PENALTY}preview/?product={world.product.public_id}&licenses=3",
        f"/ops/billing/open-invoices/?organization={proforma.organization.public_id}&currency=EUR",
        f"/ops/orders/{proforma.order.public_id}/documents/",
    ]


def test_every_page_opens_for_staff(world, staff_client):
    for url in _every_get_url(world):
        assert staff_client.get(url).status_code == 200, url


@pytest.mark.parametrize("kind", ["reseller", "customer"])
def test_resellers_and_customers_get_404(world, kind):
    urls = _every_get_url(world)
    client = client_of(world.reseller if kind == "reseller" else member(kind="customer", accepted_terms=True))
    for url in urls:
        assert client.get(url).status_code == 404, url
    order = Order.objects.get()
    assert client.post(f"/ops/orders/{order.public_id}/invoice/", {"kind": "invoice"}).status_code == 404
    assert Invoice.objects.count() == 1


def test_support_reads_but_cannot_invoice_or_record(world):
    """ops:read opens the pages; every change needs ops:manage."""
    order = world.order(quantity=10)
    client = client_of(member(kind="operator", role="support"))
    assert client.get(INVOICES).status_code == 200
    assert client.post(f"/ops/orders/{order.public_id}/invoice/", {"kind": "proforma"}).status_code == 403
    assert client.post(f"{PAYMENTS}new/", {}).status_code == 403
    assert upload(client, statement("2026-11-03;10,00;EUR;x;y;;T1")).status_code == 403
    assert Invoice.objects.count() == 0
    assert StatementImport.objects.count() == 0


# ---- Invoicing an order --------------------------------------------------------------------------------------------


@pytest.mark.rule("RT-3.4")
def test_an_unsigned_purchase_order_is_refused_then_invoiced_once_both_signed(world, staff_client):
    order = purchase_order_create(ctx=world.reseller_ctx, product_id=world.product.public_id, quantity=100)
    url = f"/ops/orders/{order.public_id}/invoice/"

    refused = staff_client.post(url, {"kind": "proforma"}, follow=True)

    assert refused.redirect_chain == [(f"/ops/orders/{order.public_id}/", 302)]
    assert (
        f"Purchase Order {order.display_number} is not binding yet: both the reseller and the vendor must sign it."
        in refused.content.decode()
    )
    assert Invoice.objects.count() == 0

    order_sign(ctx=world.reseller_ctx, order_id=order.public_id, signer_name="Ivan Georgiev")
    order_sign(ctx=world.staff_ctx, order_id=order.public_id, signer_name="Olga Petrova")
    done = staff_client.post(url, {"kind": "proforma"}, follow=True)

    proforma = Invoice.objects.get()
    assert (proforma.kind, proforma.order_id) == (DocumentKind.PROFORMA, order.pk)
    assert f"{proforma.display_number} is issued" in done.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.INVOICED
    documents = staff_client.get(f"/ops/orders/{order.public_id}/documents/").content.decode()
    assert proforma.display_number in documents
    assert invoice_url(proforma) in documents

    again = staff_client.post(url, {"kind": "invoice"}, follow=True)
    assert "is Invoiced; that is not possible now." in again.content.decode()
    assert Invoice.objects.count() == 1


# ---- Documents ------------------------------------------------------------------------------------------------------


def test_invoice_filters_and_the_export_select_the_same_documents(world, staff_client):
    """Kind, purpose, organisation, issue dates and "overdue only" narrow both the list and the CSV."""
    with time_machine.travel(MONDAY, tick=False):
        proforma = world.invoiced(quantity=10)
        penalty = raise_penalty(world)
    other = billing_world(email="other@reseller.example.com")
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=UTC), tick=False):
        later = other.invoiced(quantity=20, kind="invoice")

    def listed(query: str) -> set[str]:
        page = staff_client.get(f"{INVOICES}?{query}").content.decode()
        return {doc.display_number for doc in (proforma, penalty, later) if f">{doc.display_number}<" in page}

    def exported(query: str) -> list[str]:
        header, *rows = read_csv(staff_client.get(f"{INVOICES}export.csv?{query}"))
        assert header[:4] == ["Number", "Kind", "Purpose", "Status"]
        return sorted(row[0] for row in rows)

    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False):
        for query, expected in [
            ("", {proforma, penalty, later}),
            ("kind=proforma", {proforma}),
            ("purpose=penalty", {penalty}),
            (f"organization={other.reseller.organization.public_id}", {later}),
            ("issued_from=2026-11-03", {later}),
            ("issued_to=2026-11-02", {proforma, penalty}),
            ("overdue=on", {proforma, penalty}),  # due on the 9th and the 16th; the later invoice on the 27th
        ]:
            numbers = {doc.display_number for doc in expected}
            assert listed(query) == numbers, query
            assert exported(query) == sorted(numbers), query


def test_the_export_writes_plain_amounts_and_iso_dates(world, staff_client):
    with time_machine.travel(MONDAY, tick=False):
        invoice = world.invoiced(quantity=10, kind="invoice")
        world.pay(invoice, "100.50")
    header, row = read_csv(staff_client.get(f"{INVOICES}export.csv"))
    values = dict(zip(header, row, strict=True))
    invoice.refresh_from_db()
    assert values["Total"] == f"{invoice.gross_amount:f}"
    assert (values["Paid"], values["Outstanding"]) == ("100.50", f"{invoice.gross_amount - Decimal('100.50'):f}")
    assert (values["Date of issue"], values["Due date"]) == ("2026-11-02", "2026-11-09")
    assert values["Issued at"] == "2026-11-02T11:00:00+02:00"
    assert values["Order"] == invoice.order.display_number


def test_the_lists_cost_the_same_queries_for_few_and_many_rows(world, staff_client):
    """Query-count guards on the documents and payments lists."""

    def cost(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(url).status_code == 200
        return len(queries)

    for _ in range(2):
        world.pay(world.invoiced(quantity=10), "10.00")
    staff_client.get(INVOICES)
    few = (cost(INVOICES), cost(PAYMENTS))
    for _ in range(8):
        world.pay(world.invoiced(quantity=10), "10.00")
    assert (cost(INVOICES), cost(PAYMENTS)) == few


def test_a_credit_note_corrects_an_invoice_from_its_page(world, staff_client):
    invoice = world.invoiced(quantity=10, kind="invoice")
    url = invoice_url(invoice)

    refused = staff_client.post(url, {"action": "credit", "credit-reason": " ", "credit-net": "-5"})
    assert refused.status_code == 422
    assert Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 0

    response = staff_client.post(
        url, {"action": "credit", "credit-reason": "Two licenses too many", "credit-net": "80"}
    )
    assert response.status_code == 302
    note = Invoice.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert (note.credited_id, note.net_amount) == (invoice.pk, Decimal("-80.00"))
    page = staff_client.get(url).content.decode()
    assert note.display_number in page
    assert "Two licenses too many" in page


@pytest.mark.rule("RT-6.4")
def test_a_dispute_decided_for_the_reseller_credits_the_penalty_and_the_refund_is_marked_paid(world, staff_client):
    penalty = raise_penalty(world, licenses=2)
    world.pay(penalty, str(penalty.gross_amount), reference=f"Penalty {penalty.display_number}")
    penalty_dispute_open(ctx=world.reseller_ctx, invoice_id=penalty.public_id, reason="Those users are not affiliated")
    url = invoice_url(penalty)
    page = staff_client.get(url).content.decode()
    assert "Those users are not affiliated" in page
    assert "Decide the dispute" in page

    missing = staff_client.post(url, {"action": "resolve", "resolve-outcome": "for_reseller"})
    assert missing.status_code == 422
    response = staff_client.post(
        url, {"action": "resolve", "resolve-outcome": "for_reseller", "resolve-resolution": "The logs agree with them"}
    )

    assert response.status_code == 302
    dispute = PenaltyDispute.objects.get()
    assert dispute.status == DisputeStatus.RESOLVED_FOR_RESELLER
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (penalty.gross_amount, RefundStatus.DUE)
    payments_page = staff_client.get(PAYMENTS).content.decode()
    assert "Refunds due" in payments_page
    assert refund.credit_note.display_number in payments_page

    prefix = f"refund-{refund.public_id}"
    blank = staff_client.post(f"/ops/billing/refunds/{refund.public_id}/paid/", {f"{prefix}-paid_on": "2026-11-20"})
    assert blank.status_code == 422
    paid = staff_client.post(
        f"/ops/billing/refunds/{refund.public_id}/paid/",
        {f"{prefix}-paid_on": "2026-11-20", f"{prefix}-bank_reference": "FT-REFUND-1"},
    )
    assert paid.status_code == 302
    refund.refresh_from_db()
    assert (refund.status, refund.paid_on, refund.bank_reference) == (
        RefundStatus.PAID,
        date(2026, 11, 20),
        "FT-REFUND-1",
    )
    assert "Refunds due" not in staff_client.get(PAYMENTS).content.decode()


def test_the_pdf_downloads_in_the_language_asked(world, staff_client):
    invoice = world.invoiced(quantity=10, kind="invoice")
    response = staff_client.get(f"{invoice_url(invoice)}pdf/?language=en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.display_number}.pdf"'
    assert response.content.startswith(b"%PDF")


# ---- Payments ------------------------------------------------------------------------------------------------------


def test_staff_record_a_payment_of_a_chosen_invoice_and_the_rest_is_credit(world, staff_client):
    proforma = world.invoiced(quantity=10)
    other = world.invoiced(quantity=20)
    form = staff_client.get(f"{PAYMENTS}new/?organization={world.reseller.organization.public_id}").content.decode()
    assert proforma.display_number in form
    assert other.display_number in form

    response = staff_client.post(
        f"{PAYMENTS}new/",
        {
            "organization": world.reseller.organization.public_id,
            "amount": str(proforma.gross_amount + Decimal("10.00")),
            "currency": "EUR",
            "received_on": "2026-11-02",
            "reference": "transfer",
            "invoice_ids": [str(proforma.public_id)],
        },
        follow=True,
    )

    payment = Payment.objects.get()
    assert payment.allocations.get().invoice_id == proforma.pk
    assert payment.unallocated.amount == Decimal("10.00")
    assert Invoice.objects.get(pk=other.pk).status == InvoiceStatus.ISSUED
    page = response.content.decode()
    assert f"It pays {proforma.display_number}." in page
    assert "10.00 EUR stays as credit." in page


def test_a_payment_with_invalid_fields_is_refused_beside_them(world, staff_client):
    response = staff_client.post(
        f"{PAYMENTS}new/", {"organization": "", "amount": "0", "currency": "EUR", "received_on": "2099-01-01"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_organization_error"' in page
    assert 'id="id_amount_error"' in page
    assert Payment.objects.count() == 0


def test_the_payments_export_has_the_filtered_rows(world, staff_client):
    first = world.invoiced(quantity=10)
    world.pay(first, "50.00", received_on=date(2026, 11, 2))
    world.pay(first, "25.00", received_on=date(2026, 11, 4), reference=f"second part {first.display_number}")
    header, *rows = read_csv(staff_client.get(f"{PAYMENTS}export.csv?received_from=2026-11-03"))
    assert header[:4] == ["Received on", "Organisation", "Amount", "Currency"]
    assert rows == [
        [
            "2026-11-04",
            world.reseller.organization.name,
            "25.00",
            "EUR",
            "25.00",
            "0.00",
            f"second part {first.display_number}",
            f"{first.display_number}=25.00",
            "no",
            world.staff.user.email,
            rows[0][-1],
        ]
    ]
    listed = staff_client.get(f"{PAYMENTS}?reference=second").content.decode()
    assert "second part" in listed
    assert f"Payment of {first.display_number}" not in listed


# ---- Bank statements and the review screen ---------------------------------------------------------------------------


@pytest.mark.rule("RT-3.3")
def test_a_statement_import_matches_one_line_and_the_other_is_assigned_on_the_review_screen(world, staff_client):
    """Upload, see the summary and the unmatched line, assign it; a second import records nothing again."""
    first = world.invoiced(quantity=10)
    second = world.invoiced(quantity=20)
    data = statement(
        f"2026-11-03;{first.gross_amount};EUR;Payment {first.display_number};Balkan Voice;BG18RZBB91550123456789;TX-1",
        f"2026-11-03;{second.gross_amount};EUR;licenses november;Balkan Voice OOD;BG18RZBB91550123456789;TX-2",
    )

    response = upload(staff_client, data)

    imported = StatementImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{STATEMENTS}?import={imported.public_id}"
    page = staff_client.get(response["Location"]).content.decode()
    assert '<dd id="summary-entries">2</dd>' in page
    assert '<dd id="summary-new">2</dd>' in page
    assert '<dd id="summary-duplicates">0</dd>' in page
    assert '<dd id="summary-matched">1</dd>' in page
    unmatched = StatementLine.objects.get(bank_reference="TX-2")
    assert unmatched.status == LineStatus.UNMATCHED
    assert f'id="line-{unmatched.public_id}"' in page
    assert "licenses november" in page
    assert "BG18RZBB91550123456789" in page
    assert Invoice.objects.get(pk=first.pk).status == InvoiceStatus.SUPERSEDED  # paid; its tax invoice followed

    prefix = f"line-{unmatched.public_id}"
    choices = staff_client.get(
        f"/ops/billing/open-invoices/?currency=EUR&prefix={prefix}-&{prefix}-organization="
        f"{world.reseller.organization.public_id}"
    ).content.decode()
    assert f'name="{prefix}-invoice_ids" value="{second.public_id}"' in choices
    assigned = staff_client.post(
        f"{STATEMENTS}lines/{unmatched.public_id}/assign/",
        {
            f"{prefix}-organization": world.reseller.organization.public_id,
            f"{prefix}-invoice_ids": [str(second.public_id)],
            f"{prefix}-note": "Paid without the number",
        },
    )

    assert assigned.status_code == 302
    assert Payment.objects.count() == 2
    assert Payment.objects.get(statement_line=unmatched).allocations.get().invoice_id == second.pk
    assert Invoice.objects.get(pk=second.pk).status == InvoiceStatus.SUPERSEDED
    assert 'id="review-empty"' in staff_client.get(STATEMENTS).content.decode()

    again = upload(staff_client, data, name="november-again.csv")
    page = staff_client.get(again["Location"]).content.decode()
    assert '<dd id="summary-new">0</dd>' in page
    assert '<dd id="summary-duplicates">2</dd>' in page
    assert Payment.objects.count() == 2


def test_an_assignment_needs_the_organisation_and_an_ignore_needs_a_note(world, staff_client):
    statement_import(ctx=world.staff_ctx, data=statement("2026-11-03;1,20;EUR;interest;Bank;;INT-1"), filename="s.csv")
    line = StatementLine.objects.get()
    prefix = f"line-{line.public_id}"

    no_organization = staff_client.post(f"{STATEMENTS}lines/{line.public_id}/assign/", {f"{prefix}-organization": ""})
    assert no_organization.status_code == 422
    assert f'id="id_{prefix}-organization_error"' in no_organization.content.decode()
    no_note = staff_client.post(f"{STATEMENTS}lines/{line.public_id}/ignore/", {f"{prefix}-ignore-note": ""})
    assert no_note.status_code == 422
    assert StatementLine.objects.get().status == LineStatus.UNMATCHED

    ignored = staff_client.post(f"{STATEMENTS}lines/{line.public_id}/ignore/", {f"{prefix}-ignore-note": "Interest"})
    assert ignored.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.review_note) == (LineStatus.IGNORED, "Interest")
    assert Payment.objects.count() == 0
    late = staff_client.post(f"{STATEMENTS}lines/{line.public_id}/ignore/", {f"{prefix}-ignore-note": "x"}, follow=True)
    assert "This bank line has already been dealt with." in late.content.decode()


def test_an_unreadable_statement_is_refused_with_the_reason(world, staff_client):
    response = upload(staff_client, b"<Document><broken>", name="camt.xml")
    assert response.status_code == 422
    assert "The bank statement could not be read" in response.content.decode()
    assert StatementImport.objects.count() == 0


def test_the_review_screen_costs_the_same_queries_for_few_and_many_lines(world, staff_client):
    def lines(start: int, count: int) -> bytes:
        return statement(*(f"2026-11-03;1{n},00;EUR;unknown {n};Payer {n};;R-{n}" for n in range(start, start + count)))

    statement_import(ctx=world.staff_ctx, data=lines(0, 2), filename="a.csv")
    staff_client.get(STATEMENTS)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(STATEMENTS)
    statement_import(ctx=world.staff_ctx, data=lines(2, 8), filename="b.csv")
    with CaptureQueriesContext(connection) as many:
        page = staff_client.get(STATEMENTS).content.decode()
    assert page.count('class="panel ops-review-line"') == 10
    assert len(many) == len(few)


def test_the_upload_page_explains_the_csv_layout(staff_client):
    page = staff_client.get(STATEMENTS).content.decode()
    assert "The CSV layout" in page
    assert "booking date" in page
    assert "основание за плащане" in page
    assert "Windows-1251" in page


# ---- Penalties ------------------------------------------------------------------------------------------------------


@pytest.mark.rule("RT-6.4")
def test_the_penalty_form_shows_the_amount_and_due_date_and_raising_opens_the_invoice(world, staff_client):
    retail = world.product.retail_amount
    with time_machine.travel(MONDAY, tick=False):
        preview = staff_client.get(f"{PENALTY}preview/?product={world.product.public_id}&licenses=3").content.decode()
        assert f'id="penalty-total">{retail * 2 * 3:.2f} EUR' in preview
        assert 'id="penalty-due">16 Nov 2026 <span class="muted ops-due-days">(in 14 days)</span>' in preview

        response = staff_client.post(
            PENALTY,
            {
                "organization": world.reseller.organization.public_id,
                "product": world.product.public_id,
                "licenses": 3,
                "reason": "RT-4.10: three affiliated end users above the cap",
            },
        )

    penalty = Invoice.objects.get(purpose="penalty")
    assert response.status_code == 302
    assert response["Location"] == invoice_url(penalty)
    assert (penalty.gross_amount, penalty.due_date) == (retail * 2 * 3, date(2026, 11, 16))


def test_a_penalty_without_reseller_or_description_is_refused(world, staff_client):
    response = staff_client.post(
        PENALTY, {"organization": "", "product": world.product.public_id, "licenses": 2, "reason": ""}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_organization_error"' in page
    assert 'id="id_reason_error"' in page
    assert 'id="penalty-total"' in page  # the amount is still shown beside the form
    assert Invoice.objects.count() == 0
