"""Pages of the reseller surface for billing: the balance with the bank details to pay to, the documents issued to
the reseller with their PDF, paying from credit, and contesting a penalty (RT-6.4). All behind the terms gate."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trunkline.billing.calendar import business_date
from trunkline.billing.models import DocumentKind, Invoice, InvoiceStatus, PenaltyDispute, Purpose, Seller
from trunkline.billing.pdf import LANGUAGES, invoice_pdf
from trunkline.billing.selectors import balance_of, invoice_get, invoice_list, payment_list
from trunkline.billing.services import credit_apply, penalty_dispute_open
from trunkline.commerce.views.reseller import RESELLER, acting_ctx, paginate, reseller_page, show_errors
from trunkline.core import clock
from trunkline.core.errors import DomainError

RECENT_PAYMENTS = 10
PAYABLE = (DocumentKind.PROFORMA, DocumentKind.INVOICE)


def _today() -> date:
    return business_date(clock.now())


@reseller_page()
def billing_home(request: HttpRequest) -> HttpResponse:
    """What the reseller owes, of which overdue, its credit, its latest payments and where to pay."""
    ctx = acting_ctx(request)
    balance = balance_of(organization=ctx.organization)
    open_documents = invoice_list(ctx=ctx, status=InvoiceStatus.ISSUED).filter(kind__in=PAYABLE).order_by("due_date")
    return render(
        request,
        "billing/reseller/home.html",
        {
            "balance": balance,
            "open_documents": open_documents[:10],
            "payments": payment_list(ctx=ctx)[:RECENT_PAYMENTS],
            "seller": Seller.current(),
            "today": _today(),
        },
    )


STATUS_FILTERS = [*InvoiceStatus.choices, ("overdue", gettext_lazy("Overdue"))]


@reseller_page()
def invoice_index(request: HttpRequest) -> HttpResponse:
    ctx = acting_ctx(request)
    status = request.GET.get("status", "")
    if status not in dict(STATUS_FILTERS):
        status = ""
    overdue = status == "overdue"
    invoices = invoice_list(ctx=ctx, overdue=True) if overdue else invoice_list(ctx=ctx, status=status)
    order_id = request.GET.get("order", "")
    if order_id:
        try:
            invoices = invoices.filter(order__public_id=UUID(order_id))
        except ValueError:
            invoices = invoices.none()
    return render(
        request,
        "billing/reseller/invoice_list.html",
        {
            "table": paginate(request, invoices.order_by("-issued_at", "-pk")),
            "status": status,
            "statuses": STATUS_FILTERS,
            "order_filter": order_id,
            "today": _today(),
        },
    )


class ContestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Your grounds"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Which end users or licenses the penalty is wrong about, and why."),
    )


def _dispute_of(invoice: Invoice) -> PenaltyDispute | None:
    try:
        return invoice.dispute
    except PenaltyDispute.DoesNotExist:
        return None


def invoice_url(invoice: Invoice) -> str:
    return reverse("billing:reseller_invoice", kwargs={"invoice_id": invoice.public_id})


@reseller_page()
def invoice_detail(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    ctx = acting_ctx(request)
    invoice = invoice_get(ctx=ctx, invoice_id=invoice_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    contest_form = ContestForm(request.POST if action == "contest" else None)
    can_manage = ctx.has_scope("billing:manage")
    status = 200
    if request.method == "POST":
        if not can_manage:
            return render(request, "web/forbidden.html", status=403)
        if action == "contest" and contest_form.is_valid():
            try:
                penalty_dispute_open(ctx=ctx, invoice_id=invoice.public_id, reason=contest_form.cleaned_data["reason"])
            except DomainError as error:
                show_errors(contest_form, error)
            else:
                messages.success(
                    request,
                    _("Your dispute of %(number)s is recorded. The penalty stays due on %(date)s until it is decided.")
                    % {"number": invoice.display_number, "date": _date(invoice.due_date)},
                )
                return redirect(invoice_url(invoice))
        elif action == "credit":
            try:
                paid = credit_apply(ctx=ctx, invoice_id=invoice.public_id)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("Your credit was applied to %(number)s; still to pay: %(outstanding)s.")
                    % {"number": paid.display_number, "outstanding": paid.outstanding},
                )
            return redirect(invoice_url(invoice))
        elif action != "contest":
            return HttpResponse(status=400)
        status = 422
    is_penalty = invoice.purpose == Purpose.PENALTY and invoice.kind == DocumentKind.INVOICE
    dispute = _dispute_of(invoice) if is_penalty else None
    payable = invoice.kind in PAYABLE and invoice.status == InvoiceStatus.ISSUED
    credit = balance_of(organization=ctx.organization, currency=invoice.currency).credit if payable else None
    return render(
        request,
        "billing/reseller/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "allocations": invoice.allocations.all(),
            "is_penalty": is_penalty,
            "dispute": dispute,
            "can_contest": can_manage and is_penalty and dispute is None and invoice.status == InvoiceStatus.ISSUED,
            "contest_form": contest_form,
            "credit": credit,
            "can_pay_from_credit": can_manage and payable and credit is not None and credit.amount > 0,
            "is_overdue": payable and invoice.due_date < _today(),
            "credit_notes": invoice.credit_notes.select_related("series"),
        },
        status=status,
    )


def _date(value: date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


@reseller_page()
def invoice_pdf_view(request: HttpRequest, invoice_id: UUID) -> HttpResponse:
    """The document's PDF as a download named by its number, in its language (or ``?language=en|bg``)."""
    invoice = invoice_get(ctx=acting_ctx(request), invoice_id=invoice_id)
    language = request.GET.get("language")
    response = HttpResponse(
        invoice_pdf(invoice, language=language if language in LANGUAGES else None), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{invoice.display_number}.pdf"'
    return response


urlpatterns: list[URLPattern] = [
    path("reseller/billing/", billing_home, RESELLER, name="reseller_billing"),
    path("reseller/billing/invoices/", invoice_index, RESELLER, name="reseller_invoices"),
    path("reseller/billing/invoices/<uuid:invoice_id>/", invoice_detail, RESELLER, name="reseller_invoice"),
    path("reseller/billing/invoices/<uuid:invoice_id>/pdf/", invoice_pdf_view, RESELLER, name="reseller_invoice_pdf"),
]
