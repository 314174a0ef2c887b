"""The billing API: invoices (with their PDF), payments, balance, credit notes, penalties and their disputes, refunds,
and bank statements. A reseller or customer reads its own documents (billing:read) and pays from its credit or
contests a penalty (billing:manage); operator staff read everything (ops:read) and invoice, record payments, import
statements, raise penalties and resolve disputes (ops:manage)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status, UploadedFile

from trunkline.billing.models import Invoice, PenaltyDispute, Refund, StatementLine
from trunkline.billing.schemas import (
    BalanceIn,
    BalanceOut,
    CreditNoteIn,
    DisputeOpenIn,
    DisputeOut,
    DisputeResolveIn,
    InvoiceDetailOut,
    InvoiceFilterIn,
    InvoiceOrderIn,
    InvoiceOut,
    PaymentFilterIn,
    PaymentOut,
    PaymentRecordIn,
    PenaltyRaiseIn,
    RefundOut,
    RefundPaidIn,
    StatementImportOut,
    StatementLineAssignIn,
    StatementLineIgnoreIn,
    StatementLineOut,
)
from trunkline.billing.selectors import (
    balance_of,
    invoice_get,
    invoice_list,
    payment_list,
    refund_list,
    statement_lines_to_review,
)
from trunkline.billing.services import (
    credit_apply,
    credit_note_issue,
    invoice_order,
    payment_record,
    penalty_dispute_open,
    penalty_dispute_resolve,
    penalty_raise,
    refund_mark_paid,
    statement_import,
    statement_line_assign,
    statement_line_ignore,
)
from trunkline.commerce.api import order_visible_or_404
from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.core.money import MINOR_UNITS
from trunkline.tenancy.models import Organization

router = Router(tags=["billing"])

PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "The document as printed.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def invoice_visible_or_404(ctx: RequestContext, invoice_id: UUID) -> None:
    """Another organisation's document answers 404 before anything else is checked (staff may act on every one)."""
    if not ctx.is_operator and not Invoice.objects.for_org(ctx.organization).filter(public_id=invoice_id).exists():
        raise NotFoundError()


def refund_visible_or_404(ctx: RequestContext, refund_id: UUID) -> None:
    if not ctx.is_operator and not Refund.objects.for_org(ctx.organization).filter(public_id=refund_id).exists():
        raise NotFoundError()


def statement_line_visible_or_404(ctx: RequestContext) -> None:
    """Bank statement lines are the operator's own books: nobody else sees that one exists."""
    if not ctx.is_operator:
        raise NotFoundError()


@router.post(
    "/orders/{order_id}/invoice",
    response={201: InvoiceOut, **ERROR_RESPONSES},
    operation_id="billing_order_invoice",
    summary="Invoice a binding order (operator staff)",
)
def order_invoice_api(request: HttpRequest, order_id: UUID, payload: InvoiceOrderIn | None = None):
    """Issue a proforma invoice (the default: the tax invoice follows its payment) or a tax invoice for a binding
    order. An Online Order binds when placed; a Purchase Order only once both sides have signed — before that the
    answer is 409 ``commerce.order_not_binding`` (RT-3.4). The document copies the order's prices and VAT as they
    were when it was placed (RT-3.5) and is due after the policy's number of days."""
    ctx = ctx_of(request)
    order_visible_or_404(ctx, order_id)
    kind = payload.kind if payload is not None else "proforma"
    return Status(201, invoice_order(ctx=ctx, order_id=order_id, kind=kind))


@router.get(
    "/invoices",
    response={200: Page[InvoiceOut], **ERROR_RESPONSES},
    operation_id="billing_invoice_list",
    summary="List invoices",
)
def invoice_list_api(request: HttpRequest, params: Query[PageIn], filters: Query[InvoiceFilterIn]) -> dict[str, Any]:
    """Your organisation's invoices, proforma invoices and credit notes, newest first (billing:read); operator staff
    see everyone's (ops:read) and may filter by ``organization_id``. ``overdue`` keeps open documents past their due
    date."""
    invoices = invoice_list(
        ctx=ctx_of(request),
        kind=filters.kind or "",
        status=filters.status or "",
        purpose=filters.purpose or "",
        organization_id=filters.organization_id,
        issued_from=filters.issued_from,
        issued_to=filters.issued_to,
        overdue=filters.overdue,
    )
    return paginate(invoices, params, orderings=("issued_at", "-issued_at", "due_date", "-due_date"))


