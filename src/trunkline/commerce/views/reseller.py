"""Pages of the reseller surface for commerce: its orders, the Online Order form with the price computed live from
its own tiers (RT-3.5), and each order with its signatures (RT-3.4) and status.

Every page is behind the reseller terms gate except the Online Order form and its price partial: placing an Online
Order is itself how a reseller accepts the reseller terms in force (RT-2.1), so that form must open without them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trunkline.accounts.surfaces import View, surface_page
from trunkline.commerce.forms import OrderSignForm
from trunkline.commerce.models import CANCELLABLE, Order, OrderKind, OrderStatus, PriceTier, Product, SignatureSide
from trunkline.commerce.selectors import (
    PriceQuote,
    order_get,
    order_list,
    price_quote,
    price_tiers_of,
    product_get,
    product_list,
)
from trunkline.commerce.services import order_cancel, order_place_online, order_sign
from trunkline.commerce.services.orders import MAX_QUANTITY, RESELLER_TERMS
from trunkline.commerce.views.timeline import order_timeline
from trunkline.core.context import RequestContext
from trunkline.core.errors import DomainError, NotFoundError, ValidationFailedError
from trunkline.terms.gate import terms_required
from trunkline.terms.selectors import AcceptanceStatus, terms_acceptance_current

PAGE_SIZE = 25
RESELLER = {"surface": "reseller"}


def reseller_page(*, gated: bool = True, scope: str = "billing:read") -> Callable[[View], View]:
    """A page of ``/reseller/``: signed in for a reseller, holding ``scope`` (403 page otherwise) and, unless
    ``gated`` is false, past the reseller terms gate."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.ctx.has_scope(scope):  # type: ignore[attr-defined]
                return render(request, "web/forbidden.html", status=403)
            try:
                return view(request, *args, **kwargs)
            except NotFoundError:
                raise Http404 from None

        return surface_page(terms_required(RESELLER_TERMS)(checked) if gated else checked)

    return decorate


def acting_ctx(request: HttpRequest) -> RequestContext:
    return request.ctx  # type: ignore[attr-defined]


def paginate(request: HttpRequest, queryset: Any) -> dict[str, Any]:
    """What includes/pagination.html reads: the page and the query string without the page number."""
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")), "querystring": query.urlencode()}


def show_errors(form: forms.Form, error: DomainError, names: dict[str, str] | None = None) -> None:
    """Put a service's error on the form: each field's sentences beside the field, the rest on top."""
    names = names or {}
    if isinstance(error, ValidationFailedError) and error.fields:
        for name, sentences in error.fields.items():
            field = names.get(name, name)
            for sentence in sentences:
                form.add_error(field if field in form.fields else None, sentence)
        return
    form.add_error(None, error.message)


# ---- The list ----------------------------------------------------------------------------------------------------


@reseller_page()
def order_index(request: HttpRequest) -> HttpResponse:
    ctx = acting_ctx(request)
    status = request.GET.get("status", "")
    if status not in OrderStatus.values:
        status = ""
    orders = order_list(ctx=ctx, status=status).order_by("-placed_at", "-pk")
    return render(
        request,
        "commerce/reseller/order_list.html",
        {
            "table": paginate(request, orders),
            "status": status,
            "statuses": OrderStatus.choices,
            "can_order": ctx.has_scope("billing:manage"),
        },
    )


# ---- The Online Order form -----------------------------------------------------------------------------------


