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
from trunkline.telephony.domain.hours import format_day
from trunkline.telephony.models import AfterHours, AssetKind, AssetOrigin, AssetStatus, BusinessHours
from trunkline.telephony.services import (
    business_number_add,
    business_number_remove,
    business_number_update,
    business_numbers_reorder,
    configuration_request_open,
    trunk_create,
    user_number_add,
    user_number_set_hours,
    user_number_set_media,
    voice_asset_order,
    voice_asset_text_approve,
    voice_asset_text_reject,
    voice_asset_upload,
)
from trunkline.telephony.services.assets import MAX_UPLOAD_BYTES
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


WEEKDAY_NAMES = [
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
]


class BusinessHoursForm(forms.Form):
    is_enabled = forms.BooleanField(label=gettext_lazy("Route by business hours"), required=False)
    day_0 = forms.CharField(label=WEEKDAY_NAMES[0], required=False, max_length=200)
    day_1 = forms.CharField(label=WEEKDAY_NAMES[1], required=False, max_length=200)
    day_2 = forms.CharField(label=WEEKDAY_NAMES[2], required=False, max_length=200)
    day_3 = forms.CharField(label=WEEKDAY_NAMES[3], required=False, max_length=200)
    day_4 = forms.CharField(label=WEEKDAY_NAMES[4], required=False, max_length=200)
    day_5 = forms.CharField(label=WEEKDAY_NAMES[5], required=False, max_length=200)
    day_6 = forms.CharField(label=WEEKDAY_NAMES[6], required=False, max_length=200)
    closed_on_holidays = forms.BooleanField(
        label=gettext_lazy("Closed on Bulgarian public holidays"), required=False, initial=True
    )
    after_hours = forms.ChoiceField(label=gettext_lazy("Outside business hours"), choices=AfterHours.choices)
    after_hours_numbers = forms.CharField(
        label=gettext_lazy("After-hours numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "One per line, in the order to ring them: the number, then optionally the ring seconds and your PBX "
            "address (otherwise the carrier)."
        ),
    )
    message = forms.ChoiceField(label=gettext_lazy("Voice message"), required=False)

    def __init__(self, *args: Any, greetings: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        message = self.fields["message"]
        assert isinstance(message, forms.ChoiceField)
        message.choices = [("", _("None")), *greetings]
        for index in range(7):
            self.fields[f"day_{index}"].widget.attrs.update(placeholder=_("closed"))

    @staticmethod
    def initial_from(hours: BusinessHours | None) -> dict[str, Any]:
        if hours is None:
            return {f"day_{index}": "09:00-18:00" if index < 5 else "" for index in range(7)} | {
                "closed_on_holidays": True,
                "after_hours": AfterHours.BUSY,
            }
        numbers = "\n".join(
            f"{item['number']} {item['ring_seconds']} {item['destination']}".strip()
            for item in hours.after_hours_numbers
        )
        return {f"day_{index}": format_day(day) for index, day in enumerate(hours.weekly)} | {
            "is_enabled": hours.is_enabled,
            "closed_on_holidays": hours.closed_on_holidays,
            "after_hours": hours.after_hours,
            "after_hours_numbers": numbers,
            "message": str(hours.message.public_id) if hours.message else "",
        }


def _after_hours_lines(text: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        parts = line.replace(",", " ").split()
        seconds = next((int(part) for part in parts[1:] if part.isdigit()), None)
        destination = next((part for part in parts[1:] if not part.isdigit()), "")
        items.append({"number": parts[0], "ring_seconds": seconds, "destination": destination})
    return items


class VoiceOrderForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What"), choices=AssetKind.choices)
    origin = forms.ChoiceField(label=gettext_lazy("Recording"), choices=AssetOrigin.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    text = forms.CharField(
        label=gettext_lazy("Text to record"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Only for a message the operator records; you approve the final text first."),
    )


class VoiceUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("WAV file"),
        help_text=gettext_lazy("PCM or A-law WAV, up to 20 MB and 10 minutes; converted to 8 kHz A-law."),
        widget=forms.ClearableFileInput(attrs={"accept": ".wav,audio/wav,audio/x-wav"}),
    )
    rights_declaration = forms.CharField(
        label=gettext_lazy("Rights declaration"),
        max_length=300,
        help_text=gettext_lazy("Who holds the rights to this audio, and that you may use it in calls."),
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
    user_numbers = list(selectors.user_number_list(ctx=ctx).select_related("hours__message"))
    greetings = [
        (str(asset.public_id), asset.title)
        for asset in selectors.voice_asset_list(ctx=ctx).filter(kind=AssetKind.GREETING)
    ]
    for user_number in user_numbers:
        hours = getattr(user_number, "hours", None)
        user_number.hours_form = BusinessHoursForm(  # type: ignore[attr-defined]
            initial=BusinessHoursForm.initial_from(hours), greetings=greetings, prefix=f"h-{user_number.public_id}"
        )
        user_number.hours_record = hours  # type: ignore[attr-defined]
    context = {
        "account": selectors.telephony_account_of(ctx=ctx),
        "user_numbers": user_numbers,
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


@require_POST
@pbx_page
def pbx_business_hours(request: HttpRequest, user_number_id: UUID) -> HttpResponse:
    """Save a User Number's business hours; the next call follows them."""
    ctx = request.ctx  # type: ignore[attr-defined]
    greetings = [
        (str(asset.public_id), asset.title)
        for asset in selectors.voice_asset_list(ctx=ctx).filter(kind=AssetKind.GREETING)
    ]
    form = BusinessHoursForm(request.POST, greetings=greetings, prefix=f"h-{user_number_id}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            user_number_set_hours(
                ctx=ctx,
                user_number_id=user_number_id,
                is_enabled=data["is_enabled"],
                weekly=[data[f"day_{index}"] for index in range(7)],
                closed_on_holidays=data["closed_on_holidays"],
                after_hours=data["after_hours"],
                after_hours_numbers=_after_hours_lines(data["after_hours_numbers"]),
                message_id=UUID(data["message"]) if data["message"] else None,
            )
            messages.success(request, _("Business hours saved. The next call follows them."))
        except DomainError as error:
            _fail(request, error)
    else:
        messages.error(request, _("Check the business hours."))
    return redirect(_pbx_url(request) + f"#number-{user_number_id}")


def _voice_url(request: HttpRequest) -> str:
    return reverse("telephony:pbx_voice", kwargs={"surface": request.surface.prefix})  # type: ignore[attr-defined]


WORKFLOW = [
    ("ordered", gettext_lazy("Ordered")),
    ("paid", gettext_lazy("Paid")),
    ("acknowledged", gettext_lazy("Acknowledged")),
    ("file", gettext_lazy("Format checked")),
    ("ready", gettext_lazy("Playing")),
]


def _steps(asset: Any) -> list[tuple[str, bool]]:
    done = {
        "ordered": True,
        "paid": asset.is_paid,
        "acknowledged": asset.is_acknowledged,
        "file": bool(asset.file_name),
        "ready": asset.status == AssetStatus.READY,
    }
    return [(str(label), done[key]) for key, label in WORKFLOW]


@pbx_page
def pbx_voice(request: HttpRequest) -> HttpResponse:
    """Music and voice messages: order, upload with the rights declaration, the workflow's state, the operator's
    proposed texts to approve or reject, and which User Number plays which asset."""
    ctx = request.ctx  # type: ignore[attr-defined]
    assets = list(selectors.voice_asset_list(ctx=ctx))
    usage = selectors.asset_usage(ctx=ctx)
    for asset in assets:
        asset.steps = _steps(asset)  # type: ignore[attr-defined]
        asset.plays = usage.get(asset.pk, [])  # type: ignore[attr-defined]
    return render(
        request,
        "telephony/pbx_voice.html",
        {
            "assets": assets,
            "user_numbers": list(selectors.user_number_list(ctx=ctx)),
            "greetings": [asset for asset in assets if asset.kind == AssetKind.GREETING],
            "music": [asset for asset in assets if asset.kind == AssetKind.MUSIC],
            "order_form": VoiceOrderForm(),
            "upload_form": VoiceUploadForm(),
        },
    )


@require_POST
@pbx_page
def pbx_voice_order(request: HttpRequest) -> HttpResponse:
    form = VoiceOrderForm(request.POST)
    if form.is_valid():
        try:
            voice_asset_order(ctx=request.ctx, **form.cleaned_data)  # type: ignore[attr-defined]
            messages.success(request, _("Ordered. It plays once paid, acknowledged by us and its file is checked."))
        except DomainError as error:
            _fail(request, error)
    else:
        messages.error(request, _("Choose what to order and give it a title."))
    return redirect(_voice_url(request))


@require_POST
@pbx_page
def pbx_voice_upload(request: HttpRequest, asset_id: UUID) -> HttpResponse:
    form = VoiceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for field, sentences in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for sentence in sentences:
                messages.error(request, f"{label}: {sentence}" if label else str(sentence))
        return redirect(_voice_url(request) + f"#asset-{asset_id}")
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD_BYTES:
        messages.error(request, _("The file is larger than 20 MB."))
        return redirect(_voice_url(request) + f"#asset-{asset_id}")
    try:
        asset = voice_asset_upload(
            ctx=request.ctx,  # type: ignore[attr-defined]
            asset_id=asset_id,
            data=upload.read(),
            rights_declaration=form.cleaned_data["rights_declaration"],
        )
        report = asset.format_report
        messages.success(
            request,
            _("File accepted: %(seconds)s s, %(rate)s Hz, %(channels)s channel(s); converted to 8 kHz A-law.")
            % {"seconds": report.get("seconds"), "rate": report.get("rate"), "channels": report.get("channels")},
        )
    except DomainError as error:
        _fail(request, error)
    return redirect(_voice_url(request) + f"#asset-{asset_id}")


@require_POST
@pbx_page
def pbx_voice_text(request: HttpRequest, asset_id: UUID) -> HttpResponse:
    """Approve the operator's proposed text, or reject it with remarks (PT-21)."""
    ctx = request.ctx  # type: ignore[attr-defined]
    try:
        if request.POST.get("decision") == "approve":
            voice_asset_text_approve(ctx=ctx, asset_id=asset_id)
            messages.success(request, _("Text approved: we will record it."))
        else:
            voice_asset_text_reject(ctx=ctx, asset_id=asset_id, feedback=request.POST.get("feedback", ""))
            messages.success(request, _("Text rejected: we will propose another."))
    except DomainError as error:
        _fail(request, error)
    return redirect(_voice_url(request) + f"#asset-{asset_id}")


@require_POST
@pbx_page
def pbx_voice_assign(request: HttpRequest, user_number_id: UUID) -> HttpResponse:
    """Choose the greeting and the music of one User Number."""
    try:
        greeting = request.POST.get("greeting") or None
        music = request.POST.get("music") or None
        user_number_set_media(
            ctx=request.ctx,  # type: ignore[attr-defined]
            user_number_id=user_number_id,
            greeting_id=UUID(greeting) if greeting else None,
            music_id=UUID(music) if music else None,
        )
        messages.success(request, _("Saved. Only assets whose workflow is complete play."))
    except DomainError as error:
        _fail(request, error)
    except ValueError:
        messages.error(request, _("Invalid choice."))
    return redirect(_voice_url(request) + "#where")