@router.get(
    "/invoices/{invoice_id}",
    response={200: InvoiceDetailOut, **ERROR_RESPONSES},
    operation_id="billing_invoice_get",
    summary="Get an invoice",
)
def invoice_get_api(request: HttpRequest, invoice_id: UUID) -> Invoice:
    """One document as issued: its lines with net, VAT and gross at the rate applied (never recomputed), the payments
    allocated to it, the seller and buyer as printed, and the dispute of a penalty invoice (RT-6.4)."""
    return invoice_get(ctx=ctx_of(request), invoice_id=invoice_id)


@router.get(
    "/invoices/{invoice_id}/pdf",
    response=ERROR_RESPONSES,
    operation_id="billing_invoice_pdf",
    summary="Download an invoice as PDF",
    openapi_extra=PDF_RESPONSE,
)
def invoice_pdf_api(
    request: HttpRequest, invoice_id: UUID, language: Literal["bg", "en"] | None = None
) -> HttpResponse:
    """The document as a PDF, in Bulgarian or English (default: the document's language), printed from what was
    stored at issue."""
    from trunkline.billing.pdf import invoice_pdf  # imported on use: WeasyPrint is heavy to load

    invoice = invoice_get(ctx=ctx_of(request), invoice_id=invoice_id)
    response = HttpResponse(invoice_pdf(invoice, language=language), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.kind}-{invoice.display_number}.pdf"'
    return response


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response={201: InvoiceOut, **ERROR_RESPONSES},
    operation_id="billing_credit_note_issue",
    summary="Correct a tax invoice with a credit note (operator staff)",
)
def credit_note_issue_api(request: HttpRequest, invoice_id: UUID, payload: CreditNoteIn):
    """Credit the whole invoice (no ``net``) or ``net`` of it. The credit first cancels what is still owed; whatever
    of it was already paid becomes a refund due to the buyer. More than was invoiced is refused (409
    ``billing.credit_exceeds_invoice``)."""
    ctx = ctx_of(request)
    invoice_visible_or_404(ctx, invoice_id)
    return Status(201, credit_note_issue(ctx=ctx, invoice_id=invoice_id, reason=payload.reason, net=payload.net))


@router.post(
    "/invoices/{invoice_id}/apply-credit",
    response={200: InvoiceOut, **ERROR_RESPONSES},
    operation_id="billing_credit_apply",
    summary="Pay an invoice from credit",
)
def credit_apply_api(request: HttpRequest, invoice_id: UUID) -> Invoice:
    """Pay an open invoice from the organisation's credit (overpayments), oldest payment first (billing:manage, or
    ops:manage for staff). Without credit the answer is 409 ``billing.no_credit``."""
    ctx = ctx_of(request)
    invoice_visible_or_404(ctx, invoice_id)
    return credit_apply(ctx=ctx, invoice_id=invoice_id)


@router.post(
    "/invoices/{invoice_id}/dispute",
    response={201: DisputeOut, **ERROR_RESPONSES},
    operation_id="billing_penalty_dispute_open",
    summary="Contest a penalty invoice",
)
def penalty_dispute_open_api(request: HttpRequest, invoice_id: UUID, payload: DisputeOpenIn) -> Any:
    """Contest your penalty invoice with your grounds (billing:manage). The dispute is recorded and the due date does
    not move (RT-6.4). A second dispute is refused (409 ``billing.dispute_exists``)."""
    ctx = ctx_of(request)
    invoice_visible_or_404(ctx, invoice_id)
    dispute: PenaltyDispute = penalty_dispute_open(ctx=ctx, invoice_id=invoice_id, reason=payload.reason)
    return Status(201, dispute)