class OnlineOrderForm(forms.Form):
    product = forms.ChoiceField(label=gettext_lazy("Product"))
    quantity = forms.IntegerField(
        label=gettext_lazy("Number of licenses"), min_value=1, max_value=MAX_QUANTITY, initial=10
    )
    accept_terms = forms.BooleanField(required=True)

    def __init__(self, *args: Any, products: list[Product], terms: AcceptanceStatus, quote_url: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [(str(product.public_id), product.name) for product in products]  # type: ignore[attr-defined]
        live = {
            "hx-get": quote_url,
            "hx-target": "#order-quote",
            "hx-include": "#id_product, #id_quantity",
            "hx-sync": "this:replace",
        }
        self.fields["product"].widget.attrs.update({**live, "hx-trigger": "change"})
        self.fields["quantity"].widget.attrs.update(
            {**live, "hx-trigger": "input changed delay:250ms, change", "inputmode": "numeric", "autocomplete": "off"}
        )
        if terms.accepted or terms.version is None:
            del self.fields["accept_terms"]
        else:
            self.fields["accept_terms"].label = _("I accept the reseller terms (version %(number)s)") % {
                "number": terms.version.number
            }
            self.fields["accept_terms"].error_messages["required"] = _(
                "Accept the reseller terms to place the order: placing it records your acceptance."
            )


@dataclass(frozen=True)
class TierRow:
    tier: PriceTier
    label: str
    is_current: bool


def tier_label(min_quantity: int, max_quantity: int | None) -> str:
    """A tier as people read it: "50–249 licenses", or "250 licenses or more" for the open one."""
    if max_quantity is None:
        return _("%(min)s licenses or more") % {"min": min_quantity}
    if max_quantity - 1 == min_quantity:
        return _("%(min)s licenses") % {"min": min_quantity}
    return _("%(min)s–%(max)s licenses") % {"min": min_quantity, "max": max_quantity - 1}


def _quote_context(ctx: RequestContext, product_id: str, quantity_text: str) -> dict[str, Any]:
    """The live price of ``quantity`` of a product for the acting reseller, and its whole tier table."""
    organization = ctx.organization
    try:
        product = product_get(public_id=product_id)
    except NotFoundError:
        return {"problem": _("Choose a product.")}
    try:
        quantity = int(quantity_text)
    except (TypeError, ValueError):
        quantity = 0
    problem = ""
    if not 1 <= quantity <= MAX_QUANTITY:
        problem = _("Enter a number of licenses between 1 and %(max)s.") % {
            "max": formats.number_format(MAX_QUANTITY, force_grouping=True)
        }
    quote: PriceQuote | None = None
    try:
        quote = price_quote(
            reseller=organization,
            product=product,
            quantity=quantity if not problem else 1,
            vat_number=organization.vat_number,
        )
    except DomainError as error:
        return {"product": product, "problem": error.message}
    tiers = price_tiers_of(version=quote.version, product=product)
    rows = [
        TierRow(
            tier=tier,
            label=tier_label(tier.min_quantity, tier.max_quantity),
            is_current=not problem and tier.min_quantity == quote.tier.min_quantity,
        )
        for tier in tiers
    ]
    return {
        "product": product,
        "quantity": quantity,
        "quote": None if problem else quote,
        "tier_label": "" if problem else tier_label(quote.tier.min_quantity, quote.tier.max_quantity),
        "tiers": rows,
        "version": quote.version,
        "problem": problem,
    }


@reseller_page(gated=False, scope="billing:manage")
def order_quote(request: HttpRequest) -> HttpResponse:
    """The price panel of the order form, refreshed as the product or quantity changes (htmx)."""
    context = _quote_context(acting_ctx(request), request.GET.get("product", ""), request.GET.get("quantity", ""))
    return render(request, "commerce/reseller/_quote.html", context)


@reseller_page(gated=False, scope="billing:manage")
def order_new(request: HttpRequest) -> HttpResponse:
    """Place an Online Order. Not behind the terms gate: if the reseller has not accepted the reseller terms in
    force, the form asks for it, and placing the order records the acceptance (RT-2.1)."""
    ctx = acting_ctx(request)
    products = list(product_list())
    terms = terms_acceptance_current(organization=ctx.organization, kind=RESELLER_TERMS)
    quote_url = reverse("commerce:reseller_order_quote")
    form = OnlineOrderForm(request.POST or None, products=products, terms=terms, quote_url=quote_url)
    if request.method == "POST" and form.is_valid():
        try:
            order = order_place_online(
                ctx=ctx,
                product_id=form.cleaned_data["product"],
                quantity=form.cleaned_data["quantity"],
                accept_terms=bool(form.cleaned_data.get("accept_terms")),
            )
        except DomainError as error:
            show_errors(form, error, {"product_id": "product"})
        else:
            messages.success(
                request,
                _("Order %(number)s is placed: %(total)s %(currency)s.")
                % {
                    "number": order.display_number,
                    "total": formats.number_format(order.gross_amount, 2, use_l10n=True, force_grouping=True),
                    "currency": order.currency,
                },
            )
            return redirect(f"{order_url(order)}?placed=1")
    product_id = str(form["product"].value() or (products[0].public_id if products else ""))
    quantity = str(form["quantity"].value() or "")
    return render(
        request,
        "commerce/reseller/order_new.html",
        {
            "form": form,
            "terms": terms,
            "has_products": bool(products),
            **_quote_context(ctx, product_id, quantity),
        },
        status=422 if form.errors else 200,
    )


# ---- One order -------------------------------------------------------------------------------------------------


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you cancel the order?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def order_url(order: Order) -> str:
    return reverse("commerce:reseller_order", kwargs={"order_id": order.public_id})


@reseller_page()
def order_detail(request: HttpRequest, order_id: UUID) -> HttpResponse:
    ctx = acting_ctx(request)
    order = order_get(ctx=ctx, order_id=order_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    sign_form = OrderSignForm(request.POST or None, request.FILES or None) if action == "sign" else OrderSignForm()
    cancel_form = CancelForm(request.POST or None) if action == "cancel" else CancelForm()
    can_manage = ctx.has_scope("billing:manage")
    status = 200
    if request.method == "POST":
        if not can_manage:
            return render(request, "web/forbidden.html", status=403)
        if action == "sign" and sign_form.is_valid():
            try:
                order_sign(
                    ctx=ctx,
                    order_id=order.public_id,
                    signer_name=sign_form.cleaned_data["signer_name"],
                    document=sign_form.cleaned_data["document"] or None,
                )
            except DomainError as error:
                show_errors(sign_form, error)
            else:
                messages.success(request, _("You signed order %(number)s.") % {"number": order.display_number})
                return redirect(order_url(order))
        elif action == "cancel" and cancel_form.is_valid():
            try:
                order_cancel(ctx=ctx, order_id=order.public_id, reason=cancel_form.cleaned_data["reason"])
            except DomainError as error:
                show_errors(cancel_form, error)
            else:
                messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.display_number})
                return redirect(order_url(order))
        elif action not in ("sign", "cancel"):
            return HttpResponse(status=400)
        status = 422
    signatures = {signature.side: signature for signature in order.signatures.all()}
    awaiting = order.kind == OrderKind.PURCHASE and order.status == OrderStatus.AWAITING_SIGNATURES
    lines = [
        {"line": line, "tier": tier_label(line.tier_min_quantity, line.tier_max_quantity)} for line in order.lines.all()
    ]
    return render(
        request,
        "commerce/reseller/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "timeline": order_timeline(order),
            "is_purchase": order.kind == OrderKind.PURCHASE,
            "signature_sides": [
                (SignatureSide.RESELLER.label, signatures.get(SignatureSide.RESELLER)),
                (SignatureSide.VENDOR.label, signatures.get(SignatureSide.VENDOR)),
            ],
            "can_sign": can_manage and awaiting and SignatureSide.RESELLER not in signatures,
            "can_cancel": can_manage and order.status in CANCELLABLE,
            "has_invoices": order.invoiced_at is not None,
            "sign_form": sign_form,
            "cancel_form": cancel_form,
            "just_placed": request.GET.get("placed") == "1" and order.status == OrderStatus.PLACED,
        },
        status=status,
    )


