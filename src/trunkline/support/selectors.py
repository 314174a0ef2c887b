"""Reads of the support desk. Customers read their own organisation's tickets; operator staff read every ticket."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet

from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.support.domain.sla import Milestone
from trunkline.support.models import (
    MaintenanceNotice,
    MaintenanceStatus,
    Priority,
    Representative,
    SupportedService,
    Ticket,
    TicketDeadline,
    TicketMessage,
)
from trunkline.support.services.calendars import require_support_staff


def _is_staff(ctx: RequestContext) -> bool:
    return ctx.is_operator and ctx.has_scope("support:handle")


def ticket_list(*, ctx: RequestContext) -> QuerySet[Ticket]:
    """The caller's organisation's tickets; every ticket for operator staff."""
    if _is_staff(ctx):
        tickets = Ticket.objects.all()
    else:
        require_scope(ctx, "support:open")
        tickets = Ticket.objects.for_org(ctx.organization)
    return tickets.select_related("organization", "service", "assignee", "representative").prefetch_related(
        Prefetch("deadlines", queryset=TicketDeadline.objects.order_by("id"))
    )


def ticket_get(*, ctx: RequestContext, public_id: Any) -> Ticket:
    """One ticket the caller may read; another organisation's answers 404."""
    try:
        ticket: Ticket = ticket_list(ctx=ctx).get(public_id=public_id)
    except (Ticket.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    return ticket


def ticket_thread(*, ctx: RequestContext, ticket: Ticket) -> QuerySet[TicketMessage]:
    """The thread; internal notes only for operator staff."""
    messages = ticket.messages.prefetch_related("attachments").order_by("at", "id")
    return messages if _is_staff(ctx) else messages.filter(is_internal=False)


def staff_queue(*, ctx: RequestContext, status: str = "", assignee_id: int | None = None) -> QuerySet[Ticket]:
    """Open tickets, the most urgent deadline first (operator staff)."""
    require_support_staff(ctx)
    tickets = ticket_list(ctx=ctx).exclude(status__in=["solved", "closed"])
    if status:
        tickets = tickets.filter(status=status)
    if assignee_id is not None:
        tickets = tickets.filter(assignee_id=assignee_id)
    return tickets.order_by("next_due_at", "received_at")


def sla_alerts(*, ctx: RequestContext) -> dict[str, int]:
    """The in-app alert counts of the staff queue: open milestones warned about, and breached."""
    require_support_staff(ctx)
    running = TicketDeadline.objects.filter(met_at__isnull=True).exclude(ticket__status__in=["solved", "closed"])
    return {
        "warned": running.filter(warned_at__isnull=False, breached_at__isnull=True).count(),
        "breached": running.filter(breached_at__isnull=False).count(),
    }


def representative_list(*, ctx: RequestContext, organization: Any = None) -> QuerySet[Representative]:
    """A customer's representatives: its own for a customer, any organisation's for operator staff."""
    if _is_staff(ctx) and organization is not None:
        return Representative.objects.for_org(organization)
    require_scope(ctx, "support:open")
    return Representative.objects.for_org(ctx.organization)


def service_list() -> QuerySet[SupportedService]:
    return SupportedService.objects.filter(is_active=True)


def status_page(*, at: datetime | None = None) -> dict[str, list[MaintenanceNotice]]:
    """The public status page: incidents going on, maintenance under way, and maintenance planned."""
    at = at or clock.now()
    live = MaintenanceNotice.objects.filter(status=MaintenanceStatus.SCHEDULED).prefetch_related("services")
    current = [n for n in live if n.starts_at <= at and (n.ends_at is None or n.ends_at > at)]
    planned = [n for n in live if n.starts_at > at]
    return {
        "incidents": [n for n in current if n.kind == "incident"],
        "current": [n for n in current if n.kind == "maintenance"],
        "planned": sorted(planned, key=lambda n: n.starts_at),
    }


# ---- compliance report ----------------------------------------------------------------------------------------------


@dataclass
class ComplianceRow:
    month: str
    priority: str
    organization: str
    counts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # milestone: [met, all]

    @property
    def cells(self) -> list[dict[str, Any]]:
        return [
            {"met": self.counts.get(m, [0, 0])[0], "total": self.counts.get(m, [0, 0])[1], "percent": self.percent(m)}
            for m in Milestone
        ]

    def percent(self, milestone: str) -> float | None:
        met, total = self.counts.get(milestone, [0, 0])
        return None if total == 0 else round(100 * met / total, 1)


def compliance_report(
    *, ctx: RequestContext, start: datetime, end: datetime, at: datetime | None = None
) -> list[ComplianceRow]:
    """SLA compliance per month (of receipt, Sofia time), priority and customer: for each milestone, how many of the
    milestones that were due or met in the period were met in time. A milestone still running and not yet due is
    left out; one overdue and unmet counts as missed."""
    require_support_staff(ctx)
    at = at or clock.now()
    rows: dict[tuple[str, str, str], ComplianceRow] = {}
    deadlines = (
        TicketDeadline.objects.filter(ticket__received_at__gte=start, ticket__received_at__lt=end)
        .select_related("ticket", "ticket__organization")
        .order_by("ticket__received_at")
    )
    for deadline in deadlines:
        ticket = deadline.ticket
        if deadline.met_at is None and (deadline.due_at is None or deadline.due_at > at):
            continue
        month = clock.local(ticket.received_at, "Europe/Sofia").strftime("%Y-%m")
        key = (month, ticket.priority, ticket.organization.name)
        row = rows.setdefault(key, ComplianceRow(month=month, priority=ticket.priority, organization=key[2]))
        in_time = deadline.met_at is not None and (deadline.due_at is None or deadline.met_at <= deadline.due_at)
        row.counts[deadline.milestone][0] += int(in_time)
        row.counts[deadline.milestone][1] += 1
    order = {value: index for index, value in enumerate(Priority.values)}
    return sorted(rows.values(), key=lambda r: (r.month, order.get(r.priority, 9), r.organization))


def compliance_totals(rows: list[ComplianceRow]) -> dict[str, dict[str, float | None]]:
    """Per priority and milestone over all rows (for the chart)."""
    totals: dict[str, dict[str, list[int]]] = {p: {m: [0, 0] for m in Milestone} for p in Priority.values}
    for row in rows:
        for milestone, (met, total) in row.counts.items():
            totals[row.priority][milestone][0] += met
            totals[row.priority][milestone][1] += total
    return {
        priority: {m: (None if t == 0 else round(100 * met / t, 1)) for m, (met, t) in milestones.items()}
        for priority, milestones in totals.items()
    }