@router.post(
    "/invoices/{invoice_id}/dispute/resolve",
    response={200: DisputeOut, **ERROR_RESPONSES},
    operation_id="billing_penalty_dispute_resolve",
    summary="Resolve a penalty dispute (operator staff)",
)
def penalty_dispute_resolve_api(request: HttpRequest, invoice_id: UUID, payload: DisputeResolveIn) -> PenaltyDispute:
    """Close an open dispute with the decision. Upheld: nothing changes. For the reseller: a credit note cancels the
    penalty, and what was paid of it becomes a refund due (RT-6.4)."""
    ctx = ctx_of(request)
    invoice_visible_or_404(ctx, invoice_id)
    return penalty_dispute_resolve(
        ctx=ctx, invoice_id=invoice_id, for_reseller=payload.for_reseller, resolution=payload.resolution
    )


@router.get(
    "/payments",
    response={200: Page[PaymentOut], **ERROR_RESPONSES},
    operation_id="billing_payment_list",
    summary="List payments",
)
def payment_list_api(request: HttpRequest, params: Query[PageIn], filters: Query[PaymentFilterIn]) -> dict[str, Any]:
    """Payments received from your organisation with the invoices each paid and what is left as credit
    (billing:read); operator staff see everyone's (ops:read)."""
    payments = payment_list(ctx=ctx_of(request), organization_id=filters.organization_id)
    return paginate(payments, params, orderings=("received_on", "-received_on", "amount", "-amount"))


@router.post(
    "/payments",
    response={201: PaymentOut, **ERROR_RESPONSES},
    operation_id="billing_payment_record",
    summary="Record a bank transfer (operator staff)",
)
def payment_record_api(request: HttpRequest, payload: PaymentRecordIn):
    """Record money received. It pays ``invoice_ids`` in order, else the open documents whose numbers the reference
    names; a partial payment leaves the rest owed and an overpayment stays as credit. When an order's invoice is
    fully paid, the order is paid and its licenses released, exactly once (RT-3.3). Send an ``Idempotency-Key`` so a
    retry records nothing twice."""
    payment = payment_record(
        ctx=ctx_of(request),
        organization_id=payload.organization_id,
        amount=payload.amount,
        currency=payload.currency,
        received_on=payload.received_on,
        reference=payload.reference,
        invoice_ids=payload.invoice_ids,
    )
    return Status(201, payment)


@router.get(
    "/balance",
    response={200: BalanceOut, **ERROR_RESPONSES},
    operation_id="billing_balance_get",
    summary="Your balance",
)
def balance_get_api(request: HttpRequest, params: Query[BalanceIn]) -> dict[str, Any]:
    """What your organisation owes on open documents, of which overdue, and its credit (billing:read). Operator staff
    name the organisation in ``organization_id`` (ops:read)."""
    ctx = ctx_of(request)
    if ctx.is_operator:
        require_scope(ctx, "ops:read")
        if params.organization_id is None:
            raise ValidationFailedError(fields={"organization_id": [_("Choose an organisation.")]})
        organization = Organization.objects.filter(public_id=params.organization_id).first()
        if organization is None:
            raise NotFoundError()
    else:
        require_scope(ctx, "billing:read")
        if params.organization_id is not None and params.organization_id != ctx.organization.public_id:
            raise NotFoundError()
        organization = ctx.organization
    if params.currency not in MINOR_UNITS:
        raise ValidationFailedError(fields={"currency": [_("Choose one of the currencies offered.")]})
    balance = balance_of(organization=organization, currency=params.currency)
    return {
        "organization_id": organization.public_id,
        "currency": params.currency,
        "outstanding": balance.outstanding.rounded().amount,
        "overdue": balance.overdue.rounded().amount,
        "credit": balance.credit.rounded().amount,  # a database SUM may come back with extra digits (SQLite)
        "net": balance.net.rounded().amount,
    }


@router.post(
    "/penalties",
    response={201: InvoiceOut, **ERROR_RESPONSES},
    operation_id="billing_penalty_raise",
    summary="Raise a penalty invoice (operator staff)",
)
def penalty_raise_api(request: HttpRequest, payload: PenaltyRaiseIn):
    """Invoice a reseller for ``licenses`` wrongly provided End-Point Licenses of a product: the policy multiplier (2)
    × the product's retail price × ``licenses``, due after the policy's days (14) (RT-6.4)."""
    invoice = penalty_raise(
        ctx=ctx_of(request),
        organization_id=payload.organization_id,
        product_id=payload.product_id,
        licenses=payload.licenses,
        reason=payload.reason,
    )
    return Status(201, invoice)