@reseller_page()
def signature_document(request: HttpRequest, order_id: UUID, signature_id: UUID) -> HttpResponse:
    """The signed PDF uploaded for one side of the reseller's own Purchase Order."""
    order = order_get(ctx=acting_ctx(request), order_id=order_id)
    signature = next((item for item in order.signatures.all() if item.public_id == signature_id), None)
    if signature is None or not signature.document:
        raise Http404
    with signature.document.open("rb") as document:
        response = HttpResponse(document.read(), content_type="application/pdf")  # at most 10 MB (order_sign)
    response["Content-Disposition"] = f'attachment; filename="{order.display_number}-{signature.side}.pdf"'
    return response


urlpatterns: list[URLPattern] = [
    path("reseller/orders/", order_index, RESELLER, name="reseller_orders"),
    path("reseller/orders/new/", order_new, RESELLER, name="reseller_order_new"),
    path("reseller/orders/new/quote/", order_quote, RESELLER, name="reseller_order_quote"),
    path("reseller/orders/<uuid:order_id>/", order_detail, RESELLER, name="reseller_order"),
    path(
        "reseller/orders/<uuid:order_id>/signatures/<uuid:signature_id>/document/",
        signature_document,
        RESELLER,
        name="reseller_order_signature_document",
    ),
]
