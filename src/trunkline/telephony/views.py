"""The customer's PBX panel at /app/pbx/: User Numbers and their forwarding (drag to reorder, ring timeouts), trunks,
configuration requests with their deadline, calls in progress, the trunk profile checklist (PT-17), the bandwidth
calculator (PT-16) and the statistics page with its chart and CSV export (PT-15.1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trunkline.accounts.surfaces import surface_page
from trunkline.core import clock
from trunkline.core.errors import DomainError, NotFoundError, ValidationFailedError
from trunkline.telephony import selectors
from trunkline.telephony.domain.bandwidth import IP_PHONE_KBITS, WEB_PHONE_KBITS, bandwidth_needed
from trunkline.telephony.services import (
    business_number_add,
    business_number_remove,
    business_number_update,
    business_numbers_reorder,
    configuration_request_open,
    trunk_create,
    user_number_add,
)
from trunkline.terms.gate import terms_required

View = Callable[..., HttpResponse]


def pbx_page(view: View) -> View:
    """A page of the customer surface behind its terms gate, for people holding ``telephony:manage``."""

    @wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.ctx.has_scope("telephony:manage"):  # type: ignore[attr-defined]
            return render(request, "web/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    @wraps(view)
    def surfaced(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        surface = request.surface  # type: ignore[attr-defined]
        if surface.prefix != "app":
            raise Http404
        return terms_required(surface.terms_kind)(gated)(request, *args, **kwargs)

    return surface_page(surfaced)


class UserNumberForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Number"), max_length=32, help_text=gettext_lazy("E.g. +35970010001"))
    label = forms.CharField(label=gettext_lazy("Label"), max_length=100, required=False)
    source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        choices=[("operator", gettext_lazy("Provided by the operator")), ("customer", gettext_lazy("Our own number"))],
    )


class BusinessNumberForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Business number"), max_length=32)
    destination = forms.ChoiceField(label=gettext_lazy("Reached through"), required=False)
    ring_seconds = forms.IntegerField(label=gettext_lazy("Ring (seconds)"), min_value=1, max_value=300, initial=20)

    def __init__(self, *args: Any, addresses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("The carrier (any phone)"))]
        choices += [(address, _("Our PBX at %(address)s") % {"address": address}) for address in addresses]
        destination = self.fields["destination"]
        assert isinstance(destination, forms.ChoiceField)
        destination.choices = choices


class TrunkForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    addresses = forms.CharField(
        label=gettext_lazy("Source IP addresses"), help_text=gettext_lazy("Separate several with commas.")
    )
    calling_numbers = forms.CharField(
        label=gettext_lazy("Allowed calling numbers"),
        help_text=gettext_lazy("Exact numbers or prefixes ending in *, separated by commas."),
    )


class ConfigurationForm(forms.Form):
    details = forms.CharField(
        label=gettext_lazy("What should we configure?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class BandwidthForm(forms.Form):
    ip_phone_lines = forms.IntegerField(label=gettext_lazy("IP-phone lines"), min_value=0, max_value=100000, initial=0)
    web_phone_lines = forms.IntegerField(
        label=gettext_lazy("Web-phone lines"), min_value=0, max_value=100000, initial=0
    )


def trunk_profile() -> list[tuple[str, str]]:
    """PT-17 as the checklist a customer's PBX must satisfy."""
    return [
        ("17.2", _("SIP as in RFC 3261.")),
        ("17.8", _("Signalling over UDP, port 5060.")),
        ("17.3", _("G.711 A-law (PCMA) only, 20 ms packetization (a=ptime:20); other offers are refused with 488.")),
        ("17.4", _("Supports 183 Session Progress with SDP (early media) on calls it receives.")),
        ("17.5", _("Sends the full dialled number in the initial INVITE.")),
        ("17.7", _("No IP dialing: a request without a number is refused with 484, a name or address with 403.")),
        ("17.9", _("RTP on ports above 1024.")),
        ("17.10", _("The web panel on HTTPS, port 443.")),
        ("17.11", _("Calls are authorised by the PBX's source IP address and the calling number (403 otherwise).")),
    ]


