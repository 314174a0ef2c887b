"""Invoicing orders and settling them by payment: numbering without gaps, partial payments firing nothing, full
payment firing the paid events once (RT-3.3), overpayment as credit, credit notes and refunds, and statements."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.db import transaction

from trunkline.audit.models import AuditEvent
from trunkline.billing.errors import (
    BillingInvalidError,
    CreditExceedsInvoiceError,
    StatementLineStateError,
    StatementUnreadableError,
)
from trunkline.billing.events import invoice_paid
from trunkline.billing.models import (
    DocumentKind,
    Invoice,
    InvoiceStatus,
    LineStatus,
    Payment,
    Refund,
    StatementLine,
)
from trunkline.billing.selectors import balance_of, invoice_get
from trunkline.billing.services import (
    LineData,
    credit_apply,
    credit_note_issue,
    document_issue,
    invoice_order,
    statement_import,
    statement_line_assign,
    statement_line_ignore,
)
from trunkline.billing.tests.factories import billing_world
from trunkline.commerce.errors import OrderNotBindingError, OrderStateError
from trunkline.commerce.events import order_paid
from trunkline.commerce.models import OrderStatus
from trunkline.commerce.services import purchase_order_create
from trunkline.core.errors import NotFoundError
from trunkline.core.money import Money
from trunkline.notifications.models import Notice
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fired():
    """Orders and invoices whose paid events fired, in order."""
    events: list[tuple[str, int]] = []

    def on_order(sender, order, ctx, **kwargs):
        events.append(("order_paid", order.pk))

    def on_invoice(sender, invoice, ctx, **kwargs):
        events.append(("invoice_paid", invoice.pk))

    order_paid.connect(on_order, weak=False, dispatch_uid="test-billing-order")
    invoice_paid.connect(on_invoice, weak=False, dispatch_uid="test-billing-invoice")
    yield events
    order_paid.disconnect(dispatch_uid="test-billing-order")
    invoice_paid.disconnect(dispatch_uid="test-billing-invoice")


def test_an_order_is_invoiced_with_its_own_prices_and_the_buyer_is_told():
    world = billing_world()
    world.reseller.organization.vat_number = "BG175074752"
    world.reseller.organization.save()
    with time_machine.travel(datetime(2026, 11, 2, 22, 30, tzinfo=UTC), tick=False):  # 00:30 in Sofia
        proforma = world.invoiced(quantity=250)
    order = proforma.order
    assert order is not None

    assert (proforma.kind, proforma.number, proforma.display_number) == ("proforma", "0000000001", "PF0000000001")
    assert proforma.issue_date == date(2026, 11, 3)  # the Bulgarian date, not the UTC one
    assert proforma.due_date == date(2026, 11, 10)  # policy: 7 days
    [line] = proforma.lines.all()
    assert (line.quantity, line.unit_price, line.net_amount, line.vat_rate, line.vat_amount, line.gross_amount) == (
        Decimal("250"),
        order.lines.get().unit_price,
        order.net_amount,
        Decimal("20.00"),
        order.vat_amount,
        order.gross_amount,
    )
    assert (proforma.buyer_name, proforma.buyer_vat_number) == (world.reseller.organization.name, "BG175074752")
    assert proforma.seller["vat_number"] == "BG175074752"
    assert order.status == OrderStatus.INVOICED
    [notice] = Notice.objects.filter(kind="billing.document_issued")
    assert notice.recipient == "billing@reseller.example.com"
    assert "PF0000000001" in notice.subject
    with pytest.raises(OrderStateError):  # invoiced already
        invoice_order(ctx=world.staff_ctx, order_id=order.public_id)


@pytest.mark.rule("RT-3.4")
def test_an_unsigned_purchase_order_cannot_be_invoiced():
    world = billing_world()
    order = purchase_order_create(ctx=world.reseller_ctx, product_id=world.product.public_id, quantity=10)
    with pytest.raises(OrderNotBindingError):
        invoice_order(ctx=world.staff_ctx, order_id=order.public_id)
    assert Invoice.objects.count() == 0


@pytest.mark.rule("RT-3.3")
def test_half_a_payment_fires_nothing_and_the_rest_fires_order_paid_once(fired):
    world = billing_world()
    proforma = world.invoiced(quantity=10)  # 10 × 44.00 + 20 % = 528.00 (default book)
    order = proforma.order
    assert order is not None
    assert proforma.gross_amount == Decimal("528.00")

    world.pay(proforma, "264.00")
    proforma.refresh_from_db()
    assert fired == []
    assert (proforma.status, proforma.outstanding) == (InvoiceStatus.ISSUED, Money.of("264.00"))
    assert order.status == OrderStatus.INVOICED

    world.pay(proforma, "264.00")

    proforma.refresh_from_db()
    assert fired == [("invoice_paid", proforma.pk), ("order_paid", proforma.order_id)]
    assert proforma.status == InvoiceStatus.SUPERSEDED
    final = Invoice.objects.get(proforma=proforma)
    assert (final.kind, final.display_number, final.status) == ("invoice", "0000000001", InvoiceStatus.PAID)
    assert final.gross_amount == proforma.gross_amount
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED


def test_an_overpayment_is_kept_as_credit_and_pays_the_next_invoice():
    world = billing_world()
    first = world.invoiced(quantity=10)
    world.pay(first, "600.00")  # 528.00 owed
    assert balance_of(organization=world.reseller.organization).credit == Money.of("72.00")

    second = world.invoiced(quantity=1)  # 49.00 + 20 % = 58.80
    paid = credit_apply(ctx=world.reseller_ctx, invoice_id=second.public_id)

    assert paid.status == InvoiceStatus.SUPERSEDED  # a paid proforma, followed by its invoice
    assert balance_of(organization=world.reseller.organization).credit == Money.of("13.20")
    assert balance_of(organization=world.reseller.organization).outstanding == Money.of("0")


def test_a_payment_is_refused_when_the_input_is_wrong_and_nothing_is_recorded():
    world = billing_world()
    proforma = world.invoiced()
    for amount in ("0", "-5", "1.234", "0.001"):
        with pytest.raises(BillingInvalidError) as error:
            world.pay(proforma, amount)
        assert "amount" in error.value.fields
    with pytest.raises(BillingInvalidError) as error:
        world.pay(proforma, "10.00", received_on=date(2030, 1, 1))
    assert "received_on" in error.value.fields
    foreign = billing_world(email="other@example.com").invoiced()
    with pytest.raises(BillingInvalidError):
        world.pay(proforma, "10.00", invoice_ids=[foreign.public_id])
    assert Payment.objects.count() == 0


def test_numbers_have_no_gaps_when_an_issue_fails_and_series_are_separate():
    world = billing_world()
    organization = world.reseller.organization
    line = LineData(description="x", quantity=Decimal(1), unit_price=Decimal(10), net=Decimal(10), vat_rate=Decimal(20))

    def issue(kind: str) -> Invoice:
        return document_issue(
            ctx=None,
            organization=organization,
            kind=kind,
            purpose="order",
            lines=[line],
            due_in_days=7,
            at=datetime(2026, 11, 2, 9, tzinfo=UTC),
            currency="EUR",
            notify=False,
        )

    with transaction.atomic():
        assert issue("invoice").number == "0000000001"
    with pytest.raises(RuntimeError), transaction.atomic():
        issue("invoice")
        raise RuntimeError("the caller failed after the number was taken")
    with transaction.atomic():
        assert issue("credit_note").number == "0000000002"  # credit notes share the tax series
        assert issue("proforma").display_number == "PF0000000001"
        assert issue("invoice").number == "0000000003"


def test_a_credit_note_corrects_an_open_invoice_and_a_paid_part_becomes_a_refund():
    world = billing_world()
    invoice = world.invoiced(quantity=10, kind="invoice")  # 528.00
    with pytest.raises(BillingInvalidError):
        credit_note_issue(ctx=world.staff_ctx, invoice_id=invoice.public_id, reason=" ")
    partial = credit_note_issue(ctx=world.staff_ctx, invoice_id=invoice.public_id, reason="discount", net=Decimal(50))
    assert (partial.kind, partial.gross_amount, partial.number) == ("credit_note", Decimal("-60.00"), "0000000002")
    invoice.refresh_from_db()
    assert invoice.outstanding == Money.of("468.00")

    world.pay(invoice, "300.00")
    rest = credit_note_issue(ctx=world.staff_ctx, invoice_id=invoice.public_id, reason="withdrawn", net=Decimal(390))

    with pytest.raises(CreditExceedsInvoiceError):
        credit_note_issue(ctx=world.staff_ctx, invoice_id=invoice.public_id, reason="again", net=Decimal(1))
    assert rest.gross_amount == Decimal("-468.00")
    refund = Refund.objects.get()  # 168.00 was still owed; the other 300.00 of the credit was paid
    assert (refund.amount, refund.credit_note) == (Decimal("300.00"), rest)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.outstanding) == (InvoiceStatus.PAID, Money.of("0"))

    untouched = world.invoiced(quantity=10, kind="invoice")
    full = credit_note_issue(ctx=world.staff_ctx, invoice_id=untouched.public_id, reason="order withdrawn")
    untouched.refresh_from_db()
    assert full.gross_amount == Decimal("-528.00")  # every line negated
    assert untouched.status == InvoiceStatus.CREDITED
    assert Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 3
    assert Refund.objects.count() == 1


def test_a_reseller_reads_only_its_own_invoices():
    world = billing_world()
    invoice = world.invoiced()
    assert invoice_get(ctx=world.reseller_ctx, invoice_id=invoice.public_id) == invoice
    intruder = member(kind="reseller", role="admin", accepted_terms=True)
    with pytest.raises(NotFoundError):
        invoice_get(ctx=ctx_for(intruder), invoice_id=invoice.public_id)
    with pytest.raises(NotFoundError):
        credit_apply(ctx=ctx_for(intruder), invoice_id=invoice.public_id)


def _csv(*rows: str) -> bytes:
    return ("date;amount;currency;reference;counterparty;bank reference\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.rule("RT-3.3")
def test_a_statement_imported_twice_records_each_payment_once_and_fires_once(fired):
    world = billing_world()
    proforma = world.invoiced(quantity=10)  # 528.00
    statement = _csv(
        f"2026-11-03;264,00;EUR;Payment {proforma.display_number} part 1;Reseller Ltd;TX-1",
        f"2026-11-04;264,00;EUR;Payment {proforma.display_number} part 2;Reseller Ltd;TX-2",
        "2026-11-04;99,00;EUR;membership fee;Somebody;TX-3",
        "2026-11-04;-12,00;EUR;bank fee;Bank;TX-4",
    )

    first = statement_import(ctx=world.staff_ctx, data=statement, filename="nov.csv")
    again = statement_import(ctx=world.staff_ctx, data=statement, filename="nov-copy.csv")

    assert (first.entries, first.new_entries, first.duplicates, first.matched) == (4, 4, 0, 2)
    assert (again.entries, again.new_entries, again.duplicates, again.matched) == (4, 0, 4, 0)
    assert Payment.objects.count() == 2
    assert fired == [("invoice_paid", proforma.pk), ("order_paid", proforma.order_id)]
    statuses = dict(StatementLine.objects.values_list("bank_reference", "status"))
    assert statuses == {
        "TX-1": LineStatus.MATCHED,
        "TX-2": LineStatus.MATCHED,
        "TX-3": LineStatus.UNMATCHED,
        "TX-4": LineStatus.OUTGOING,
    }


def test_unmatched_lines_are_assigned_or_ignored_on_review():
    world = billing_world()
    proforma = world.invoiced(quantity=1)  # 58.80
    statement_import(
        ctx=world.staff_ctx,
        data=_csv("2026-11-03;60,00;EUR;for licenses;Reseller Ltd;A1", "2026-11-03;1,00;EUR;interest;Bank;A2"),
        filename="s.csv",
    )
    unknown = StatementLine.objects.get(bank_reference="A1")
    interest = StatementLine.objects.get(bank_reference="A2")

    statement_line_assign(
        ctx=world.staff_ctx,
        line_id=unknown.public_id,
        organization_id=world.reseller.organization.public_id,
        invoice_ids=[proforma.public_id],
    )
    with pytest.raises(BillingInvalidError):
        statement_line_ignore(ctx=world.staff_ctx, line_id=interest.public_id, note="")
    statement_line_ignore(ctx=world.staff_ctx, line_id=interest.public_id, note="bank interest")
    with pytest.raises(StatementLineStateError):
        statement_line_ignore(ctx=world.staff_ctx, line_id=interest.public_id, note="again")

    proforma.refresh_from_db()
    assert proforma.status == InvoiceStatus.SUPERSEDED
    assert balance_of(organization=world.reseller.organization).credit == Money.of("1.20")
    assert AuditEvent.objects.filter(action="billing.statement_line.ignored").count() == 1


def test_a_camt053_statement_is_imported_and_a_broken_file_is_refused_whole():
    world = billing_world()
    imported = statement_import(
        ctx=world.staff_ctx, data=(FIXTURES / "camt053_001_02.xml").read_bytes(), filename="camt.xml"
    )
    assert imported.format == "camt.053"
    assert imported.new_entries == imported.entries > 0
    with pytest.raises(StatementUnreadableError) as error:
        statement_import(ctx=world.staff_ctx, data=b"<Document><broken>", filename="x.xml")
    assert "file" in error.value.fields
    assert StatementLine.objects.count() == imported.entries
