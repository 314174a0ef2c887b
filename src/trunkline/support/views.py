"""Pages of the support desk: the customer's tickets in /app/support/, the staff queue, reports and maintenance in
/ops/support/, and the public status page at /status/."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trunkline.accounts.surfaces import View, operator_page, surface_page
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.errors import DomainError, NotFoundError, ValidationFailedError
from trunkline.support.domain.bulgaria import bulgarian_holiday_name, bulgarian_holidays
from trunkline.support.domain.sla import Milestone
from trunkline.support.errors import NotRepresentativeError
from trunkline.support.forms import (
    AssignForm,
    CalendarDayForm,
    MaintenanceCloseForm,
    MaintenanceForm,
    PolicyForm,
    PriorityForm,
    ReplyForm,
    RepresentativeForm,
    StaffReplyForm,
    StatusForm,
    TicketForm,
)
from trunkline.support.models import (
    BusinessCalendarRecord,
    MaintenanceNotice,
    Priority,
    Representative,
    SlaTarget,
    SlaWarningThreshold,
    SupportPolicy,
    Ticket,
    TicketAttachment,
    TicketStatus,
)
from trunkline.support.models.tickets import PRIORITY_GUIDANCE
from trunkline.support.selectors import (
    compliance_report,
    compliance_totals,
    sla_alerts,
    staff_queue,
    status_page,
    ticket_get,
    ticket_list,
    ticket_thread,
)
from trunkline.support.services import (
    AttachmentData,
    calendar_day_add,
    calendar_day_remove,
    incident_report,
    maintenance_cancel,
    maintenance_schedule,
    representative_add,
    representative_deactivate,
    representatives_sync_from_agreement,
    sla_target_update,
    support_policy_update,
    ticket_assign,
    ticket_note,
    ticket_open,
    ticket_reply,
    ticket_set_priority,
    ticket_set_status,
    ticket_staff_reply,
)
from trunkline.support.services.tickets import representative_of, ticket_business_time_used
from trunkline.tenancy.models import Membership, Organization
from trunkline.terms.gate import terms_required

PAGE_SIZE = 25
SOFIA = "Europe/Sofia"


def customer_page(view: View) -> View:
    """A page of /app/support/: the customer surface, behind its terms gate."""

    @wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        surface = request.surface  # type: ignore[attr-defined]
        if surface.prefix != "app":
            raise Http404
        return terms_required(surface.terms_kind)(view)(request, *args, **kwargs)

    return surface_page(gated)


def _table(request: HttpRequest, queryset: Any) -> dict[str, Any]:
    """What includes/pagination.html reads: the page and the query string without the page number."""
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")), "querystring": query.urlencode()}


def _ctx(request: HttpRequest) -> RequestContext:
    return request.ctx  # type: ignore[attr-defined]


def _attachments(request: HttpRequest) -> list[AttachmentData]:
    return [
        AttachmentData(name=f.name or "attachment", content_type=f.content_type or "", content=f.read())
        for f in request.FILES.getlist("attachments")
    ]


def _form_errors(form: Any, error: DomainError) -> None:
    if isinstance(error, ValidationFailedError) and error.fields:
        for name, sentences in error.fields.items():
            for sentence in sentences:
                form.add_error(name if name in form.fields else None, sentence)
        if not any(name in form.fields for name in error.fields):
            form.add_error(None, error.message)
    else:
        form.add_error(None, error.message)


def _ticket(ctx: RequestContext, ticket_id: UUID) -> Ticket:
    try:
        return ticket_get(ctx=ctx, public_id=ticket_id)
    except NotFoundError:
        raise Http404 from None


def _timeline(ticket: Ticket) -> list[dict[str, Any]]:
    """The SLA timeline: each milestone's target, due time, state and share of the budget used."""
    at = clock.now()
    rows = []
    for deadline in ticket.deadlines.all():
        milestone = Milestone(deadline.milestone)
        used = ticket_business_time_used(ticket, milestone, at)
        if used is not None:
            minutes = int(used.total_seconds() // 60)
            used = _("%(hours)s h %(minutes)s min") % {"hours": minutes // 60, "minutes": f"{minutes % 60:02d}"}
        state = "running"
        if deadline.met_at is not None:
            state = "breached" if deadline.breached_at else "met"
        elif deadline.breached_at is not None:
            state = "breached"
        elif ticket.complete_at is None:
            state = "not_started"
        elif deadline.due_at is None:
            state = "paused"
        elif deadline.next_warning_at is None and deadline.warned_at is not None:
            state = "warning"
        rows.append(
            {
                "milestone": milestone,
                "label": {
                    Milestone.RESPONSE: _("Response"),
                    Milestone.RESTORATION: _("Temporary restoration"),
                    Milestone.SOLUTION: _("Final solution"),
                }[milestone],
                "deadline": deadline,
                "state": state,
                "used": used,
            }
        )
    return rows


def _detail_context(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    ctx = _ctx(request)
    return {
        "ticket": ticket,
        "thread": ticket_thread(ctx=ctx, ticket=ticket),
        "timeline": _timeline(ticket),
        "events": ticket.events.order_by("at", "id"),
        "sofia": SOFIA,
    }


# ---- customer pages ------------------------------------------------------------------------------------------------


@customer_page
def ticket_index(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    try:
        representative_of(ctx)
        is_representative = True
    except DomainError:
        is_representative = False
    tickets = ticket_list(ctx=ctx).order_by("-received_at")
    return render(
        request,
        "support/ticket_index.html",
        {"table": _table(request, tickets), "is_representative": is_representative, "sofia": SOFIA},
    )


@customer_page
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    refused = None
    try:
        representative_of(ctx)
    except NotRepresentativeError as error:
        refused = error.message
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and refused is None and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = ticket_open(
                ctx=ctx,
                subject=data["subject"],
                description=data["description"],
                priority=data["priority"],
                service_code=data["service"] or None,
                escalation_step=data["escalation_step"],
                attachments=_attachments(request),
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Your ticket %(reference)s is registered.") % {"reference": ticket.reference})
            return redirect("support:ticket", surface="app", ticket_id=ticket.public_id)
    status = 403 if refused else (422 if form.errors else 200)
    return render(
        request,
        "support/ticket_new.html",
        {"form": form, "refused": refused, "guidance": PRIORITY_GUIDANCE},
        status=status,
    )


@customer_page
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, ticket_id: UUID) -> HttpResponse:
    ctx = _ctx(request)
    ticket = _ticket(ctx, ticket_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket_reply(
                ctx=ctx, ticket_id=ticket.public_id, body=form.cleaned_data["body"], attachments=_attachments(request)
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Your message is added to the ticket."))
            return redirect("support:ticket", surface="app", ticket_id=ticket.public_id)
    return render(request, "support/ticket_detail.html", {**_detail_context(request, ticket), "form": form})


def _attachment_response(ctx: RequestContext, ticket_id: UUID, attachment_id: UUID) -> HttpResponse:
    ticket = _ticket(ctx, ticket_id)
    attachment = TicketAttachment.objects.filter(
        public_id=attachment_id, message__in=ticket_thread(ctx=ctx, ticket=ticket)
    ).first()
    if attachment is None:
        raise Http404
    response = HttpResponse(bytes(attachment.content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{attachment.name.replace(chr(34), "")}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@customer_page
def attachment_download(request: HttpRequest, ticket_id: UUID, attachment_id: UUID) -> HttpResponse:
    """An attachment of one of the organisation's tickets."""
    return _attachment_response(_ctx(request), ticket_id, attachment_id)


@operator_page("support:handle")
def staff_attachment_download(request: HttpRequest, ticket_id: UUID, attachment_id: UUID) -> HttpResponse:
    return _attachment_response(_ctx(request), ticket_id, attachment_id)


# ---- operator staff ------------------------------------------------------------------------------------------------


@operator_page("support:handle")
def queue(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    status = request.GET.get("status", "")
    mine = request.GET.get("mine") == "1"
    tickets = staff_queue(
        ctx=ctx,
        status=status if status in TicketStatus.values else "",
        assignee_id=ctx.user.pk if mine and ctx.user else None,
    )
    return render(
        request,
        "support/ops/queue.html",
        {
            "table": _table(request, tickets),
            "alerts": sla_alerts(ctx=ctx),
            "status": status,
            "mine": mine,
            "statuses": TicketStatus.choices,
            "now": clock.now(),
            "sofia": SOFIA,
        },
    )


def _staff_choices(ctx: RequestContext) -> list[tuple[int, str]]:
    memberships = Membership.objects.filter(organization=ctx.organization).select_related("user")
    return [(m.user.pk, m.user.get_full_name() or m.user.email) for m in memberships.order_by("user__email")]


@operator_page("support:handle")
@require_http_methods(["GET", "POST"])
def staff_ticket(request: HttpRequest, ticket_id: UUID) -> HttpResponse:
    ctx = _ctx(request)
    ticket = _ticket(ctx, ticket_id)
    action = request.POST.get("action", "")
    reply = StaffReplyForm(request.POST if action == "reply" else None, request.FILES if action == "reply" else None)
    status_form = StatusForm(request.POST if action == "status" else None, initial={"status": ticket.status})
    assign_form = AssignForm(
        request.POST if action == "assign" else None,
        staff=_staff_choices(ctx),
        initial={"assignee": ticket.assignee_id},
    )
    priority_form = PriorityForm(request.POST if action == "priority" else None, initial={"priority": ticket.priority})
    forms_by_action: dict[str, Any] = {
        "reply": reply,
        "status": status_form,
        "assign": assign_form,
        "priority": priority_form,
    }
    if request.method == "POST" and action in forms_by_action and forms_by_action[action].is_valid():
        data = forms_by_action[action].cleaned_data
        try:
            if action == "reply" and data["is_internal"]:
                ticket_note(ctx=ctx, ticket_id=ticket.public_id, body=data["body"])
            elif action == "reply":
                ticket_staff_reply(
                    ctx=ctx, ticket_id=ticket.public_id, body=data["body"], attachments=_attachments(request)
                )
            elif action == "status":
                ticket_set_status(ctx=ctx, ticket_id=ticket.public_id, status=data["status"], detail=data["detail"])
            elif action == "assign":
                ticket_assign(ctx=ctx, ticket_id=ticket.public_id, assignee_id=data["assignee"])
            elif action == "priority":
                ticket_set_priority(ctx=ctx, ticket_id=ticket.public_id, priority=data["priority"])
        except DomainError as error:
            _form_errors(forms_by_action[action], error)
        else:
            messages.success(request, _("Saved."))
            return redirect("support:ops_ticket", ticket_id=ticket.public_id)
    return render(
        request,
        "support/ops/ticket.html",
        {
            **_detail_context(request, ticket),
            "reply_form": reply,
            "status_form": status_form,
            "assign_form": assign_form,
            "priority_form": priority_form,
        },
    )


def _month_start(value: str, fallback: datetime) -> datetime:
    try:
        year, month = (int(part) for part in value.split("-"))
        return clock.local(fallback, SOFIA).replace(year=year, month=month, day=1, hour=0, minute=0, second=0)
    except (ValueError, TypeError):
        return clock.local(fallback, SOFIA).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _report_period(request: HttpRequest) -> tuple[datetime, datetime]:
    now = clock.now()
    end_month = _month_start(request.GET.get("to", ""), now)
    start_default = (end_month - timedelta(days=150)).replace(day=1)
    start = _month_start(request.GET.get("from", ""), start_default) if request.GET.get("from") else start_default
    end = (end_month + timedelta(days=32)).replace(day=1)
    return start.replace(microsecond=0), end.replace(microsecond=0)


@operator_page("support:handle")
def report(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    start, end = _report_period(request)
    rows = compliance_report(ctx=ctx, start=start, end=end)
    totals = compliance_totals(rows)
    chart = [
        {
            "priority": Priority(priority).label,
            "bars": [{"milestone": m, "percent": totals[priority][m]} for m in Milestone],
        }
        for priority in Priority.values
    ]
    return render(
        request,
        "support/ops/report.html",
        {
            "rows": rows,
            "chart": chart,
            "milestones": list(Milestone),
            "start": start,
            "end": end - timedelta(days=1),
            "query": request.GET.urlencode(),
        },
    )


@operator_page("support:handle")
def report_csv(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    start, end = _report_period(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-compliance-{start:%Y-%m}-{end:%Y-%m}.csv"'
    writer = csv.writer(response)
    header = ["month", "priority", "customer"]
    for milestone in Milestone:
        header += [f"{milestone}_met", f"{milestone}_total", f"{milestone}_percent"]
    writer.writerow(header)
    for row in compliance_report(ctx=ctx, start=start, end=end):
        line: list[Any] = [row.month, row.priority, row.organization]
        for milestone in Milestone:
            met, total = row.counts.get(milestone, [0, 0])
            percent = row.percent(milestone)
            line += [met, total, "" if percent is None else f"{percent:.1f}"]
        writer.writerow(line)
    return response


@operator_page("support:handle")
@require_http_methods(["GET", "POST"])
def maintenance(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    with timezone.override(SOFIA):
        form = MaintenanceForm(request.POST if request.POST.get("action") == "schedule" else None)
        if request.method == "POST" and request.POST.get("action") == "close":
            close = MaintenanceCloseForm(request.POST)
            if close.is_valid():
                try:
                    maintenance_cancel(
                        ctx=ctx, notice_id=UUID(request.POST.get("notice", "")), status=close.cleaned_data["status"]
                    )
                    messages.success(request, _("Saved."))
                except (DomainError, ValueError):
                    messages.error(request, _("That notice could not be changed."))
            return redirect("support:ops_maintenance")
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                common = {
                    "ctx": ctx,
                    "title_en": data["title_en"],
                    "title_bg": data["title_bg"],
                    "text_en": data["text_en"],
                    "text_bg": data["text_bg"],
                    "service_codes": data["services"],
                }
                if data["kind"] == "incident":
                    incident_report(**common, starts_at=data["starts_at"])
                else:
                    if data["starts_at"] is None:
                        raise ValidationFailedError(fields={"starts_at": [_("Give the start of the window.")]})
                    notice = maintenance_schedule(**common, starts_at=data["starts_at"], ends_at=data["ends_at"])
                    messages.success(
                        request,
                        _("Scheduled; %(count)s customers were sent the notice.")
                        % {"count": notice.notified_organizations},
                    )
                return redirect("support:ops_maintenance")
            except DomainError as error:
                _form_errors(form, error)
        notices = MaintenanceNotice.objects.prefetch_related("services").order_by("-starts_at")[:50]
        return render(
            request,
            "support/ops/maintenance.html",
            {"form": form, "notices": notices, "now": clock.now()},
            status=422 if form.errors else 200,
        )


# ---- public ----------------------------------------------------------------------------------------------------------


def status(request: HttpRequest) -> HttpResponse:
    """The public status page: incidents, maintenance under way and planned maintenance (PT-6.7)."""
    return render(
        request,
        "support/status.html",
        {**status_page(), "language": get_language() or "en", "sofia": SOFIA},
    )


# ---- policy and representatives (operator staff) -------------------------------------------------------------------


@operator_page("support:handle")
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    """SLA targets, warning thresholds, the maintenance lead time and the calendars' own days: all policy data."""
    ctx = _ctx(request)
    current = SupportPolicy.current()
    thresholds = list(SlaWarningThreshold.objects.filter(is_active=True))
    action = request.POST.get("action", "")
    policy_form = PolicyForm(
        request.POST if action == "policy" else None,
        initial={
            "maintenance_notice_hours": current.maintenance_notice_hours,
            "team_email": current.team_email,
            "warning_percents": ", ".join(str(t.percent) for t in thresholds if t.percent is not None),
            "warning_minutes": ", ".join(str(t.minutes_before) for t in thresholds if t.minutes_before is not None),
        },
    )
    day_form = CalendarDayForm(request.POST if action == "day" else None)
    target_errors: list[str] = []
    if request.method == "POST":
        try:
            if action == "targets":
                for target in SlaTarget.objects.all():
                    amount = request.POST.get(f"{target.priority}-{target.milestone}-amount", "")
                    unit = request.POST.get(f"{target.priority}-{target.milestone}-unit", target.unit)
                    if amount.isdigit() and (int(amount) != target.amount or unit != target.unit):
                        sla_target_update(
                            ctx=ctx, priority=target.priority, milestone=target.milestone, amount=int(amount), unit=unit
                        )
                messages.success(request, _("Saved."))
                return redirect("support:ops_policy")
            if action == "policy" and policy_form.is_valid():
                support_policy_update(ctx=ctx, **policy_form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("support:ops_policy")
            if action == "day" and day_form.is_valid():
                calendar_day_add(
                    ctx=ctx,
                    calendar_id=UUID(request.POST.get("calendar", "")),
                    day=day_form.cleaned_data["date"],
                    kind=day_form.cleaned_data["kind"],
                    name=day_form.cleaned_data["name"],
                )
                messages.success(request, _("Saved."))
                return redirect("support:ops_policy")
            if action == "remove_day":
                calendar_day_remove(
                    ctx=ctx,
                    calendar_id=UUID(request.POST.get("calendar", "")),
                    day=date.fromisoformat(request.POST.get("date", "")),
                )
                messages.success(request, _("Saved."))
                return redirect("support:ops_policy")
        except ValidationFailedError as error:
            form = policy_form if action == "policy" else day_form
            if action == "targets":
                target_errors.append(error.message)
                target_errors.extend(sentence for sentences in error.fields.values() for sentence in sentences)
            else:
                _form_errors(form, error)
        except (DomainError, ValueError):
            messages.error(request, _("That change could not be made."))
    targets = {(t.priority, t.milestone): t for t in SlaTarget.objects.select_related("calendar")}
    rows = [
        {
            "priority": Priority(priority),
            "cells": [targets.get((priority, milestone.value)) for milestone in Milestone],
        }
        for priority in Priority.values
    ]
    today = clock.local(clock.now(), SOFIA).date()
    calendars = []
    for record in BusinessCalendarRecord.objects.prefetch_related("days"):
        public = []
        if record.has_bulgarian_holidays:
            public = [
                (day, bulgarian_holiday_name(day, get_language() or "en"))
                for day in sorted(bulgarian_holidays([today.year, today.year + 1]))
                if day >= today
            ]
        calendars.append({"record": record, "own": record.days.order_by("date"), "public": public[:12]})
    return render(
        request,
        "support/ops/policy.html",
        {
            "rows": rows,
            "milestones": list(Milestone),
            "policy_form": policy_form,
            "day_form": day_form,
            "calendars": calendars,
            "target_errors": target_errors,
        },
        status=422 if (policy_form.errors or day_form.errors or target_errors) else 200,
    )


@operator_page("support:handle")
@require_http_methods(["GET", "POST"])
def representatives(request: HttpRequest) -> HttpResponse:
    """Every customer's authorised representatives (PT-7.4): add one from an amendment, withdraw authority."""
    ctx = _ctx(request)
    customers = list(Organization.objects.filter(kind="customer").order_by("name"))
    for customer in customers:
        if not Representative.objects.for_org(customer).exists():
            representatives_sync_from_agreement(organization=customer)
    form = RepresentativeForm(
        request.POST if request.POST.get("action") == "add" else None,
        organizations=[(str(o.public_id), o.name) for o in customers],
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "deactivate":
                representative_deactivate(ctx=ctx, representative_id=UUID(request.POST.get("representative", "")))
                messages.success(request, _("Saved."))
                return redirect("support:ops_representatives")
            if form.is_valid():
                data = form.cleaned_data
                representative_add(
                    ctx=ctx,
                    organization_id=UUID(data["organization"]),
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                )
                messages.success(request, _("Saved."))
                return redirect("support:ops_representatives")
        except ValidationFailedError as error:
            _form_errors(form, error)
        except (DomainError, ValueError):
            messages.error(request, _("That change could not be made."))
    people = Representative.objects.select_related("organization").order_by("organization__name", "name")
    return render(
        request,
        "support/ops/representatives.html",
        {"people": people, "form": form},
        status=422 if form.errors else 200,
    )