def _pbx_url(request: HttpRequest) -> str:
    return reverse("telephony:pbx_home", kwargs={"surface": request.surface.prefix})  # type: ignore[attr-defined]


def _fail(request: HttpRequest, error: DomainError) -> None:
    """A refused change is shown as a message; another organisation's object is simply not there (404)."""
    if isinstance(error, NotFoundError):
        raise Http404
    if isinstance(error, ValidationFailedError) and error.fields:
        for sentences in error.fields.values():
            for sentence in sentences:
                messages.error(request, sentence)
    else:
        messages.error(request, error.message)


@pbx_page
def pbx_home(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    trunks = list(selectors.trunk_list(ctx=ctx))
    addresses = sorted({address for trunk in trunks for address in trunk.addresses})
    bandwidth_form = BandwidthForm(request.GET if "ip_phone_lines" in request.GET else None)
    plan = None
    if bandwidth_form.is_bound and bandwidth_form.is_valid():
        plan = bandwidth_needed(**bandwidth_form.cleaned_data)
    context = {
        "account": selectors.telephony_account_of(ctx=ctx),
        "user_numbers": list(selectors.user_number_list(ctx=ctx)),
        "trunks": trunks,
        "requests": list(selectors.configuration_request_list(ctx=ctx)[:5]),
        "in_progress": list(selectors.calls_in_progress(ctx=ctx)[:20]),
        "user_number_form": UserNumberForm(),
        "business_number_form": BusinessNumberForm(addresses=addresses),
        "trunk_form": TrunkForm(),
        "configuration_form": ConfigurationForm(),
        "bandwidth_form": bandwidth_form,
        "plan": plan,
        "ip_phone_kbits": IP_PHONE_KBITS,
        "web_phone_kbits": WEB_PHONE_KBITS,
        "profile": trunk_profile(),
    }
    return render(request, "telephony/pbx_home.html", context)


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]


@require_POST
@pbx_page
def pbx_user_number_add(request: HttpRequest) -> HttpResponse:
    form = UserNumberForm(request.POST)
    if form.is_valid():
        try:
            user_number_add(ctx=request.ctx, **form.cleaned_data)  # type: ignore[attr-defined]
            messages.success(request, _("User Number added."))
        except DomainError as error:
            _fail(request, error)
    else:
        messages.error(request, _("Enter a number."))
    return redirect(_pbx_url(request))


