"""Pages of the ops surface for commerce: every reseller's orders with filters and a CSV export, the Purchase Orders
staff draw up, and one order with its lines (tier and unit price kept from placing, RT-3.5), its status timeline,
both signatures with their evidence and the vendor's signature form (RT-3.4), and cancelling.

Reading needs ``ops:read``; every change goes through the commerce services, which check ``ops:manage``. The
"Invoice" buttons of an order post to billing (``billing.views.ops``): commerce sits below billing and never imports
it, so the order page only names billing's URLs. The small helpers at the top (pagination, errors beside fields,
streaming CSV) are shared with billing's ops pages.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import wraps
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from asgiref.sync import sync_to_async
from django import forms
from django.contrib import messages
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trunkline.accounts.surfaces import View, operator_page
from trunkline.commerce.forms import OrderSignForm
from trunkline.commerce.models import CANCELLABLE, INVOICEABLE, Order, OrderKind, OrderStatus, SignatureSide
from trunkline.commerce.selectors import order_get, order_list, product_list
from trunkline.commerce.services import order_cancel, order_sign, purchase_order_create
from trunkline.commerce.services.orders import MAX_QUANTITY
from trunkline.commerce.views.timeline import order_timeline
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.errors import DomainError, NotFoundError, ValidationFailedError
from trunkline.tenancy.selectors import organization_list

PAGE_SIZE = 25
CSV_BATCH = 500
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# ---- Shared by the ops pages of commerce and billing ---------------------------------------------------------------


AnyView = Callable[..., HttpResponseBase]


def ops_page(scope: str = "ops:read") -> Callable[[AnyView], AnyView]:
    """A back-office page (``operator_page``) on which an object that does not exist is a 404 page. Its view may
    answer with a file or a stream."""

    def decorate(view: AnyView) -> AnyView:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return view(request, *args, **kwargs)
            except NotFoundError:
                raise Http404 from None

        return operator_page(scope)(cast(View, checked))

    return decorate


def staff_ctx(request: HttpRequest) -> RequestContext:
    return request.ctx  # type: ignore[attr-defined]


def can_manage(request: HttpRequest) -> bool:
    return staff_ctx(request).has_scope("ops:manage")


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/forbidden.html", status=403)


def paginate(request: HttpRequest, queryset: Any) -> dict[str, Any]:
    """What includes/pagination.html reads: the page and the query string without the page number."""
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")), "querystring": query.urlencode()}


def query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def show_errors(form: forms.Form, error: DomainError, names: dict[str, str] | None = None) -> None:
    """A service's refusal on the form: each field's sentences beside the field (``names`` maps the service's
    argument names to the form's), the message on top."""
    names = names or {}
    if isinstance(error, ValidationFailedError) and error.fields:
        form.add_error(None, error.message)
        for name, sentences in error.fields.items():
            field = names.get(name, name)
            for sentence in sentences:
                form.add_error(field if field in form.fields else None, sentence)
        return
    form.add_error(None, error.message)


def staff_zone(request: HttpRequest) -> str:
    """The staff member's own time zone: CSV times are written in it, as the pages show them."""
    return str(getattr(request.user, "time_zone", "") or "Europe/Sofia")


def day_start(day: date, zone: str) -> datetime:
    """Midnight at the start of ``day`` on the wall clock of ``zone``, as an aware time."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))


def iso_time(value: datetime | None, zone: str) -> str:
    return clock.local(value, zone).isoformat(timespec="seconds") if value else ""


def plain_amount(value: Decimal | None) -> str:
    """An amount as a plain decimal (``1234.50``): no grouping, a point, whatever the language."""
    return "" if value is None else f"{value:f}"


def plain_date(value: date | None) -> str:
    return value.isoformat() if value else ""


class _Echo:
    """A file whose write returns what it was given, so csv.writer formats one row at a time."""

    def write(self, value: str) -> str:
        return value


def _csv_chunks(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)  # the byte-order mark tells Excel it is UTF-8
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow(row))
        if len(batch) >= CSV_BATCH:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def _next_chunk(chunks: Iterator[str]) -> str:
    return next(chunks, "")


async def _in_thread(chunks: Iterator[str]) -> AsyncIterator[str]:
    """The chunks for an ASGI server, each read in the thread the ORM may run in, so the export really streams."""
    while chunk := await sync_to_async(_next_chunk)(chunks):
        yield chunk


def csv_response(
    request: HttpRequest, filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download: UTF-8 with a byte-order mark, one header row, then ``rows`` as they are read."""
    chunks = _csv_chunks([str(title) for title in header], rows)  # translated now, in the staff member's language
    content: Iterator[str] | AsyncIterator[str] = _in_thread(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def amount_text(value: Decimal, currency: str) -> str:
    return f"{formats.number_format(value, 2, use_l10n=True, force_grouping=True)} {currency}"


def reseller_choices(ctx: RequestContext, blank: Any) -> list[tuple[str, Any]]:
    resellers = organization_list(ctx=ctx).filter(kind="reseller").order_by("name", "pk")
    return [("", blank), *((str(org.public_id), org.name) for org in resellers)]


def tier_label(min_quantity: int, max_quantity: int | None) -> str:
    """A tier as people read it: "50–249 licenses", or "250 licenses or more" for the open one."""
    if max_quantity is None:
        return _("%(min)s licenses or more") % {"min": min_quantity}
    if max_quantity - 1 == min_quantity:
        return _("%(min)s licenses") % {"min": min_quantity}
    return _("%(min)s–%(max)s licenses") % {"min": min_quantity, "max": max_quantity - 1}


# ---- The list and its export ---------------------------------------------------------------------------------------


class OrderFilterForm(forms.Form):
    organization = forms.ChoiceField(label=gettext_lazy("Reseller"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=[("", gettext_lazy("All")), *OrderStatus.choices]
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("All")), *OrderKind.choices]
    )
    placed_from = forms.DateField(label=gettext_lazy("Placed from"), required=False, widget=DATE_INPUT)
    placed_to = forms.DateField(label=gettext_lazy("Placed until"), required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, ctx: RequestContext, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = reseller_choices(ctx, _("All resellers"))  # type: ignore[attr-defined]


def _filtered_orders(request: HttpRequest) -> tuple[OrderFilterForm, Any]:
    """The filter form read from the query string, and the orders it selects (an invalid filter is left out)."""
    ctx = staff_ctx(request)
    form = OrderFilterForm(request.GET, ctx=ctx)
    form.is_valid()
    data = form.cleaned_data
    zone = staff_zone(request)
    placed_from, placed_to = data.get("placed_from"), data.get("placed_to")
    orders = order_list(
        ctx=ctx,
        status=data.get("status") or "",
        kind=data.get("kind") or "",
        organization_id=data.get("organization") or None,
        placed_from=day_start(placed_from, zone) if placed_from else None,
        placed_to=day_start(placed_to + timedelta(days=1), zone) if placed_to else None,  # the whole day "to"
    )
    return form, orders.order_by("-placed_at", "-pk")


@ops_page()
def order_index(request: HttpRequest) -> HttpResponse:
    form, orders = _filtered_orders(request)
    query = query_without_page(request)
    return render(
        request,
        "commerce/ops/order_list.html",
        {
            "filters": form,
            "table": paginate(request, orders),
            "export_url": reverse("commerce:ops_orders_export") + (f"?{query}" if query else ""),
            "filtered": bool(query),
            "can_manage": can_manage(request),
        },
    )


ORDER_CSV_HEADER = (
    gettext_lazy("Number"),
    gettext_lazy("Kind"),
    gettext_lazy("Status"),
    gettext_lazy("Reseller"),
    gettext_lazy("Placed at"),
    gettext_lazy("Binding since"),
    gettext_lazy("Invoiced at"),
    gettext_lazy("Paid at"),
    gettext_lazy("Cancelled at"),
    gettext_lazy("Product"),
    gettext_lazy("Licenses"),
    gettext_lazy("Unit price"),
    gettext_lazy("Currency"),
    gettext_lazy("Net"),
    gettext_lazy("VAT rate (%)"),
    gettext_lazy("VAT"),
    gettext_lazy("Total"),
    gettext_lazy("Reverse charge"),
)


def _order_rows(orders: Any, zone: str) -> Iterator[list[str]]:
    for order in orders.iterator(chunk_size=CSV_BATCH):
        lines = list(order.lines.all())
        yield [
            order.display_number,
            order.kind,
            order.status,
            order.organization.name,
            iso_time(order.placed_at, zone),
            iso_time(order.binding_at, zone),
            iso_time(order.invoiced_at, zone),
            iso_time(order.paid_at, zone),
            iso_time(order.cancelled_at, zone),
            "; ".join(line.product.code for line in lines),
            str(sum(line.quantity for line in lines)),
            plain_amount(lines[0].unit_price) if len(lines) == 1 else "",
            order.currency,
            plain_amount(order.net_amount),
            plain_amount(order.vat_rate),
            plain_amount(order.vat_amount),
            plain_amount(order.gross_amount),
            "yes" if order.is_reverse_charge else "no",
        ]


@ops_page()
def order_export(request: HttpRequest) -> HttpResponseBase:
    """The orders the list's filters select, as CSV: codes for kind and status, plain amounts, times in the staff
    member's zone (ISO 8601 with the offset)."""
    _form, orders = _filtered_orders(request)
    stamp = clock.local(clock.now(), staff_zone(request)).strftime("%Y%m%d-%H%M")
    return csv_response(request, f"orders-{stamp}.csv", ORDER_CSV_HEADER, _order_rows(orders, staff_zone(request)))


# ---- A new Purchase Order ----------------------------------------------------------------------------------------


class PurchaseOrderForm(forms.Form):
    organization = forms.ChoiceField(label=gettext_lazy("Reseller"))
    product = forms.ChoiceField(label=gettext_lazy("Product"))
    quantity = forms.IntegerField(
        label=gettext_lazy("Number of licenses"), min_value=1, max_value=MAX_QUANTITY, initial=100
    )

    def __init__(self, *args: Any, ctx: RequestContext, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = reseller_choices(ctx, _("Choose a reseller"))  # type: ignore[attr-defined]
        self.fields["product"].choices = [  # type: ignore[attr-defined]
            (str(product.public_id), f"{product.name} ({product.code})") for product in product_list()
        ]
        self.fields["quantity"].help_text = _(
            "Priced now from the reseller's own price book (or the default one), at the tier this quantity falls in. "
            "The order binds once the reseller and the vendor have both signed it."
        )


def order_url(order: Order) -> str:
    return reverse("commerce:ops_order", kwargs={"order_id": order.public_id})


@ops_page()
def order_new(request: HttpRequest) -> HttpResponse:
    ctx = staff_ctx(request)
    form = PurchaseOrderForm(request.POST or None, ctx=ctx, initial={"organization": request.GET.get("organization")})
    if request.method == "POST":
        if not can_manage(request):
            return forbidden(request)
        if form.is_valid():
            try:
                order = purchase_order_create(
                    ctx=ctx,
                    product_id=form.cleaned_data["product"],
                    quantity=form.cleaned_data["quantity"],
                    organization_id=form.cleaned_data["organization"],
                )
            except DomainError as error:
                show_errors(form, error, {"product_id": "product", "organization_id": "organization"})
            else:
                messages.success(
                    request,
                    _("Purchase Order %(number)s for %(reseller)s is drawn up: %(total)s. It binds once both sign.")
                    % {
                        "number": order.display_number,
                        "reseller": order.organization.name,
                        "total": amount_text(order.gross_amount, order.currency),
                    },
                )
                return redirect(order_url(order))
    return render(request, "commerce/ops/order_new.html", {"form": form}, status=422 if form.errors else 200)


# ---- One order -------------------------------------------------------------------------------------------------


class VendorSignForm(OrderSignForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signer_name"].label = gettext_lazy("Signed for the vendor by (name and role)")
        self.fields["signer_name"].help_text = gettext_lazy("For example: Olga Petrova, sales director.")


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for cancelling"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept in the order's history and the audit trail."),
    )


def _perform(request: HttpRequest, order: Order, action: str, form: forms.Form) -> str | None:
    """Run the chosen action through its service; the success message, or None with the refusal on the form."""
    ctx = staff_ctx(request)
    try:
        if action == "sign":
            order_sign(
                ctx=ctx,
                order_id=order.public_id,
                signer_name=form.cleaned_data["signer_name"],
                document=form.cleaned_data["document"] or None,
            )
            return _("You signed %(number)s for the vendor.") % {"number": order.display_number}
        order_cancel(ctx=ctx, order_id=order.public_id, reason=form.cleaned_data["reason"])
        return _("Order %(number)s is cancelled.") % {"number": order.display_number}
    except DomainError as error:
        show_errors(form, error)
        return None


@ops_page()
def order_detail(request: HttpRequest, order_id: UUID) -> HttpResponse:
    ctx = staff_ctx(request)
    order = order_get(ctx=ctx, order_id=order_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    sign_form = VendorSignForm(request.POST, request.FILES) if action == "sign" else VendorSignForm()
    cancel_form = CancelForm(request.POST) if action == "cancel" else CancelForm()
    manage = can_manage(request)
    status = 200
    if request.method == "POST":
        if not manage:
            return forbidden(request)
        form = {"sign": sign_form, "cancel": cancel_form}.get(action)
        if form is None:
            return HttpResponse(status=400)
        if form.is_valid():
            done = _perform(request, order, action, form)
            if done is not None:
                messages.success(request, done)
                return redirect(order_url(order))
        status = 422
    signatures = {signature.side: signature for signature in order.signatures.all()}
    awaiting = order.kind == OrderKind.PURCHASE and order.status == OrderStatus.AWAITING_SIGNATURES
    lines = [
        {"line": line, "tier": tier_label(line.tier_min_quantity, line.tier_max_quantity)} for line in order.lines.all()
    ]
    return render(
        request,
        "commerce/ops/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "timeline": order_timeline(order),
            "is_purchase": order.kind == OrderKind.PURCHASE,
            "signature_sides": [
                (SignatureSide.RESELLER.label, signatures.get(SignatureSide.RESELLER)),
                (SignatureSide.VENDOR.label, signatures.get(SignatureSide.VENDOR)),
            ],
            "can_manage": manage,
            "can_sign": manage and awaiting and SignatureSide.VENDOR not in signatures,
            "can_cancel": manage and order.status in CANCELLABLE,
            "can_invoice": manage and (order.status in INVOICEABLE or awaiting),
            "awaiting_signatures": awaiting,
            "sign_form": sign_form,
            "cancel_form": cancel_form,
        },
        status=status,
    )


@ops_page()
def signature_document(request: HttpRequest, order_id: UUID, signature_id: UUID) -> HttpResponseBase:
    """The signed PDF uploaded for one side of a Purchase Order."""
    order = order_get(ctx=staff_ctx(request), order_id=order_id)
    signature = next((item for item in order.signatures.all() if item.public_id == signature_id), None)
    if signature is None or not signature.document:
        raise Http404
    return FileResponse(
        signature.document.open("rb"),
        as_attachment=True,
        filename=f"{order.display_number}-{signature.side}.pdf",
        content_type="application/pdf",
    )


urlpatterns: list[URLPattern] = [
    path("ops/orders/", order_index, name="ops_orders"),
    path("ops/orders/export.csv", order_export, name="ops_orders_export"),
    path("ops/orders/new/", order_new, name="ops_order_new"),
    path("ops/orders/<uuid:order_id>/", order_detail, name="ops_order"),
    path(
        "ops/orders/<uuid:order_id>/signatures/<uuid:signature_id>/document/",
        signature_document,
        name="ops_order_signature_document",
    ),
]