@router.post(
    "/bank-statements",
    response={201: StatementImportOut, **ERROR_RESPONSES},
    operation_id="billing_statement_import",
    summary="Import a bank statement (operator staff)",
)
def statement_import_api(request: HttpRequest, file: File[UploadedFile | None] = None):
    """Upload a CAMT.053 XML or CSV statement (multipart/form-data, field ``file``, at most 20 MB). Each line is
    stored once, so the same statement imported again records nothing twice; incoming lines whose reference names
    open invoices pay them, the rest wait for review. An unreadable file is refused whole (422
    ``billing.statement_unreadable``)."""
    ctx = ctx_of(request)
    if file is None:
        raise ValidationFailedError(fields={"file": [_("Upload the bank statement file.")]})
    statement = statement_import(ctx=ctx, data=file.read(), filename=file.name or "statement")
    return Status(201, statement)


@router.get(
    "/bank-statement-lines",
    response={200: Page[StatementLineOut], **ERROR_RESPONSES},
    operation_id="billing_statement_line_list",
    summary="Bank lines to review (operator staff)",
)
def statement_line_list_api(request: HttpRequest, params: Query[PageIn]) -> dict[str, Any]:
    """Incoming bank lines no invoice number matched, for staff to assign to a payer or ignore (ops:read)."""
    lines = statement_lines_to_review(ctx=ctx_of(request))
    return paginate(lines, params, orderings=("booking_date", "-booking_date", "amount", "-amount"))


@router.post(
    "/bank-statement-lines/{line_id}/assign",
    response={200: StatementLineOut, **ERROR_RESPONSES},
    operation_id="billing_statement_line_assign",
    summary="Assign a bank line to a payer (operator staff)",
)
def statement_line_assign_api(request: HttpRequest, line_id: UUID, payload: StatementLineAssignIn) -> StatementLine:
    """Record the line as a payment of ``organization_id``, paying ``invoice_ids`` if given; the rest is credit. A
    line already dealt with is refused (409 ``billing.statement_line_state``)."""
    ctx = ctx_of(request)
    statement_line_visible_or_404(ctx)
    return statement_line_assign(
        ctx=ctx,
        line_id=line_id,
        organization_id=payload.organization_id,
        invoice_ids=list(payload.invoice_ids),
        note=payload.note,
    )


@router.post(
    "/bank-statement-lines/{line_id}/ignore",
    response={200: StatementLineOut, **ERROR_RESPONSES},
    operation_id="billing_statement_line_ignore",
    summary="Set a bank line aside (operator staff)",
)
def statement_line_ignore_api(request: HttpRequest, line_id: UUID, payload: StatementLineIgnoreIn) -> StatementLine:
    """Mark an incoming line that is not a customer's payment (e.g. bank interest), saying why."""
    ctx = ctx_of(request)
    statement_line_visible_or_404(ctx)
    return statement_line_ignore(ctx=ctx, line_id=line_id, note=payload.note)


@router.get(
    "/refunds",
    response={200: Page[RefundOut], **ERROR_RESPONSES},
    operation_id="billing_refund_list",
    summary="List refunds",
)
def refund_list_api(request: HttpRequest, params: Query[PageIn]) -> dict[str, Any]:
    """Money owed back to your organisation — where a credit note cancelled an amount already paid, e.g. a penalty
    dispute resolved for you (RT-6.4) — and whether it was paid (billing:read); staff see all (ops:read)."""
    return paginate(refund_list(ctx=ctx_of(request)), params, orderings=("created_at", "-created_at"))


@router.post(
    "/refunds/{refund_id}/paid",
    response={200: RefundOut, **ERROR_RESPONSES},
    operation_id="billing_refund_mark_paid",
    summary="Record a refund as paid back (operator staff)",
)
def refund_mark_paid_api(request: HttpRequest, refund_id: UUID, payload: RefundPaidIn) -> Refund:
    """Record the transfer that paid a refund back, with the bank's reference. A refund already paid answers 404."""
    ctx = ctx_of(request)
    refund_visible_or_404(ctx, refund_id)
    return refund_mark_paid(
        ctx=ctx, refund_id=refund_id, paid_on=payload.paid_on, bank_reference=payload.bank_reference
    )
