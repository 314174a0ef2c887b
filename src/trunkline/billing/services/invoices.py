"""Invoicing orders, settling invoices when paid, and correcting them with credit notes.

An order is invoiced once it binds (RT-3.4): a proforma invoice (the usual way: the reseller pays against it, and
the tax invoice follows the payment, which is the taxable event) or a tax invoice straight away. When a document's
outstanding amount reaches zero by payment, ``invoice_paid`` fires and the order is marked paid — which releases its
licenses (RT-3.3)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.billing.calendar import business_date
from trunkline.billing.errors import BillingInvalidError, CreditExceedsInvoiceError
from trunkline.billing.events import invoice_paid
from trunkline.billing.models import BillingPolicy, DocumentKind, Invoice, InvoiceStatus, Purpose, Refund
from trunkline.billing.services.documents import LineData, credit_note_lines, document_issue
from trunkline.commerce.models import Order
from trunkline.commerce.services import order_mark_invoiced, order_mark_paid
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError, NotFoundError
from trunkline.core.money import round_half_up


def require_staff(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise MissingScopeError(scope="ops:manage")


def invoice_order(
    *, ctx: RequestContext, order_id: Any, kind: str = DocumentKind.PROFORMA, at: datetime | None = None
) -> Invoice:
    """Invoice a binding order (staff). The document copies the order's lines, prices and VAT as they were when the
    order was placed (RT-3.5); it is due after the policy's number of days."""
    at = at or clock.now()
    require_staff(ctx)
    if kind not in (DocumentKind.PROFORMA, DocumentKind.INVOICE):
        raise BillingInvalidError(fields={"kind": [_("Choose a proforma invoice or an invoice.")]})
    try:
        order = Order.objects.select_related("organization").get(public_id=order_id)
    except (Order.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    with transaction.atomic():
        # Locks the order and refuses unless it binds and has no invoice yet (it leaves "placed"/"binding" here).
        order = order_mark_invoiced(ctx=ctx, order=order, at=at)
        with translation.override(order.organization.language):  # lines are written in the buyer's language
            description = _("%(product)s, %(quantity)s licenses, order %(order)s")
        lines = [
            LineData(
                description=description
                % {"product": line.description, "quantity": line.quantity, "order": order.display_number},
                quantity=Decimal(line.quantity),
                unit_price=line.unit_price,
                net=line.net_amount,
                vat_rate=order.vat_rate,
                product_id=line.product_id,
            )
            for line in order.lines.all()
        ]
        invoice = document_issue(
            ctx=ctx,
            organization=order.organization,
            kind=kind,
            purpose=Purpose.ORDER,
            lines=lines,
            due_in_days=BillingPolicy.current().invoice_due_days,
            at=at,
            currency=order.currency,
            is_reverse_charge=order.is_reverse_charge,
            order=order,
            tax_event_date=business_date(at),
        )
    return invoice


def invoice_settle(*, ctx: RequestContext | None, invoice: Invoice, at: datetime) -> None:
    """Called with ``invoice`` locked, after an allocation: if nothing is owed any more, it is paid, the event
    fires once, a paid proforma is followed by its tax invoice, and the order (if any) is paid."""
    if invoice.status != InvoiceStatus.ISSUED or invoice.outstanding.amount > 0:
        return
    if invoice.paid_amount <= 0:
        return  # cleared by credit notes alone: nothing was paid
    invoice.status, invoice.paid_at = InvoiceStatus.PAID, at
    invoice.save(update_fields=["status", "paid_at", "updated_at"])
    audit_record(
        ctx=ctx,
        action="billing.document.paid",
        target=invoice,
        organization=invoice.organization,
        changes={"number": invoice.display_number, "paid": str(invoice.paid_amount)},
        at=at,
    )
    if invoice.kind == DocumentKind.PROFORMA:
        _issue_final_invoice(ctx, invoice, at)
    invoice_paid.send(sender=Invoice, invoice=invoice, ctx=ctx)
    if invoice.order_id is not None:
        order_mark_paid(ctx=ctx, order=invoice.order, at=at)  # type: ignore[arg-type]


def _issue_final_invoice(ctx: RequestContext | None, proforma: Invoice, at: datetime) -> Invoice:
    """The tax invoice for a paid proforma: the same lines, dated the day of payment (the taxable event), paid."""
    lines = [
        LineData(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            net=line.net_amount,
            vat_rate=line.vat_rate,
            product_id=line.product_id,
        )
        for line in proforma.lines.all()
    ]
    final = document_issue(
        ctx=ctx,
        organization=proforma.organization,
        kind=DocumentKind.INVOICE,
        purpose=proforma.purpose,
        lines=lines,
        due_in_days=0,
        at=at,
        currency=proforma.currency,
        is_reverse_charge=proforma.is_reverse_charge,
        note=proforma.note,
        order=proforma.order,
        proforma=proforma,
        tax_event_date=business_date(at),
    )
    final.paid_amount, final.status, final.paid_at = final.gross_amount, InvoiceStatus.PAID, at
    final.save(update_fields=["paid_amount", "status", "paid_at", "updated_at"])
    proforma.status = InvoiceStatus.SUPERSEDED
    proforma.save(update_fields=["status", "updated_at"])
    return final


def credit_note_issue(
    *,
    ctx: RequestContext,
    invoice_id: Any,
    reason: str,
    net: Decimal | None = None,
    at: datetime | None = None,
) -> Invoice:
    """Correct a tax invoice with a credit note (staff): the whole invoice (``net`` None) or ``net`` of it. The
    credit first cancels what is still owed; whatever of it was already paid becomes a refund due to the buyer."""
    at = at or clock.now()
    require_staff(ctx)
    reason = reason.strip()
    if not reason:
        raise BillingInvalidError(fields={"reason": [_("Say why the invoice is corrected.")]})
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id)
        return credit_note_for(ctx=ctx, invoice=invoice, reason=reason, net=net, at=at)