@require_POST
@pbx_page
def pbx_business_number_add(request: HttpRequest, user_number_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    addresses = sorted({address for trunk in selectors.trunk_list(ctx=ctx) for address in trunk.addresses})
    form = BusinessNumberForm(request.POST, addresses=addresses)
    if form.is_valid():
        try:
            business_number_add(ctx=ctx, user_number_id=user_number_id, **form.cleaned_data)
            messages.success(request, _("Business number added at the end of the forwarding order."))
        except DomainError as error:
            _fail(request, error)
    else:
        messages.error(request, _("Enter a business number and a ring timeout between 1 and 300 seconds."))
    return redirect(_pbx_url(request) + f"#number-{user_number_id}")


@require_POST
@pbx_page
def pbx_hunt_reorder(request: HttpRequest, user_number_id: UUID) -> HttpResponse:
    """The drag-and-drop list (or the move buttons) post the whole order; the next call uses it."""
    ctx = request.ctx  # type: ignore[attr-defined]
    order = request.POST.getlist("order")
    move, direction = request.POST.get("move"), request.POST.get("direction")
    try:
        if move and direction in ("up", "down"):
            user_number = selectors.user_number_get(ctx=ctx, public_id=user_number_id)
            order = [str(item.public_id) for item in user_number.business_numbers.all()]
            if move in order:
                index = order.index(move)
                other = index - 1 if direction == "up" else index + 1
                if 0 <= other < len(order):
                    order[index], order[other] = order[other], order[index]
        business_numbers_reorder(ctx=ctx, user_number_id=user_number_id, order=[UUID(item) for item in order])
        messages.success(request, _("Forwarding order saved. The next call rings the numbers in this order."))
    except DomainError as error:
        _fail(request, error)
    except ValueError:
        messages.error(request, _("Invalid order."))
    return redirect(_pbx_url(request) + f"#number-{user_number_id}")


@require_POST
@pbx_page
def pbx_business_number_update(request: HttpRequest, business_number_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    try:
        seconds = int(request.POST.get("ring_seconds", ""))
    except ValueError:
        seconds = 0
    try:
        if request.POST.get("remove"):
            business_number_remove(ctx=ctx, business_number_id=business_number_id)
            messages.success(request, _("Business number removed."))
        else:
            business_number_update(ctx=ctx, business_number_id=business_number_id, ring_seconds=seconds)
            messages.success(request, _("Ring timeout saved."))
    except DomainError as error:
        _fail(request, error)
    return redirect(_pbx_url(request))


@require_POST
@pbx_page
def pbx_trunk_add(request: HttpRequest) -> HttpResponse:
    form = TrunkForm(request.POST)
    if form.is_valid():
        try:
            trunk_create(
                ctx=request.ctx,  # type: ignore[attr-defined]
                name=form.cleaned_data["name"],
                addresses=_split(form.cleaned_data["addresses"]),
                calling_numbers=_split(form.cleaned_data["calling_numbers"]),
            )
            messages.success(request, _("Trunk registered."))
        except DomainError as error:
            _fail(request, error)
    else:
        messages.error(request, _("Give the trunk a name, its addresses and its calling numbers."))
    return redirect(_pbx_url(request) + "#trunks")


@require_POST
@pbx_page
def pbx_configuration_request(request: HttpRequest) -> HttpResponse:
    form = ConfigurationForm(request.POST)
    if form.is_valid():
        configuration_request_open(ctx=request.ctx, details=form.cleaned_data["details"])  # type: ignore[attr-defined]
        messages.success(
            request, _("Request sent. Its deadline is set in working days once we have all the information.")
        )
    return redirect(_pbx_url(request) + "#configuration")


PERIODS = {"1": 1, "7": 7, "30": 30}


@pbx_page
def pbx_statistics(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    group = "hour" if request.GET.get("group") == "hour" else "day"
    days = PERIODS.get(request.GET.get("days", ""), 1 if group == "hour" else 7)
    end = clock.now()
    start = end - timedelta(days=days)
    stats = selectors.call_statistics(ctx=ctx, start=start, end=end, group=group)
    peak = max([tally.calls for _label, tally in stats.buckets] + [1])
    width = 760
    slot = width / max(1, len(stats.buckets))
    bars = []
    for index, (label, tally) in enumerate(stats.buckets):
        answered = 160 * tally.answered / peak
        unanswered = 160 * (tally.calls - tally.answered) / peak
        bars.append(
            {
                "label": label,
                "tally": tally,
                "x": round(index * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "answered_y": round(180 - answered, 1),
                "answered_height": round(answered, 1),
                "other_y": round(180 - answered - unanswered, 1),
                "other_height": round(unanswered, 1),
                "tick": label[-5:] if group == "hour" else label[5:],
                "show_tick": len(stats.buckets) <= 10 or index % max(1, len(stats.buckets) // 8) == 0,
            }
        )
    return render(
        request,
        "telephony/pbx_statistics.html",
        {
            "stats": stats,
            "bars": bars,
            "peak": peak,
            "group": group,
            "days": str(days),
            "start": start,
            "end": end,
            "chart_width": width,
        },
    )


@pbx_page
def pbx_calls_csv(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    days = PERIODS.get(request.GET.get("days", ""), 7)
    end = clock.now()
    calls = selectors.call_list(ctx=ctx, start=end - timedelta(days=days), end=end)
    response = HttpResponse(selectors.calls_csv(calls), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="calls.csv"'
    return response
