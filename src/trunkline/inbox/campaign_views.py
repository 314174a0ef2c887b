"""Campaign pages: list, new campaign with CSV audience upload, preview with cost, progress and the final report."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages as flash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trunkline.core.errors import DomainError, NotFoundError
from trunkline.inbox.models import CampaignRecipient, CampaignStatus, ContactList
from trunkline.inbox.pages import surface_required
from trunkline.inbox.selectors import campaign_get, campaign_list, campaign_progress, channel_list
from trunkline.inbox.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_preview,
    campaign_resume,
    campaign_start,
    contact_import_csv,
    contact_list_create,
)


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"))
    contact_list = forms.ChoiceField(label=gettext_lazy("Contact list"), required=False)
    csv_file = forms.FileField(
        label=gettext_lazy("Or upload a CSV"), required=False, help_text=gettext_lazy("Columns: phone, name.")
    )
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    is_promotional = forms.BooleanField(label=gettext_lazy("Promotional"), required=False, initial=True)
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Empty: send when you start it."),
    )


POLLING_STATUSES = (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED, CampaignStatus.PAUSED)


def _campaign(request: HttpRequest, campaign_id: UUID) -> Any:
    try:
        return campaign_get(ctx=request.ctx, public_id=campaign_id)  # type: ignore[attr-defined]
    except NotFoundError:
        raise Http404 from None


@surface_required
def campaigns(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    if not ctx.has_scope("inbox:read"):
        return render(request, "web/forbidden.html", status=403)
    form = CampaignForm(request.POST or None, request.FILES or None)
    channel_field: Any = form.fields["channel"]
    channel_field.choices = [(str(c.public_id), str(c)) for c in channel_list(ctx=ctx)]
    lists = ContactList.objects.for_org(ctx.organization)
    list_field: Any = form.fields["contact_list"]
    list_field.choices = [("", "—"), *[(str(item.public_id), item.name) for item in lists]]
    import_errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["csv_file"]:
                contact_list = contact_list_create(ctx=ctx, name=data["name"])
                report = contact_import_csv(
                    ctx=ctx, contact_list_id=contact_list.public_id, text=data["csv_file"].read().decode("utf-8")
                )
                import_errors = report.errors
                list_id = contact_list.public_id
            elif data["contact_list"]:
                list_id = UUID(data["contact_list"])
            else:
                form.add_error("contact_list", _("Choose a list or upload a CSV."))
                raise ValueError
            scheduled: datetime | None = data["scheduled_at"]
            campaign = campaign_create(
                ctx=ctx,
                name=data["name"],
                channel_id=UUID(data["channel"]),
                contact_list_id=list_id,
                body=data["body"],
                is_promotional=data["is_promotional"],
                scheduled_at=scheduled,
            )
            for row, error in import_errors:
                flash.warning(request, _("Row %(row)s: %(error)s") % {"row": row, "error": error})
            return redirect("inbox:campaign", surface="app", campaign_id=campaign.public_id)
        except DomainError as error:
            form.add_error(None, error.message)
        except ValueError:
            pass
    return render(
        request,
        "inbox/campaigns.html",
        {"campaigns": campaign_list(ctx=ctx)[:100], "form": form, "can_send": ctx.has_scope("campaigns:send")},
    )


def _detail_context(request: HttpRequest, campaign: Any) -> dict[str, Any]:
    ctx = request.ctx  # type: ignore[attr-defined]
    return {
        "campaign": campaign,
        "progress": campaign_progress(campaign=campaign),
        "preview": campaign_preview(ctx=ctx, campaign_id=campaign.public_id),
        "recipients": CampaignRecipient.objects.filter(campaign=campaign).order_by("-updated_at", "id")[:50],
        "can_send": ctx.has_scope("campaigns:send"),
        # the page asks for fresh progress only while something can still change; a finished or cancelled campaign
        # answers its last partial without the trigger, so the polling stops
        "polling": campaign.status in POLLING_STATUSES,
    }


@surface_required
def campaign_detail(request: HttpRequest, campaign_id: UUID) -> HttpResponse:
    return render(request, "inbox/campaign_detail.html", _detail_context(request, _campaign(request, campaign_id)))


@surface_required
def campaign_progress_partial(request: HttpRequest, campaign_id: UUID) -> HttpResponse:
    return render(request, "inbox/_campaign_progress.html", _detail_context(request, _campaign(request, campaign_id)))


ACTIONS = {"start": campaign_start, "pause": campaign_pause, "resume": campaign_resume, "cancel": campaign_cancel}


@surface_required
@require_POST
def campaign_action(request: HttpRequest, campaign_id: UUID, action: str) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    if action not in ACTIONS:
        raise Http404
    try:
        ACTIONS[action](ctx=request.ctx, campaign_id=campaign.public_id)  # type: ignore[attr-defined]
    except DomainError as error:
        flash.error(request, error.message)
    return redirect("inbox:campaign", surface="app", campaign_id=campaign.public_id)
