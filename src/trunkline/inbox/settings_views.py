"""Messaging settings of a customer admin at /app/channels/: channels, canned replies, outbound webhooks and their
delivery log. Every write goes through a service; another organisation's object is a 404 (PT-22)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trunkline.channels import providers
from trunkline.channels.services import channel_create, channel_disable, channel_enable, channel_update
from trunkline.core.errors import DomainError, NotFoundError
from trunkline.inbox import selectors
from trunkline.inbox.forms import CannedReplyForm, ChannelForm, WebhookForm
from trunkline.inbox.pages import surface_required
from trunkline.inbox.services.canned import canned_reply_create, canned_reply_delete, canned_reply_update
from trunkline.inbox.services.webhooks import webhook_endpoint_create, webhook_endpoint_disable


def _own(getter: Callable[..., Any], request: HttpRequest, public_id: UUID) -> Any:
    """The acting organisation's object, or the 404 page (another tenant's looks like a missing one)."""
    try:
        return getter(ctx=request.ctx, public_id=public_id)  # type: ignore[attr-defined]
    except NotFoundError:
        raise Http404 from None


def _forbidden(request: HttpRequest, scope: str) -> HttpResponse | None:
    if not request.ctx.has_scope(scope):  # type: ignore[attr-defined]
        return render(request, "web/forbidden.html", status=403)
    return None


# --- channels ----------------------------------------------------------------------------------------------------


@surface_required
def channels(request: HttpRequest) -> HttpResponse:
    if refused := _forbidden(request, "channels:manage"):
        return refused
    ctx = request.ctx  # type: ignore[attr-defined]
    return render(
        request,
        "inbox/settings/channels.html",
        {
            "channels": list(selectors.channel_list(ctx=ctx)),
            "providers": providers.connectable(),
            "section": "channels",
        },
    )


def _channel_values(form: ChannelForm) -> dict[str, Any]:
    data = form.cleaned_data
    placed = providers.split_values(form.provider, data)
    values: dict[str, Any] = {
        name: data[name]
        for name in (
            "name",
            "sender",
            "identification_name",
            "identification_contact",
            "rate_per_second",
            "segment_price",
            "expected_daily_segments",
        )
        if name in form.fields  # the provider's description may hide some (an email channel: the SMS-only ones)
    }
    values["name"] = values["name"].strip()
    values["sender"] = values["sender"].strip()
    values.update(
        account_id=placed.get("account_id", ""),
        api_base_url=placed.get("api_base_url", ""),
        settings=placed["settings"],
        credentials=placed["credentials"],
    )
    return values


@surface_required
def channel_new(request: HttpRequest) -> HttpResponse:
    if refused := _forbidden(request, "channels:manage"):
        return refused
    ctx = request.ctx  # type: ignore[attr-defined]
    choices = providers.connectable()
    provider = request.POST.get("provider") or request.GET.get("provider") or ""
    if len(choices) == 1 and not provider:
        provider = choices[0][0]
    if provider not in dict(choices):
        return render(request, "inbox/settings/channel_provider.html", {"providers": choices, "section": "channels"})
    form = ChannelForm(request.POST or None, provider=provider)
    if request.method == "POST" and form.is_valid():
        values = _channel_values(form)
        try:
            channel = channel_create(
                ctx=ctx,
                provider=provider,
                kind=form.description.kind,
                append_identification=form.cleaned_data.get("append_identification", True),
                throttle_over_expected=form.cleaned_data["throttle_over_expected"],
                throttled_rate_per_second=form.cleaned_data["throttled_rate_per_second"],
                **values,
            )
        except (DomainError, ValidationError) as error:
            form.add_service_errors(error)
        else:
            flash.success(request, _("The channel %(name)s is connected.") % {"name": channel.name})
            return redirect("inbox:settings_channel", surface="app", channel_id=channel.public_id)
    return render(
        request,
        "inbox/settings/channel_form.html",
        {
            "form": form,
            "provider_label": dict(choices)[provider],
            "provider": provider,
            "channel": None,
            "section": "channels",
        },
        status=422 if form.errors else 200,
    )


@surface_required
def channel_edit(request: HttpRequest, channel_id: UUID) -> HttpResponse:
    if refused := _forbidden(request, "channels:manage"):
        return refused
    ctx = request.ctx  # type: ignore[attr-defined]
    channel = _own(selectors.channel_settings_get, request, channel_id)
    form = ChannelForm(request.POST or None, provider=channel.provider, channel=channel)
    if request.method == "POST" and form.is_valid():
        values = _channel_values(form)
        try:
            channel_update(
                ctx=ctx,
                channel_id=channel.public_id,
                append_identification=form.cleaned_data.get("append_identification"),
                throttle_over_expected=form.cleaned_data["throttle_over_expected"],
                throttled_rate_per_second=form.cleaned_data["throttled_rate_per_second"],
                **values,
            )
        except (DomainError, ValidationError) as error:
            form.add_service_errors(error)
        else:
            flash.success(request, _("The channel %(name)s is saved.") % {"name": values["name"]})
            return redirect("inbox:settings_channel", surface="app", channel_id=channel.public_id)
    return render(
        request,
        "inbox/settings/channel_form.html",
        {
            "form": form,
            "provider_label": channel.get_provider_display(),
            "provider": channel.provider,
            "channel": channel,
            "hook_url": request.build_absolute_uri(f"/hooks/{channel.provider}/{channel.public_id}/"),
            "section": "channels",
        },
        status=422 if form.errors else 200,
    )


@surface_required
@require_POST
def channel_status(request: HttpRequest, channel_id: UUID, action: str) -> HttpResponse:
    if refused := _forbidden(request, "channels:manage"):
        return refused
    channel = _own(selectors.channel_settings_get, request, channel_id)
    if action not in ("disable", "enable"):
        raise Http404
    service = channel_disable if action == "disable" else channel_enable
    service(ctx=request.ctx, channel_id=channel.public_id)  # type: ignore[attr-defined]
    if action == "disable":
        flash.success(request, _("The channel %(name)s is disabled.") % {"name": channel.name})
    else:
        flash.success(request, _("The channel %(name)s is active again.") % {"name": channel.name})
    return redirect("inbox:settings_channel", surface="app", channel_id=channel.public_id)


# --- canned replies ----------------------------------------------------------------------------------------------


@surface_required
def canned_replies(request: HttpRequest) -> HttpResponse:
    if refused := _forbidden(request, "inbox:read"):
        return refused
    ctx = request.ctx  # type: ignore[attr-defined]
    can_edit = ctx.has_scope("inbox:reply")
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST" and can_edit and form.is_valid():
        try:
            reply = canned_reply_create(ctx=ctx, **form.cleaned_data)
        except DomainError as error:
            _field_errors(form, error)
        else:
            flash.success(request, _("The canned reply /%(shortcut)s is saved.") % {"shortcut": reply.shortcut})
            return redirect("inbox:settings_canned", surface="app")
    return render(
        request,
        "inbox/settings/canned_replies.html",
        {
            "replies": list(selectors.canned_reply_list(ctx=ctx)),
            "form": form,
            "can_edit": can_edit,
            "section": "canned",
        },
        status=422 if form.errors else 200,
    )


def _field_errors(form: Any, error: DomainError) -> None:
    fields = getattr(error, "fields", None) or {}
    for name, errors in fields.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, message)
    if not fields:
        form.add_error(None, error.message)


@surface_required
def canned_reply_edit(request: HttpRequest, canned_reply_id: UUID) -> HttpResponse:
    if refused := _forbidden(request, "inbox:reply"):
        return refused
    ctx = request.ctx  # type: ignore[attr-defined]
    reply = _own(selectors.canned_reply_get, request, canned_reply_id)
    form = CannedReplyForm(request.POST or None, initial={"shortcut": reply.shortcut, "body": reply.body})
    if request.method == "POST" and form.is_valid():
        try:
            canned_reply_update(ctx=ctx, canned_reply_id=reply.public_id, **form.cleaned_data)
        except DomainError as error:
            _field_errors(form, error)
        else:
            flash.success(request, _("The canned reply /%(shortcut)s is saved.") % form.cleaned_data)
            return redirect("inbox:settings_canned", surface="app")
    return render(
        request,
        "inbox/settings/canned_reply_form.html",
        {"reply": reply, "form": form, "section": "canned"},
        status=422 if form.errors else 200,
    )


@surface_required
@require_POST
def canned_reply_remove(request: HttpRequest, canned_reply_id: UUID) -> HttpResponse:
    if refused := _forbidden(request, "inbox:reply"):
        return refused
    reply = _own(selectors.canned_reply_get, request, canned_reply_id)
    canned_reply_delete(ctx=request.ctx, canned_reply_id=reply.public_id)  # type: ignore[attr-defined]
    flash.success(request, _("The canned reply /%(shortcut)s is deleted.") % {"shortcut": reply.shortcut})
    return redirect("inbox:settings_canned", surface="app")


# --- outbound webhooks -------------------------------------------------------------------------------------------


@surface_required
def webhooks(request: HttpRequest) -> HttpResponse:
    if refused := _forbidden(request, "channels:manage"):
        return refused
    ctx = request.ctx  # type: ignore[attr-defined]
    form = WebhookForm(request.POST or None)
    created_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _endpoint, created_secret = webhook_endpoint_create(
                ctx=ctx, url=form.cleaned_data["url"], events=form.cleaned_data["events"]
            )
        except DomainError as error:
            _field_errors(form, error)
        else:
            form = WebhookForm()
    return render(
        request,
        "inbox/settings/webhooks.html",
        {
            "endpoints": list(selectors.webhook_endpoint_list(ctx=ctx).order_by("-is_active", "-created_at")),
            "form": form,
            "created_secret": created_secret,
            "section": "webhooks",
        },
        status=422 if form.errors else 200,
    )


@surface_required
def webhook_detail(request: HttpRequest, webhook_id: UUID) -> HttpResponse:
    if refused := _forbidden(request, "channels:manage"):
        return refused
    ctx = request.ctx  # type: ignore[attr-defined]
    endpoint = _own(selectors.webhook_endpoint_get, request, webhook_id)
    return render(
        request,
        "inbox/settings/webhook_detail.html",
        {
            "endpoint": endpoint,
            "deliveries": list(selectors.webhook_delivery_list(ctx=ctx, endpoint_id=endpoint.public_id)[:100]),
            "section": "webhooks",
        },
    )


@surface_required
@require_POST
def webhook_disable(request: HttpRequest, webhook_id: UUID) -> HttpResponse:
    if refused := _forbidden(request, "channels:manage"):
        return refused
    endpoint = _own(selectors.webhook_endpoint_get, request, webhook_id)
    webhook_endpoint_disable(ctx=request.ctx, webhook_id=endpoint.public_id)  # type: ignore[attr-defined]
    flash.success(request, _("Events are no longer sent to %(url)s.") % {"url": endpoint.url})
    return redirect("inbox:settings_webhook", surface="app", webhook_id=endpoint.public_id)
