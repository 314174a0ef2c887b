"""Pages of the ops surface for billing: every organisation's documents and payments with filters and CSV exports,
invoicing an order (the order page's buttons post here: commerce never imports billing), recording payments and
refunds, importing bank statements with the review screen for the lines no invoice number matched, raising penalty
invoices (RT-6.4) and deciding disputes of them, and correcting invoices with credit notes.

Reading needs ``ops:read``; every change goes through the billing services, which check ``ops:manage``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trunkline.billing.calendar import business_date
from trunkline.billing.domain.csv_statement import COLUMN_ALIASES, REQUIRED_COLUMNS
from trunkline.billing.exports import INVOICE_HEADER, PAYMENT_HEADER, invoice_rows, payment_rows
from trunkline.billing.models import (
    BillingPolicy,
    DisputeStatus,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    PenaltyDispute,
    Purpose,
    Refund,
    RefundStatus,
    StatementImport,
)
from trunkline.billing.selectors import (
    PenaltyQuote,
    balance_of,
    invoice_get,
    invoice_list,
    payment_list,
    penalty_quote,
    refund_list,
    statement_lines_to_review,
)
from trunkline.billing.services import (
    credit_note_issue,
    invoice_order,
    payment_record,
    penalty_dispute_resolve,
    penalty_raise,
    refund_mark_paid,
    statement_import,
    statement_line_assign,
    statement_line_ignore,
)
from trunkline.billing.services.statements import MAX_STATEMENT_BYTES
from trunkline.commerce.selectors import product_list
from trunkline.commerce.views.ops import (
    DATE_INPUT,
    amount_text,
    can_manage,
    csv_response,
    forbidden,
    ops_page,
    paginate,
    query_without_page,
    reseller_choices,
    show_errors,
    staff_ctx,
    staff_zone,
)
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.errors import DomainError, NotFoundError
from trunkline.core.money import DEFAULT_CURRENCY, MINOR_UNITS
from trunkline.tenancy.models import Organization
from trunkline.tenancy.selectors import organization_list

PAYABLE = (DocumentKind.PROFORMA, DocumentKind.INVOICE)
RECENT_IMPORTS = 5
PREFIX = re.compile(r"^[a-z0-9-]{0,60}$")


def _today() -> date:
    return business_date(clock.now())


def _date(value: date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _organization_choices(ctx: RequestContext, blank: Any) -> list[tuple[str, Any]]:
    """Resellers and customers, the organisations billed."""
    organizations = organization_list(ctx=ctx).exclude(kind="operator").order_by("name", "pk")
    return [("", blank), *((str(org.public_id), org.name) for org in organizations)]


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def invoice_url(invoice: Invoice) -> str:
    return reverse("billing:ops_invoice", kwargs={"invoice_id": invoice.public_id})


def _export_url(request: HttpRequest, name: str) -> str:
    query = query_without_page(request)
    return reverse(name) + (f"?{query}" if query else "")


# ---- Invoicing an order (the buttons of the order page) ----------------------------------------------------------


@ops_page()
@require_POST
def order_invoice(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """Issue the order's proforma or tax invoice, then back to the order with the outcome. An unsigned Purchase
    Order is refused with the reason (RT-3.4)."""
    if not can_manage(request):
        return forbidden(request)
    kind = request.POST.get("kind", DocumentKind.PROFORMA)
    try:
        invoice = invoice_order(ctx=staff_ctx(request), order_id=order_id, kind=kind)
    except NotFoundError:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(document)s %(number)s is issued: %(total)s, due on %(date)s.")
            % {
                "document": invoice.get_kind_display(),
                "number": invoice.display_number,
                "total": amount_text(invoice.gross_amount, invoice.currency),
                "date": _date(invoice.due_date),
            },
        )
    return redirect("commerce:ops_order", order_id=order_id)


@ops_page()
def order_documents(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """The documents of one order, loaded into the order page."""
    invoices = invoice_list(ctx=staff_ctx(request)).filter(order__public_id=order_id).order_by("issued_at", "pk")
    return render(request, "billing/ops/_order_documents.html", {"invoices": invoices, "order_id": order_id})


# ---- Documents -----------------------------------------------------------------------------------------------------


class InvoiceFilterForm(forms.Form):
    organization = forms.ChoiceField(label=gettext_lazy("Organisation"), required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("All")), *DocumentKind.choices]
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=[("", gettext_lazy("All")), *InvoiceStatus.choices]
    )
    purpose = forms.ChoiceField(
        label=gettext_lazy("Purpose"), required=False, choices=[("", gettext_lazy("All")), *Purpose.choices]
    )
    issued_from = forms.DateField(label=gettext_lazy("Issued from"), required=False, widget=DATE_INPUT)
    issued_to = forms.DateField(label=gettext_lazy("Issued until"), required=False, widget=DATE_INPUT)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    order = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, ctx: RequestContext, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = _organization_choices(ctx, _("All organisations"))  # type: ignore[attr-defined]


def _filtered_invoices(request: HttpRequest) -> tuple[InvoiceFilterForm, Any]:
    ctx = staff_ctx(request)
    form = InvoiceFilterForm(request.GET, ctx=ctx)
    form.is_valid()
    data = form.cleaned_data
    invoices = invoice_list(
        ctx=ctx,
        kind=data.get("kind") or "",
        status=data.get("status") or "",
        purpose=data.get("purpose") or "",
        organization_id=data.get("organization") or None,
        issued_from=data.get("issued_from"),
        issued_to=data.get("issued_to"),
        overdue=bool(data.get("overdue")),
    )
    if data.get("order"):
        invoices = invoices.filter(order__public_id=data["order"])
    return form, invoices.order_by("-issued_at", "-pk")


@ops_page()
def invoice_index(request: HttpRequest) -> HttpResponse:
    form, invoices = _filtered_invoices(request)
    return render(
        request,
        "billing/ops/invoice_list.html",
        {
            "filters": form,
            "table": paginate(request, invoices),
            "export_url": _export_url(request, "billing:ops_invoices_export"),
            "filtered": bool(query_without_page(request)),
            "today": _today(),
        },
    )


@ops_page()
def invoice_export(request: HttpRequest) -> HttpResponseBase:
    _form, invoices = _filtered_invoices(request)
    zone = staff_zone(request)
    stamp = clock.local(clock.now(), zone).strftime("%Y%m%d-%H%M")
    return csv_response(request, f"documents-{stamp}.csv", INVOICE_HEADER, invoice_rows(invoices, zone=zone))


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("upheld", gettext_lazy("Uphold the penalty: nothing changes")),
            ("for_reseller", gettext_lazy("Decide for the reseller: a credit note cancels the penalty")),
        ],
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(
        label=gettext_lazy("Decision and what it rests on"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "The reseller sees this. Whatever was paid of a cancelled penalty becomes a refund due."
        ),
    )


class CreditNoteForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Printed on the credit note."),
    )
    net = forms.DecimalField(
        label=gettext_lazy("Net amount to credit"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=gettext_lazy(
            "Leave empty to credit the whole invoice. VAT is added at the invoice's rate. What was already paid of "
            "the credited amount becomes a refund due."
        ),
    )


def _dispute_of(invoice: Invoice) -> PenaltyDispute | None:
    try:
        return invoice.dispute
    except PenaltyDispute.DoesNotExist:
        return None


def _refund_of(invoice: Invoice) -> Refund | None:
    try:
        return invoice.refund
    except Refund.DoesNotExist:
        return None


def _invoice_action(request: HttpRequest, invoice: Invoice, action: str, form: forms.Form) -> str | None:
    ctx = staff_ctx(request)
    try:
        if action == "resolve":
            dispute = penalty_dispute_resolve(
                ctx=ctx,
                invoice_id=invoice.public_id,
                for_reseller=form.cleaned_data["outcome"] == "for_reseller",
                resolution=form.cleaned_data["resolution"],
            )
            return _("The dispute of %(number)s is decided: %(outcome)s.") % {
                "number": invoice.display_number,
                "outcome": dispute.get_status_display(),
            }
        note = credit_note_issue(
            ctx=ctx, invoice_id=invoice.public_id, reason=form.cleaned_data["reason"], net=form.cleaned_data["net"]
        )
        return _("Credit note %(number)s is issued for %(total)s.") % {
            "number": note.display_number,
            "total": amount_text(-note.gross_amount, note.currency),
        }
    except NotFoundError:
        raise
    except DomainError as error:
        show_errors(form, error)
        return None


@ops_page()
def invoice_detail(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    ctx = staff_ctx(request)
    invoice = invoice_get(ctx=ctx, invoice_id=invoice_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    resolve_form = ResolveForm(request.POST if action == "resolve" else None, prefix="resolve")
    credit_form = CreditNoteForm(request.POST if action == "credit" else None, prefix="credit")
    manage = can_manage(request)
    status = 200
    if request.method == "POST":
        if not manage:
            return forbidden(request)
        form = {"resolve": resolve_form, "credit": credit_form}.get(action)
        if form is None:
            return HttpResponse(status=400)
        if form.is_valid():
            done = _invoice_action(request, invoice, action, form)
            if done is not None:
                messages.success(request, done)
                return redirect(invoice_url(invoice))
        status = 422
    is_penalty = invoice.purpose == Purpose.PENALTY and invoice.kind == DocumentKind.INVOICE
    dispute = _dispute_of(invoice) if is_penalty else None
    correctable = invoice.kind == DocumentKind.INVOICE and invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID)
    return render(
        request,
        "billing/ops/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "allocations": invoice.allocations.all(),
            "credit_notes": invoice.credit_notes.select_related("series").order_by("issued_at", "pk"),
            "final_invoices": invoice.final_invoices.select_related("series")
            if invoice.kind == DocumentKind.PROFORMA
            else [],
            "refund": _refund_of(invoice) if invoice.kind == DocumentKind.CREDIT_NOTE else None,
            "is_penalty": is_penalty,
            "dispute": dispute,
            "is_overdue": invoice.kind in PAYABLE
            and invoice.status == InvoiceStatus.ISSUED
            and invoice.due_date < _today(),
            "balance": balance_of(organization=invoice.organization, currency=invoice.currency),
            "can_resolve": manage and dispute is not None and dispute.status == DisputeStatus.OPEN,
            "can_credit": manage and correctable,
            "resolve_form": resolve_form,
            "credit_form": credit_form,
            "languages": [("bg", _("Bulgarian")), ("en", _("English"))],
        },
        status=status,
    )


@ops_page()
def invoice_pdf_view(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    """The document's PDF, in its own language or ``?language=bg|en``."""
    from trunkline.billing.pdf import LANGUAGES, invoice_pdf  # WeasyPrint is heavy: loaded only when a PDF is asked

    invoice = invoice_get(ctx=staff_ctx(request), invoice_id=invoice_id)
    language = request.GET.get("language")
    response = HttpResponse(
        invoice_pdf(invoice, language=language if language in LANGUAGES else None), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{invoice.display_number}.pdf"'
    return response


# ---- Open invoices of an organisation (checkboxes for payments and statement lines) -------------------------------


def open_invoices(ctx: RequestContext, organization_id: Any, currency: str) -> list[Invoice]:
    """The organisation's open proformas and invoices in ``currency``, the oldest due first."""
    if _uuid(organization_id) is None:
        return []
    return list(
        invoice_list(ctx=ctx, organization_id=organization_id, status=InvoiceStatus.ISSUED)
        .filter(kind__in=PAYABLE, currency=currency)
        .order_by("due_date", "pk")
    )


@dataclass(frozen=True)
class InvoiceChoices:
    """What ``billing/ops/_open_invoices.html`` renders: checkboxes named ``<prefix>invoice_ids``."""

    prefix: str
    invoices: list[Invoice]
    checked: set[str]
    organization_chosen: bool
    today: date

    @property
    def name(self) -> str:
        return f"{self.prefix}invoice_ids"


@ops_page()
def open_invoice_choices(request: HttpRequest) -> HttpResponse:
    """The checkbox list of an organisation's open documents, swapped in when its select changes (htmx)."""
    prefix = request.GET.get("prefix", "")
    if not PREFIX.match(prefix):
        prefix = ""
    currency = request.GET.get("currency", DEFAULT_CURRENCY)
    organization_id = request.GET.get(f"{prefix}organization", "")
    choices = InvoiceChoices(
        prefix=prefix,
        invoices=open_invoices(staff_ctx(request), organization_id, currency if currency in MINOR_UNITS else ""),
        checked=set(),
        organization_chosen=bool(organization_id),
        today=_today(),
    )
    return render(request, "billing/ops/_open_invoices.html", {"choices": choices})


class _InvoicesChoiceMixin:
    """A form whose ``invoice_ids`` offers the open documents of the organisation chosen in it."""

    fields: dict[str, Any]
    prefix: str | None

    def set_invoice_choices(self, ctx: RequestContext, organization_id: Any, currency: str, checked: list[str]) -> None:
        invoices = open_invoices(ctx, organization_id, currency)
        self.fields["invoice_ids"].choices = [(str(invoice.public_id), invoice.display_number) for invoice in invoices]
        self.invoice_choices = InvoiceChoices(
            prefix=f"{self.prefix}-" if self.prefix else "",
            invoices=invoices,
            checked=set(checked),
            organization_chosen=bool(organization_id),
            today=_today(),
        )


# ---- Payments and refunds --------------------------------------------------------------------------------------


class PaymentFilterForm(forms.Form):
    organization = forms.ChoiceField(label=gettext_lazy("Organisation"), required=False)
    received_from = forms.DateField(label=gettext_lazy("Received from"), required=False, widget=DATE_INPUT)
    received_to = forms.DateField(label=gettext_lazy("Received until"), required=False, widget=DATE_INPUT)
    reference = forms.CharField(label=gettext_lazy("Reference contains"), required=False, max_length=100)

    def __init__(self, *args: Any, ctx: RequestContext, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = _organization_choices(ctx, _("All organisations"))  # type: ignore[attr-defined]


def _filtered_payments(request: HttpRequest) -> tuple[PaymentFilterForm, Any]:
    ctx = staff_ctx(request)
    form = PaymentFilterForm(request.GET, ctx=ctx)
    form.is_valid()
    data = form.cleaned_data
    payments = payment_list(ctx=ctx, organization_id=data.get("organization") or None)
    if data.get("received_from"):
        payments = payments.filter(received_on__gte=data["received_from"])
    if data.get("received_to"):
        payments = payments.filter(received_on__lte=data["received_to"])
    if data.get("reference"):
        payments = payments.filter(reference__icontains=data["reference"])
    return form, payments.order_by("-received_on", "-pk")


class RefundPaidForm(forms.Form):
    paid_on = forms.DateField(label=gettext_lazy("Paid back on"), widget=DATE_INPUT)
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=100)


def _payments_page(request: HttpRequest, refund_forms: dict[UUID, RefundPaidForm] | None = None) -> HttpResponse:
    form, payments = _filtered_payments(request)
    refund_forms = refund_forms or {}
    refunds = list(refund_list(ctx=staff_ctx(request)).filter(status=RefundStatus.DUE).order_by("created_at", "pk"))
    rows = [
        (refund, refund_forms.get(refund.public_id) or RefundPaidForm(prefix=f"refund-{refund.public_id}"))
        for refund in refunds
    ]
    return render(
        request,
        "billing/ops/payment_list.html",
        {
            "filters": form,
            "table": paginate(request, payments),
            "export_url": _export_url(request, "billing:ops_payments_export"),
            "filtered": bool(query_without_page(request)),
            "refunds": rows,
            "can_manage": can_manage(request),
            "today": _today(),
        },
        status=422 if refund_forms else 200,
    )


@ops_page()
def payment_index(request: HttpRequest) -> HttpResponse:
    return _payments_page(request)


@ops_page()
def payment_export(request: HttpRequest) -> HttpResponseBase:
    _form, payments = _filtered_payments(request)
    zone = staff_zone(request)
    stamp = clock.local(clock.now(), zone).strftime("%Y%m%d-%H%M")
    return csv_response(request, f"payments-{stamp}.csv", PAYMENT_HEADER, payment_rows(payments, zone=zone))


class PaymentForm(_InvoicesChoiceMixin, forms.Form):
    organization = forms.ChoiceField(label=gettext_lazy("Paid by"))
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    currency = forms.ChoiceField(
        label=gettext_lazy("Currency"), choices=[(code, code) for code in MINOR_UNITS], initial=DEFAULT_CURRENCY
    )
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=DATE_INPUT)
    reference = forms.CharField(
        label=gettext_lazy("Payment reference"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("As on the bank's advice. Invoice numbers in it are matched if you tick none below."),
    )
    invoice_ids = forms.MultipleChoiceField(label=gettext_lazy("Invoices it pays"), required=False)

    def __init__(self, *args: Any, ctx: RequestContext, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = _organization_choices(ctx, _("Choose the organisation"))
        live = {
            "hx-get": reverse("billing:ops_open_invoices"),
            "hx-target": "#payment-invoices",
            "hx-include": "#id_organization, #id_currency",
            "hx-trigger": "change",
        }
        self.fields["organization"].widget.attrs.update(live)
        self.fields["currency"].widget.attrs.update(live)
        source = self.data if self.is_bound else self.initial
        checked = (self["invoice_ids"].value() or []) if self.is_bound else []
        currency = source.get("currency") or DEFAULT_CURRENCY
        self.set_invoice_choices(ctx, source.get("organization", ""), currency, checked)


@ops_page()
def payment_new(request: HttpRequest) -> HttpResponse:
    ctx = staff_ctx(request)
    initial = {"received_on": _today(), "organization": request.GET.get("organization", "")}
    form = PaymentForm(request.POST or None, ctx=ctx, initial=initial)
    if request.method == "POST":
        if not can_manage(request):
            return forbidden(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = payment_record(
                    ctx=ctx,
                    organization_id=data["organization"],
                    amount=data["amount"],
                    currency=data["currency"],
                    received_on=data["received_on"],
                    reference=data["reference"],
                    invoice_ids=data["invoice_ids"] or None,
                )
            except DomainError as error:
                show_errors(form, error, {"organization_id": "organization"})
            else:
                messages.success(request, _payment_outcome(payment))
                return redirect("billing:ops_payments")
    return render(request, "billing/ops/payment_form.html", {"form": form}, status=422 if form.errors else 200)


def _payment_outcome(payment: Any) -> str:
    paid = ", ".join(allocation.invoice.display_number for allocation in payment.allocations.all())
    credit = payment.amount - payment.allocated_amount
    text = _("A payment of %(amount)s from %(organization)s is recorded.") % {
        "amount": amount_text(payment.amount, payment.currency),
        "organization": payment.organization.name,
    }
    if paid:
        text += " " + _("It pays %(documents)s.") % {"documents": paid}
    if credit > 0:
        text += " " + _("%(credit)s stays as credit.") % {"credit": amount_text(credit, payment.currency)}
    return text


@ops_page()
@require_POST
def refund_paid(request: HttpRequest, refund_id: UUID) -> HttpResponse:
    if not can_manage(request):
        return forbidden(request)
    form = RefundPaidForm(request.POST, prefix=f"refund-{refund_id}")
    if form.is_valid():
        try:
            refund = refund_mark_paid(ctx=staff_ctx(request), refund_id=refund_id, **form.cleaned_data)
        except NotFoundError:
            raise
        except DomainError as error:
            show_errors(form, error)
        else:
            messages.success(
                request,
                _("The refund of %(amount)s to %(organization)s is marked paid.")
                % {"amount": amount_text(refund.amount, refund.currency), "organization": refund.organization.name},
            )
            return redirect("billing:ops_payments")
    return _payments_page(request, {refund_id: form})


# ---- Bank statements and the review of unmatched lines ----------------------------------------------------------


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Bank statement"),
        help_text=gettext_lazy("CAMT.053 XML from the bank, or CSV in the layout below. At most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,.csv,.txt,text/xml,application/xml,text/csv"}),
    )


class AssignForm(_InvoicesChoiceMixin, forms.Form):
    organization = forms.ChoiceField(label=gettext_lazy("Paid by"))
    invoice_ids = forms.MultipleChoiceField(label=gettext_lazy("Invoices it pays"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)

    def __init__(
        self, *args: Any, ctx: RequestContext, currency: str, organizations: list[tuple[str, Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations
        self.fields["organization"].widget.attrs.update(
            {
                "hx-get": f"{reverse('billing:ops_open_invoices')}?currency={currency}&prefix={self.prefix}-",
                "hx-target": f"#{self.prefix}-invoices",
                "hx-trigger": "change",
            }
        )
        organization = self.data.get(self.add_prefix("organization"), "") if self.is_bound else ""
        checked = (self["invoice_ids"].value() or []) if self.is_bound else []
        self.set_invoice_choices(ctx, organization, currency, checked)


class IgnoreForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Why is it not a payment?"),
        max_length=500,
        help_text=gettext_lazy("For example: interest, a transfer between our own accounts."),
    )


def _line_prefix(line_id: Any) -> str:
    return f"line-{line_id}"


@dataclass
class ReviewRow:
    line: Any
    assign: AssignForm
    ignore: IgnoreForm
    open_action: str


def _statements_page(
    request: HttpRequest,
    upload: StatementUploadForm | None = None,
    bound: tuple[UUID, str, forms.Form] | None = None,
) -> HttpResponse:
    """The upload form, the summary of the import just made, and the lines waiting for review."""
    ctx = staff_ctx(request)
    summary = None
    if (wanted := _uuid(request.GET.get("import", ""))) is not None:
        summary = StatementImport.objects.filter(public_id=wanted).first()
    table = paginate(request, statement_lines_to_review(ctx=ctx).order_by("booking_date", "pk"))
    organizations = _organization_choices(ctx, _("Choose the organisation"))  # once for every line's select
    rows = []
    for line in table["page"]:
        prefix = _line_prefix(line.public_id)
        assign = AssignForm(ctx=ctx, currency=line.currency, organizations=organizations, prefix=prefix)
        ignore = IgnoreForm(prefix=f"{prefix}-ignore")
        open_action = ""
        if bound is not None and bound[0] == line.public_id:
            open_action = bound[1]
            if bound[1] == "assign":
                assign = bound[2]  # type: ignore[assignment]
            else:
                ignore = bound[2]  # type: ignore[assignment]
        rows.append(ReviewRow(line=line, assign=assign, ignore=ignore, open_action=open_action))
    columns = [
        (name, aliases[: len(aliases) - _bulgarian_count(aliases)], aliases[-_bulgarian_count(aliases) :])
        for name, aliases in COLUMN_ALIASES.items()
    ]
    failed = bool((upload is not None and upload.errors) or bound is not None)
    return render(
        request,
        "billing/ops/statements.html",
        {
            "upload": upload or StatementUploadForm(),
            "summary": summary,
            "recent": StatementImport.objects.select_related("uploaded_by").order_by("-created_at")[:RECENT_IMPORTS],
            "table": table,
            "rows": rows,
            "columns": [(name, english, bulgarian, name in REQUIRED_COLUMNS) for name, english, bulgarian in columns],
            "can_manage": can_manage(request),
        },
        status=422 if failed else 200,
    )


def _bulgarian_count(aliases: tuple[str, ...]) -> int:
    return sum(1 for alias in aliases if re.search("[а-я]", alias))


@ops_page()
def statements(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _statements_page(request)
    if not can_manage(request):
        return forbidden(request)
    upload = StatementUploadForm(request.POST, request.FILES)
    if upload.is_valid():
        file = upload.cleaned_data["file"]
        if file.size > MAX_STATEMENT_BYTES:
            upload.add_error("file", _("The file is larger than 20 MB; split the statement."))
        else:
            try:
                imported = statement_import(ctx=staff_ctx(request), data=file.read(), filename=file.name or "")
            except DomainError as error:
                show_errors(upload, error)
            else:
                messages.success(
                    request,
                    _("%(file)s is imported: %(new)s new lines, %(matched)s matched to invoices.")
                    % {"file": imported.filename, "new": imported.new_entries, "matched": imported.matched},
                )
                return redirect(f"{reverse('billing:ops_statements')}?import={imported.public_id}")
    return _statements_page(request, upload=upload)


@ops_page()
@require_POST
def statement_line_action(request: HttpRequest, line_id: UUID, action: str) -> HttpResponse:
    """Assign an unmatched line to the organisation that paid (and the invoices it pays), or set it aside."""
    if not can_manage(request):
        return forbidden(request)
    ctx = staff_ctx(request)
    line = statement_lines_to_review(ctx=ctx).filter(public_id=line_id).first()
    if line is None:
        messages.error(request, _("This bank line has already been dealt with."))
        return redirect("billing:ops_statements")
    prefix = _line_prefix(line_id)
    form: forms.Form
    if action == "assign":
        organizations = _organization_choices(ctx, _("Choose the organisation"))
        form = AssignForm(request.POST, ctx=ctx, currency=line.currency, organizations=organizations, prefix=prefix)
    else:
        form = IgnoreForm(request.POST, prefix=f"{prefix}-ignore")
    if form.is_valid():
        try:
            if action == "assign":
                statement_line_assign(
                    ctx=ctx,
                    line_id=line_id,
                    organization_id=form.cleaned_data["organization"],
                    invoice_ids=form.cleaned_data["invoice_ids"] or None,
                    note=form.cleaned_data["note"],
                )
                done = _("The line of %(amount)s from %(payer)s is recorded as a payment.")
            else:
                statement_line_ignore(ctx=ctx, line_id=line_id, note=form.cleaned_data["note"])
                done = _("The line of %(amount)s from %(payer)s is set aside.")
        except NotFoundError:
            raise
        except DomainError as error:
            show_errors(form, error, {"organization_id": "organization"})
        else:
            messages.success(
                request,
                done
                % {"amount": amount_text(line.amount, line.currency), "payer": line.counterparty_name or _("unknown")},
            )
            return redirect("billing:ops_statements")
    return _statements_page(request, bound=(line_id, action, form))


# ---- Penalties (RT-6.4) --------------------------------------------------------------------------------------------


class PenaltyForm(forms.Form):
    organization = forms.ChoiceField(label=gettext_lazy("Reseller"))
    product = forms.ChoiceField(label=gettext_lazy("Product of the licenses"))
    licenses = forms.IntegerField(
        label=gettext_lazy("Number of licenses wrongly provided"), min_value=1, max_value=1_000_000, initial=1
    )
    reason = forms.CharField(
        label=gettext_lazy("Description of the violation"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Which rule, which end users or licenses. Printed on the invoice; the reseller sees it."
        ),
    )

    def __init__(self, *args: Any, ctx: RequestContext, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = reseller_choices(ctx, _("Choose a reseller"))  # type: ignore[attr-defined]
        self.fields["product"].choices = [  # type: ignore[attr-defined]
            (str(product.public_id), f"{product.name} ({product.code})") for product in product_list()
        ]
        live = {
            "hx-get": reverse("billing:ops_penalty_preview"),
            "hx-target": "#penalty-preview",
            "hx-include": "#id_organization, #id_product, #id_licenses",
        }
        self.fields["product"].widget.attrs.update({**live, "hx-trigger": "change"})
        self.fields["licenses"].widget.attrs.update(
            {**live, "hx-trigger": "input changed delay:250ms, change", "inputmode": "numeric"}
        )


def penalty_preview_of(product_id: Any, licenses_text: Any, organization_id: Any = None) -> PenaltyQuote | None:
    """What ``penalty_raise`` will issue for the reseller, product and number being entered (the multiplier is the
    licensing policy's for that reseller and product), or None while they are incomplete."""
    product = next((item for item in product_list() if str(item.public_id) == str(product_id)), None)
    try:
        reseller = Organization.objects.filter(kind="reseller", public_id=organization_id).first()
    except (ValueError, ValidationError):  # none chosen yet, or a malformed id: the product's own multiplier
        reseller = None
    try:
        licenses = int(licenses_text)
    except (TypeError, ValueError):
        return None
    if product is None or not 1 <= licenses <= 1_000_000:
        return None
    return penalty_quote(product=product, licenses=licenses, reseller=reseller)


@ops_page()
def penalty_preview(request: HttpRequest) -> HttpResponse:
    """The amount and due date of the penalty being entered, refreshed as product or number change (htmx)."""
    preview = penalty_preview_of(
        request.GET.get("product"), request.GET.get("licenses"), request.GET.get("organization") or None
    )
    return render(request, "billing/ops/_penalty_preview.html", {"preview": preview})


@ops_page()
def penalty_new(request: HttpRequest) -> HttpResponse:
    ctx = staff_ctx(request)
    form = PenaltyForm(request.POST or None, ctx=ctx, initial={"organization": request.GET.get("organization", "")})
    if request.method == "POST":
        if not can_manage(request):
            return forbidden(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                invoice = penalty_raise(
                    ctx=ctx,
                    organization_id=data["organization"],
                    product_id=data["product"],
                    licenses=data["licenses"],
                    reason=data["reason"],
                )
            except DomainError as error:
                show_errors(form, error, {"organization_id": "organization", "product_id": "product"})
            else:
                messages.success(
                    request,
                    _("Penalty invoice %(number)s is issued to %(reseller)s: %(total)s, due on %(date)s.")
                    % {
                        "number": invoice.display_number,
                        "reseller": invoice.organization.name,
                        "total": amount_text(invoice.gross_amount, invoice.currency),
                        "date": _date(invoice.due_date),
                    },
                )
                return redirect(invoice_url(invoice))
    choices = list(form.fields["product"].choices)  # type: ignore[attr-defined]
    product = form["product"].value() or (choices[0][0] if choices else "")
    preview = penalty_preview_of(product, form["licenses"].value(), form["organization"].value() or None)
    return render(
        request,
        "billing/ops/penalty_form.html",
        {"form": form, "preview": preview, "policy": BillingPolicy.current()},
        status=422 if form.errors else 200,
    )


urlpatterns: list[URLPattern] = [
    path("ops/orders/<uuid:order_id>/invoice/", order_invoice, name="ops_order_invoice"),
    path("ops/orders/<uuid:order_id>/documents/", order_documents, name="ops_order_documents"),
    path("ops/billing/invoices/", invoice_index, name="ops_invoices"),
    path("ops/billing/invoices/export.csv", invoice_export, name="ops_invoices_export"),
    path("ops/billing/invoices/<uuid:invoice_id>/", invoice_detail, name="ops_invoice"),
    path("ops/billing/invoices/<uuid:invoice_id>/pdf/", invoice_pdf_view, name="ops_invoice_pdf"),
    path("ops/billing/open-invoices/", open_invoice_choices, name="ops_open_invoices"),
    path("ops/billing/payments/", payment_index, name="ops_payments"),
    path("ops/billing/payments/export.csv", payment_export, name="ops_payments_export"),
    path("ops/billing/payments/new/", payment_new, name="ops_payment_new"),
    path("ops/billing/refunds/<uuid:refund_id>/paid/", refund_paid, name="ops_refund_paid"),
    path("ops/billing/statements/", statements, name="ops_statements"),
    path(
        "ops/billing/statements/lines/<uuid:line_id>/assign/",
        statement_line_action,
        {"action": "assign"},
        name="ops_statement_line_assign",
    ),
    path(
        "ops/billing/statements/lines/<uuid:line_id>/ignore/",
        statement_line_action,
        {"action": "ignore"},
        name="ops_statement_line_ignore",
    ),
    path("ops/billing/penalties/new/", penalty_new, name="ops_penalty_new"),
    path("ops/billing/penalties/new/preview/", penalty_preview, name="ops_penalty_preview"),
]
