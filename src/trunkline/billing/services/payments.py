"""Recording money received: by staff from the bank's advice, or from an imported bank statement. A payment is
spread over the invoices it names (in the reference, or chosen by staff); a partial payment leaves the rest owed,
and an overpayment stays as the payer's credit, which can later pay another invoice."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.billing.calendar import business_date
from trunkline.billing.domain.matching import OpenItem, allocate, find_invoice_numbers
from trunkline.billing.errors import BillingInvalidError, NoCreditError
from trunkline.billing.models import (
    DocumentKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    Refund,
    RefundStatus,
    StatementLine,
)
from trunkline.billing.services.invoices import invoice_settle, require_staff
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.core.money import MINOR_UNITS, round_half_up
from trunkline.tenancy.models import Organization

PAYABLE_KINDS = (DocumentKind.PROFORMA, DocumentKind.INVOICE)


def open_invoices_named(*, organization: Organization | None, reference: str, currency: str) -> list[Invoice]:
    """Open documents whose numbers the reference names, in the order written (of ``organization`` if given)."""
    wanted = find_invoice_numbers(reference)
    if not wanted:
        return []
    found: list[Invoice] = []
    for written in wanted:
        is_proforma = written.startswith("PF")
        documents = Invoice.objects.select_related("series", "organization").filter(
            kind=DocumentKind.PROFORMA if is_proforma else DocumentKind.INVOICE,
            number=written.removeprefix("PF"),
            status=InvoiceStatus.ISSUED,
            currency=currency,
        )
        if organization is not None:
            documents = documents.filter(organization=organization)
        found.extend(documents)
    return found


def _checked_amount(amount: Any, currency: str) -> Decimal:
    if currency not in MINOR_UNITS:
        raise BillingInvalidError(fields={"currency": [_("Choose one of the currencies offered.")]})
    try:
        value = Decimal(str(amount)) if not isinstance(amount, float) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0 or value != round_half_up(value, currency):
        raise BillingInvalidError(fields={"amount": [_("Give a positive amount with at most 2 decimals.")]})
    return value


def payment_record(
    *,
    ctx: RequestContext | None,
    organization_id: Any,
    amount: Any,
    currency: str,
    received_on: date,
    reference: str = "",
    invoice_ids: list[Any] | None = None,
    statement_line: StatementLine | None = None,
    at: datetime | None = None,
) -> Payment:
    """Record a bank transfer from a reseller or customer (staff, or the statement import as ``ctx`` None inside
    its own staff-checked service). It pays the chosen invoices, else those its reference names; the rest is
    credit."""
    at = at or clock.now()
    if ctx is not None:
        require_staff(ctx)
    value = _checked_amount(amount, currency)
    if received_on > business_date(at) + timedelta(days=1):
        raise BillingInvalidError(fields={"received_on": [_("The date of receipt cannot be in the future.")]})
    try:
        organization = Organization.objects.get(public_id=organization_id, kind__in=["reseller", "customer"])
    except (Organization.DoesNotExist, ValueError, TypeError, ValidationError):
        raise BillingInvalidError(fields={"organization_id": [_("Choose the organisation that paid.")]}) from None
    with transaction.atomic():
        if invoice_ids:
            targets = list(
                Invoice.objects.select_related("series").filter(
                    organization=organization, public_id__in=invoice_ids, kind__in=PAYABLE_KINDS
                )
            )
            if len(targets) != len(set(map(str, invoice_ids))):
                raise BillingInvalidError(fields={"invoice_ids": [_("Choose open invoices of this organisation.")]})
        else:
            targets = open_invoices_named(organization=organization, reference=reference, currency=currency)
        payment = Payment.objects.create(
            organization=organization,
            amount=value,
            currency=currency,
            received_on=received_on,
            reference=reference.strip()[:300],
            statement_line=statement_line,
            recorded_by=ctx.user if ctx else None,
            recorded_by_label=ctx.actor_label if ctx else "bank statement import",
        )
        audit_record(
            ctx=ctx,
            action="billing.payment.recorded",
            target=payment,
            organization=organization,
            changes={"amount": str(value), "currency": currency, "reference": payment.reference},
            at=at,
        )
        payment_allocate(ctx=ctx, payment=payment, invoices=targets, at=at)
    return payment


def payment_allocate(*, ctx: RequestContext | None, payment: Payment, invoices: list[Invoice], at: datetime) -> None:
    """Spread what is left of ``payment`` over ``invoices`` in order, each up to what it still owes; settle those
    that are then fully paid. Locks the invoices (in id order, so two payments never deadlock)."""
    if not invoices:
        return
    order = {invoice.pk: index for index, invoice in enumerate(invoices)}
    locked = sorted(
        Invoice.objects.select_for_update()
        .select_related("series", "organization")
        .filter(pk__in=order, currency=payment.currency, status=InvoiceStatus.ISSUED)
        .order_by("pk"),
        key=lambda invoice: order[invoice.pk],
    )
    plan = allocate(
        payment.amount - payment.allocated_amount,
        [OpenItem(number=str(invoice.pk), outstanding=invoice.outstanding.amount) for invoice in locked],
    )
    by_key = {str(invoice.pk): invoice for invoice in locked}
    for share in plan.payments:
        invoice = by_key[share.number]
        PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=share.amount, allocated_at=at)
        invoice.paid_amount += share.amount
        invoice.save(update_fields=["paid_amount", "updated_at"])
        payment.allocated_amount += share.amount
        audit_record(
            ctx=ctx,
            action="billing.payment.allocated",
            target=invoice,
            organization=invoice.organization,
            changes={"amount": str(share.amount), "outstanding": str(invoice.outstanding.amount)},
            at=at,
        )
    payment.save(update_fields=["allocated_amount", "updated_at"])
    for invoice in locked:
        invoice_settle(ctx=ctx, invoice=invoice, at=at)


def credit_apply(*, ctx: RequestContext, invoice_id: Any, at: datetime | None = None) -> Invoice:
    """Pay an open invoice from the organisation's credit (overpayments), oldest payment first. The reseller's
    billing person or staff may do it."""
    at = at or clock.now()
    require_scope(ctx, "ops:manage" if ctx.is_operator else "billing:manage")
    with transaction.atomic():
        invoices = Invoice.objects.select_related("series", "organization")
        if not ctx.is_operator:
            invoices = invoices.filter(organization=ctx.organization)
        try:
            invoice = invoices.get(public_id=invoice_id, kind__in=PAYABLE_KINDS)
        except (Invoice.DoesNotExist, ValueError, TypeError, ValidationError):
            raise NotFoundError() from None
        credits = list(
            Payment.objects.select_for_update()
            .filter(organization=invoice.organization, currency=invoice.currency)
            .order_by("received_on", "pk")
        )
        credits = [payment for payment in credits if payment.allocated_amount < payment.amount]
        if not credits or invoice.status != InvoiceStatus.ISSUED:
            raise NoCreditError()
        for payment in credits:
            invoice.refresh_from_db()
            if invoice.status != InvoiceStatus.ISSUED:
                break
            payment_allocate(ctx=ctx, payment=payment, invoices=[invoice], at=at)
        invoice.refresh_from_db()
    return invoice


def refund_mark_paid(
    *, ctx: RequestContext, refund_id: Any, paid_on: date, bank_reference: str, at: datetime | None = None
) -> Refund:
    """Staff record that a refund due was paid back, with the bank's reference."""
    at = at or clock.now()
    require_staff(ctx)
    if not bank_reference.strip():
        raise BillingInvalidError(fields={"bank_reference": [_("Give the bank's reference of the transfer.")]})
    with transaction.atomic():
        try:
            refund = Refund.objects.select_for_update().get(public_id=refund_id, status=RefundStatus.DUE)
        except (Refund.DoesNotExist, ValueError, TypeError, ValidationError):
            raise NotFoundError() from None
        refund.status, refund.paid_on, refund.bank_reference = RefundStatus.PAID, paid_on, bank_reference.strip()
        refund.save(update_fields=["status", "paid_on", "bank_reference", "updated_at"])
        audit_record(
            ctx=ctx,
            action="billing.refund.paid",
            target=refund,
            organization=refund.organization,
            changes={"amount": str(refund.amount), "bank_reference": refund.bank_reference},
            at=at,
        )
    return refund
