"""The PBX in the back office, /ops/pbx/: carriers, every customer's trunks, configuration requests (marking the
information complete starts the PT-15.7 deadline; then done), and the voice-asset workflow (payment, acknowledgement,
the text to record and its approval, the recording with its format check, rights claims that stop playback).

Reading needs ``ops:read``; every change goes through the telephony services, which check ``ops:manage``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trunkline.commerce.views.ops import can_manage, forbidden, ops_page, staff_ctx
from trunkline.core.errors import DomainError, ValidationFailedError
from trunkline.telephony import selectors
from trunkline.telephony.models import AssetOrigin, AssetStatus, ConfigurationStatus
from trunkline.telephony.services import (
    carrier_create,
    configuration_request_complete,
    configuration_request_information_complete,
    voice_asset_acknowledge,
    voice_asset_claim_rights,
    voice_asset_pay,
    voice_asset_text_propose,
    voice_asset_upload,
)
from trunkline.telephony.services.assets import MAX_UPLOAD_BYTES


class CarrierForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    addresses = forms.CharField(
        label=gettext_lazy("Source IP addresses"), help_text=gettext_lazy("Separate several with commas.")
    )
    gateway = forms.CharField(
        label=gettext_lazy("Gateway address"),
        required=False,
        help_text=gettext_lazy("Calls to the public network go here; leave empty for an inbound-only carrier."),
    )


def _url(request: HttpRequest, anchor: str = "") -> str:
    return reverse("telephony:ops_pbx") + (f"?{request.GET.urlencode()}" if request.GET else "") + anchor


def _refused(request: HttpRequest, error: DomainError) -> None:
    if isinstance(error, ValidationFailedError) and error.fields:
        for sentences in error.fields.values():
            for sentence in sentences:
                messages.error(request, sentence)
    else:
        messages.error(request, error.message)


@ops_page()
def ops_pbx(request: HttpRequest) -> HttpResponse:
    ctx = staff_ctx(request)
    asset_status = request.GET.get("assets", "open")
    assets = selectors.voice_asset_list_all(ctx=ctx)
    if asset_status == "open":
        assets = assets.exclude(status__in=[AssetStatus.READY, AssetStatus.STOPPED, AssetStatus.REFUSED])
    elif asset_status in AssetStatus.values:
        assets = assets.filter(status=asset_status)
    requests = selectors.configuration_request_list_all(ctx=ctx)
    if request.GET.get("requests", "open") == "open":
        requests = requests.exclude(status=ConfigurationStatus.DONE)
    return render(
        request,
        "telephony/ops_pbx.html",
        {
            "can_manage": can_manage(request),
            "carriers": list(selectors.carrier_list(ctx=ctx)),
            "trunks": list(selectors.trunk_list_all(ctx=ctx)[:200]),
            "requests": list(requests[:100]),
            "assets": list(assets[:100]),
            "asset_filter": asset_status,
            "asset_statuses": AssetStatus.choices,
            "request_filter": request.GET.get("requests", "open"),
            "carrier_form": CarrierForm(),
            "operator_origin": AssetOrigin.OPERATOR,
        },
    )


def _managed(view: Any) -> Any:
    """A POST of the page: staff without ``ops:manage`` get the 403 page; a refusal becomes a message."""

    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_manage(request):
            return forbidden(request)
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            if error.http_status == 404:
                raise
            _refused(request, error)
            return redirect(_url(request))

    run.__name__ = view.__name__
    run.__doc__ = view.__doc__
    return require_POST(ops_page()(run))


@_managed
def ops_carrier_add(request: HttpRequest) -> HttpResponse:
    form = CarrierForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the carrier a name and its addresses."))
        return redirect(_url(request, "#carriers"))
    addresses = [item.strip() for item in form.cleaned_data["addresses"].split(",") if item.strip()]
    carrier_create(
        ctx=staff_ctx(request),
        name=form.cleaned_data["name"],
        addresses=addresses,
        gateway=form.cleaned_data["gateway"].strip(),
    )
    messages.success(request, _("Carrier added: calls from its addresses reach User Numbers now."))
    return redirect(_url(request, "#carriers"))


@_managed
def ops_configuration(request: HttpRequest, request_id: UUID) -> HttpResponse:
    """Mark the information complete (the deadline starts) or the configuration done."""
    ctx = staff_ctx(request)
    if request.POST.get("step") == "done":
        configuration_request_complete(ctx=ctx, request_id=request_id)
        messages.success(request, _("Configuration marked done."))
    else:
        item = configuration_request_information_complete(ctx=ctx, request_id=request_id)
        messages.success(
            request,
            _("Information complete: due on %(date)s (%(days)s working days).")
            % {"date": item.due_on.isoformat() if item.due_on else "", "days": item.working_days},
        )
    return redirect(_url(request, "#configuration"))


@_managed
def ops_asset(request: HttpRequest, asset_id: UUID) -> HttpResponse:
    """One step of the voice-asset workflow: paid, acknowledged, the proposed text, the recording, a rights claim."""
    ctx = staff_ctx(request)
    step = request.POST.get("step")
    anchor = f"#asset-{asset_id}"
    if step == "paid":
        voice_asset_pay(ctx=ctx, asset_id=asset_id)
        messages.success(request, _("Payment recorded."))
    elif step == "acknowledged":
        voice_asset_acknowledge(ctx=ctx, asset_id=asset_id)
        messages.success(request, _("Order acknowledged."))
    elif step == "text":
        voice_asset_text_propose(ctx=ctx, asset_id=asset_id, text=request.POST.get("text", ""))
        messages.success(request, _("Text sent to the customer for approval."))
    elif step == "recording":
        upload = request.FILES.get("file")
        if upload is None or upload.size is None or upload.size > MAX_UPLOAD_BYTES:
            messages.error(request, _("Choose a WAV file of at most 20 MB."))
            return redirect(_url(request, anchor))
        asset = voice_asset_upload(ctx=ctx, asset_id=asset_id, data=upload.read())
        report = asset.format_report
        messages.success(
            request,
            _("Recording accepted: %(seconds)s s at %(rate)s Hz, converted to 8 kHz A-law.")
            % {"seconds": report.get("seconds"), "rate": report.get("rate")},
        )
    elif step == "claim":
        voice_asset_claim_rights(ctx=ctx, asset_id=asset_id, reason=request.POST.get("reason", ""))
        messages.success(request, _("Playback stopped, in the next calls and in calls in progress."))
    else:
        messages.error(request, _("Unknown step."))
    return redirect(_url(request, anchor))


urlpatterns: list[URLPattern] = [
    path("ops/pbx/", ops_pbx, name="ops_pbx"),
    path("ops/pbx/carriers/", ops_carrier_add, name="ops_carrier_add"),
    path("ops/pbx/configuration/<uuid:request_id>/", ops_configuration, name="ops_configuration"),
    path("ops/pbx/assets/<uuid:asset_id>/", ops_asset, name="ops_asset"),
]