def _locked_invoice(invoice_id: Any) -> Invoice:
    try:
        invoice: Invoice = (
            Invoice.objects.select_for_update().select_related("organization", "series").get(public_id=invoice_id)
        )
    except (Invoice.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    return invoice


def credit_note_for(
    *, ctx: RequestContext, invoice: Invoice, reason: str, net: Decimal | None, at: datetime
) -> Invoice:
    """Issue the credit note for a locked ``invoice``; see ``credit_note_issue``."""
    if invoice.kind != DocumentKind.INVOICE:
        raise BillingInvalidError(fields={"invoice_id": [_("Only a tax invoice can be corrected by a credit note.")]})
    if net is not None and (net <= 0 or net != round_half_up(net, invoice.currency)):
        raise BillingInvalidError(fields={"net": [_("Give a positive amount with at most 2 decimals.")]})
    already = sum((-note.gross_amount for note in invoice.credit_notes.all()), Decimal(0))
    lines = credit_note_lines(invoice, net=net, reason=reason)
    note = document_issue(
        ctx=ctx,
        organization=invoice.organization,
        kind=DocumentKind.CREDIT_NOTE,
        purpose=Purpose.CORRECTION,
        lines=lines,
        due_in_days=0,
        at=at,
        currency=invoice.currency,
        is_reverse_charge=invoice.is_reverse_charge,
        note=reason,
        order=invoice.order,
        credited=invoice,
        tax_event_date=business_date(at),
    )
    credit = -note.gross_amount
    if already + credit > invoice.gross_amount:
        raise CreditExceedsInvoiceError(
            available=str(invoice.money(invoice.gross_amount - already)), document=invoice.display_number
        )
    owed = invoice.outstanding.amount
    invoice.credited_amount += min(credit, owed)
    if invoice.outstanding.amount == 0 and invoice.status == InvoiceStatus.ISSUED and invoice.paid_amount == 0:
        invoice.status = InvoiceStatus.CREDITED
    invoice.save(update_fields=["credited_amount", "status", "updated_at"])
    invoice_settle(ctx=ctx, invoice=invoice, at=at)  # partly paid, the rest credited: paid
    note.status = InvoiceStatus.SETTLED
    note.save(update_fields=["status", "updated_at"])
    if credit > owed:
        refund = Refund.objects.create(
            organization=invoice.organization, amount=credit - owed, currency=invoice.currency, credit_note=note
        )
        audit_record(
            ctx=ctx,
            action="billing.refund.due",
            target=refund,
            organization=invoice.organization,
            changes={"amount": str(refund.amount), "credit_note": note.display_number},
            at=at,
        )
    return note
