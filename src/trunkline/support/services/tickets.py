"""Tickets: opened by authorised representatives, worked by operator staff, timed by the SLA engine.

Every write recomputes the ticket's stored deadlines in the same transaction, so the due times on the ticket are
always those of its current inputs (priority, clock start, pauses, policy) and nothing recomputes them on reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from trunkline.accounts.models import ApiKey, User
from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.notifications.services import notice_send
from trunkline.support.domain.sla import Milestone, Pause, Warning, counted, due_at, warning_times
from trunkline.support.errors import (
    AttachmentTooLargeError,
    EscalationBackwardsError,
    NotRepresentativeError,
    TicketClosedError,
    TicketStatusChangeError,
)
from trunkline.support.models import (
    EscalationStep,
    Priority,
    Representative,
    SlaWarningThreshold,
    SupportedService,
    SupportPolicy,
    Ticket,
    TicketAttachment,
    TicketChannel,
    TicketDeadline,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from trunkline.support.services.calendars import calendar_for, require_support_staff, targets_for
from trunkline.support.services.representatives import representative_for
from trunkline.tenancy.models import Organization

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
STEPS = list(EscalationStep.values)


@dataclass(frozen=True)
class AttachmentData:
    name: str
    content_type: str
    content: bytes


# ---- who may act --------------------------------------------------------------------------------------------------


def _caller_email(ctx: RequestContext) -> str:
    if ctx.user is not None:
        return str(ctx.user.email)
    if ctx.api_key_id is not None:
        key = ApiKey.objects.select_related("created_by").filter(pk=ctx.api_key_id).first()
        if key is not None and key.created_by is not None:
            return str(key.created_by.email)
    return ""


def representative_of(ctx: RequestContext) -> Representative:
    """The authorised representative acting (PT-7.4): the signed-in person, or the person who made the API key."""
    require_scope(ctx, "support:open")
    if ctx.organization.kind != "customer":
        raise NotRepresentativeError()
    representative = representative_for(organization=ctx.organization, email=_caller_email(ctx))
    if representative is None:
        raise NotRepresentativeError()
    return representative


def _ticket_for_update(ctx: RequestContext, ticket_id: UUID, *, staff: bool) -> Ticket:
    """Lock a ticket the caller may change: staff any ticket, a customer only its own (another's answers 404)."""
    tickets = Ticket.objects.select_for_update()
    if not staff:
        tickets = tickets.filter(organization=ctx.organization)
    try:
        ticket: Ticket = tickets.get(public_id=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    return ticket


# ---- the SLA clocks -------------------------------------------------------------------------------------------------


def _event(ticket: Ticket, kind: str, at: datetime, **fields: Any) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, kind=kind, at=at, **fields)


def ticket_pauses(ticket: Ticket) -> list[Pause]:
    """The intervals the ticket waited for its customer, from its status history."""
    pauses: list[Pause] = []
    started: datetime | None = None
    for status, at in ticket.events.filter(kind="status").order_by("at", "id").values_list("status", "at"):
        if status == TicketStatus.WAITING and started is None:
            started = at
        elif status != TicketStatus.WAITING and started is not None:
            pauses.append(Pause(started, at))
            started = None
    if started is not None:
        pauses.append(Pause(started))
    return pauses


def _met_at(ticket: Ticket, milestone: Milestone) -> datetime | None:
    return {
        Milestone.RESPONSE: ticket.responded_at,
        Milestone.RESTORATION: ticket.restored_at,
        Milestone.SOLUTION: ticket.solved_at,
    }[milestone]


def _warnings() -> list[Warning]:
    return [
        Warning(percent=row.percent, minutes_before=row.minutes_before)
        for row in SlaWarningThreshold.objects.filter(is_active=True)
    ]


def ticket_recompute(*, ticket: Ticket, at: datetime) -> Ticket:
    """Store each milestone's due time, warning times and breach from the ticket's current inputs.

    Runs inside the caller's transaction with the ticket locked. A met milestone keeps the due time it was measured
    against; a pause still open when it was met ends at that moment for the measurement.
    """
    pauses = ticket_pauses(ticket)
    warnings = _warnings()
    existing = {deadline.milestone: deadline for deadline in ticket.deadlines.all()}
    next_due: datetime | None = None
    for milestone, (target, record) in targets_for(ticket.priority).items():
        calendar = calendar_for(record)
        deadline = existing.get(milestone) or TicketDeadline(ticket=ticket, milestone=milestone)
        met = _met_at(ticket, milestone)
        if milestone == Milestone.RESPONSE:
            ticket.clock_starts_at = calendar.next_opening(ticket.complete_at) if ticket.complete_at else None
        measured = [Pause(p.start, p.end or met) if met else p for p in pauses]
        budget = target.duration(calendar)
        deadline.target = str(target)
        deadline.due_at = due_at(calendar, ticket.complete_at, budget, measured)
        if met is not None and deadline.met_at is None:
            deadline.met_at = met
            _event(ticket, "met", met, milestone=milestone)
        elif met is None:
            deadline.met_at = None
        late = deadline.due_at is not None and (
            (deadline.met_at is not None and deadline.met_at > deadline.due_at)
            or (deadline.met_at is None and deadline.due_at <= at)
        )
        if late and deadline.breached_at is None:
            deadline.breached_at = deadline.due_at
            _event(ticket, "breached", at, milestone=milestone)
        elif not late:
            deadline.breached_at = None
        times = (
            warning_times(calendar, ticket.complete_at, target, measured, warnings) if deadline.met_at is None else []
        )
        deadline.warning_times = [moment.isoformat() for moment in times]
        after = deadline.warned_at
        deadline.next_warning_at = next((moment for moment in times if after is None or moment > after), None)
        if deadline.met_at is not None or deadline.breached_at is not None:
            deadline.next_warning_at = None
        deadline.save()
        if deadline.met_at is None and deadline.due_at is not None:
            next_due = deadline.due_at if next_due is None else min(next_due, deadline.due_at)
    ticket.next_due_at = next_due if ticket.is_open else None
    ticket.save()
    return ticket


def ticket_business_time_used(ticket: Ticket, milestone: Milestone, at: datetime) -> Any:
    """Counted time so far for a milestone (for the timeline)."""
    policy = targets_for(ticket.priority).get(milestone)
    if policy is None or ticket.complete_at is None:
        return None
    calendar = calendar_for(policy[1])
    end = _met_at(ticket, milestone) or at
    return counted(calendar, ticket.complete_at, end, ticket_pauses(ticket))


def _set_status(ticket: Ticket, status: str, at: datetime, detail: str = "") -> None:
    if ticket.status == status:
        return
    ticket.status = status
    _event(ticket, "status", at, status=status, detail=detail[:300])


# ---- opening --------------------------------------------------------------------------------------------------------


def _validated(
    *, subject: str, description: str, priority: str, service_code: str | None, escalation_step: str
) -> tuple[str, str, SupportedService | None]:
    errors: dict[str, list[str]] = {}
    subject, description = subject.strip(), description.strip()
    if not subject:
        errors["subject"] = [_("Give the ticket a short subject.")]
    if not description:
        errors["description"] = [_("Describe the issue: what happens, since when, and for whom.")]
    if priority not in Priority.values:
        errors["priority"] = [_("Choose a priority.")]
    if escalation_step not in STEPS:
        errors["escalation_step"] = [_("Choose the step of the escalation path the issue has reached.")]
    service = None
    if service_code:
        service = SupportedService.objects.filter(code=service_code, is_active=True).first()
        if service is None:
            errors["service"] = [_("Choose one of the services listed.")]
    if errors:
        raise ValidationFailedError(fields=errors)
    return subject[:200], description, service


def _store_attachments(message: TicketMessage, attachments: tuple[AttachmentData, ...] | list[AttachmentData]) -> None:
    for attachment in attachments:
        if len(attachment.content) > MAX_ATTACHMENT_BYTES:
            raise AttachmentTooLargeError(limit=MAX_ATTACHMENT_BYTES // (1024 * 1024))
        TicketAttachment.objects.create(
            message=message,
            name=(attachment.name or "attachment")[:200],
            content_type=(attachment.content_type or "application/octet-stream")[:100],
            size=len(attachment.content),
            content=attachment.content,
        )


def _next_number() -> int:
    return (Ticket.objects.aggregate(top=Max("number"))["top"] or 0) + 1


def _notify_representative(ticket: Ticket, kind: str, context: dict[str, Any]) -> None:
    representative = ticket.representative
    transaction.on_commit(
        partial(
            notice_send,
            organization=ticket.organization,
            kind=kind,
            recipients=[representative.email],
            requires_acknowledgement=False,
            dedupe_key=f"ticket:{ticket.public_id}:{kind}:{context.get('message_id', clock.now().isoformat())}",
            context={"ticket": ticket, "representative": representative, **context},
        )
    )


def ticket_create_for(
    *,
    representative: Representative,
    subject: str,
    description: str,
    priority: str,
    channel: str,
    service_code: str | None = None,
    escalation_step: str = EscalationStep.HELP_DESK,
    attachments: tuple[AttachmentData, ...] | list[AttachmentData] = (),
    message_id: str = "",
    ctx: RequestContext | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Record a ticket of a representative already identified (web, API or email). The exact time received, the
    representative's name and the nature of the issue are kept (PT-7.2); a complete description starts the clock
    (PT-7.3) — outside business hours a non-Critical clock starts at the next opening (PT-7.1)."""
    at = at or clock.now()
    subject, description, service = _validated(
        subject=subject,
        description=description,
        priority=priority,
        service_code=service_code,
        escalation_step=escalation_step,
    )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                ticket = Ticket.objects.create(
                    organization=representative.organization,
                    number=_next_number(),
                    representative=representative,
                    representative_name=representative.name,
                    subject=subject,
                    priority=priority,
                    service=service,
                    escalation_step=escalation_step,
                    channel=channel,
                    received_at=at,
                    complete_at=at,
                    status=TicketStatus.NEW,
                )
                _event(ticket, "received", at, detail=channel)
                _event(ticket, "status", at, status=TicketStatus.NEW)
                message = TicketMessage.objects.create(
                    ticket=ticket,
                    author_name=representative.name,
                    body=description,
                    message_id=message_id[:300],
                    at=at,
                )
                _store_attachments(message, attachments)
                ticket_recompute(ticket=ticket, at=at)
                audit_record(
                    ctx=ctx,
                    action="support.ticket_opened",
                    target=ticket,
                    organization=ticket.organization,
                    changes={"priority": priority, "channel": channel, "representative": representative.email},
                )
                _notify_representative(ticket, "support.ticket_received", {})
            return ticket
        except IntegrityError:  # two tickets took the same number at once: take the next one
            continue
    raise RuntimeError("Could not number the ticket.")


def ticket_open(
    *,
    ctx: RequestContext,
    subject: str,
    description: str,
    priority: str,
    service_code: str | None = None,
    escalation_step: str = EscalationStep.HELP_DESK,
    attachments: tuple[AttachmentData, ...] | list[AttachmentData] = (),
    channel: str = TicketChannel.WEB,
    at: datetime | None = None,
) -> Ticket:
    """An authorised representative opens a ticket (PT-7.4); anyone else is refused and nothing is stored."""
    representative = representative_of(ctx)
    return ticket_create_for(
        representative=representative,
        subject=subject,
        description=description,
        priority=priority,
        service_code=service_code,
        escalation_step=escalation_step,
        attachments=attachments,
        channel=channel,
        ctx=ctx,
        at=at,
    )


# ---- the thread ----------------------------------------------------------------------------------------------------


def ticket_customer_reply(
    *,
    ticket: Ticket,
    author_name: str,
    body: str,
    attachments: tuple[AttachmentData, ...] | list[AttachmentData] = (),
    message_id: str = "",
    ctx: RequestContext | None = None,
    at: datetime,
) -> TicketMessage:
    """A reply from the customer's side onto a locked ticket: it resumes a paused clock, completes an incomplete
    description (the clock starts now), and reopens a solved ticket."""
    if ticket.status == TicketStatus.CLOSED:
        raise TicketClosedError()
    if not body.strip():
        raise ValidationFailedError(fields={"body": [_("Write a message.")]})
    message = TicketMessage.objects.create(
        ticket=ticket, author_name=author_name, body=body.strip(), message_id=message_id[:300], at=at
    )
    _store_attachments(message, attachments)
    if ticket.status == TicketStatus.INCOMPLETE:
        ticket.complete_at = at
        _event(ticket, "clock_started", at, detail="completed")
        _set_status(ticket, TicketStatus.OPEN, at, "completed by the customer")
    elif ticket.status == TicketStatus.WAITING:
        _set_status(ticket, TicketStatus.OPEN, at, "customer answered")
    elif ticket.status == TicketStatus.SOLVED:
        ticket.solved_at = None
        _set_status(ticket, TicketStatus.OPEN, at, "reopened by the customer")
    ticket_recompute(ticket=ticket, at=at)
    audit_record(ctx=ctx, action="support.ticket_replied", target=ticket, organization=ticket.organization)
    return message


def ticket_reply(
    *,
    ctx: RequestContext,
    ticket_id: UUID,
    body: str,
    attachments: tuple[AttachmentData, ...] | list[AttachmentData] = (),
    at: datetime | None = None,
) -> TicketMessage:
    """The customer's representative adds to the thread of its own ticket."""
    at = at or clock.now()
    with transaction.atomic():
        ticket = _ticket_for_update(ctx, ticket_id, staff=False)  # another organisation's ticket: 404 first
        representative = representative_of(ctx)
        return ticket_customer_reply(
            ticket=ticket, author_name=representative.name, body=body, attachments=attachments, ctx=ctx, at=at
        )


def ticket_staff_reply(
    *,
    ctx: RequestContext,
    ticket_id: UUID,
    body: str,
    attachments: tuple[AttachmentData, ...] | list[AttachmentData] = (),
    at: datetime | None = None,
) -> TicketMessage:
    """Operator staff answer the representative; the first answer meets the response milestone."""
    require_support_staff(ctx)
    at = at or clock.now()
    if not body.strip():
        raise ValidationFailedError(fields={"body": [_("Write a message.")]})
    with transaction.atomic():
        ticket = _ticket_for_update(ctx, ticket_id, staff=True)
        if ticket.status == TicketStatus.CLOSED:
            raise TicketClosedError()
        user = ctx.user
        message = TicketMessage.objects.create(
            ticket=ticket,
            author=user,
            author_name=(user.get_full_name() or user.email) if user else _("Support desk"),
            is_staff=True,
            body=body.strip(),
            at=at,
        )
        _store_attachments(message, attachments)
        if ticket.responded_at is None and ticket.complete_at is not None:
            ticket.responded_at = at
        if ticket.status == TicketStatus.NEW:
            _set_status(ticket, TicketStatus.OPEN, at)
        ticket_recompute(ticket=ticket, at=at)
        audit_record(ctx=ctx, action="support.ticket_answered", target=ticket, organization=ticket.organization)
        _notify_representative(ticket, "support.ticket_reply", {"message": message, "message_id": message.public_id})
    return message


def ticket_note(*, ctx: RequestContext, ticket_id: UUID, body: str, at: datetime | None = None) -> TicketMessage:
    """An internal note: staff only, never shown to the customer, no effect on the clocks."""
    require_support_staff(ctx)
    at = at or clock.now()
    if not body.strip():
        raise ValidationFailedError(fields={"body": [_("Write a note.")]})
    with transaction.atomic():
        ticket = _ticket_for_update(ctx, ticket_id, staff=True)
        user = ctx.user
        message = TicketMessage.objects.create(
            ticket=ticket,
            author=user,
            author_name=(user.get_full_name() or user.email) if user else "system",
            is_staff=True,
            is_internal=True,
            body=body.strip(),
            at=at,
        )
        audit_record(ctx=ctx, action="support.ticket_noted", target=ticket, organization=ticket.organization)
    return message


# ---- staff changes ---------------------------------------------------------------------------------------------------

STAFF_STATUSES = {
    TicketStatus.OPEN,
    TicketStatus.INCOMPLETE,
    TicketStatus.WAITING,
    TicketStatus.RESTORED,
    TicketStatus.SOLVED,
    TicketStatus.CLOSED,
}


def ticket_set_status(
    *, ctx: RequestContext, ticket_id: UUID, status: str, detail: str = "", at: datetime | None = None
) -> Ticket:
    """Staff move a ticket: waiting for the customer pauses the clock (PT-7.3); temporarily restored and solved
    meet their milestones; incomplete stops the clock until the customer completes the description."""
    require_support_staff(ctx)
    at = at or clock.now()
    with transaction.atomic():
        ticket = _ticket_for_update(ctx, ticket_id, staff=True)
        if status not in STAFF_STATUSES or ticket.status == TicketStatus.CLOSED:
            raise TicketStatusChangeError(
                current=TicketStatus(ticket.status).label,
                wanted=TicketStatus(status).label if status in TicketStatus.values else status,
            )
        if status == TicketStatus.INCOMPLETE:
            ticket.complete_at = None
            for deadline in ticket.deadlines.all():
                deadline.warned_at = None
                deadline.save(update_fields=["warned_at"])
            _event(ticket, "clock_stopped", at, detail="incomplete description")
        if status == TicketStatus.OPEN and ticket.complete_at is None:
            ticket.complete_at = at
            _event(ticket, "clock_started", at, detail="completed")
        if status in (TicketStatus.RESTORED, TicketStatus.SOLVED, TicketStatus.CLOSED) and ticket.complete_at:
            ticket.responded_at = ticket.responded_at or at
            ticket.restored_at = ticket.restored_at or at
        if status in (TicketStatus.SOLVED, TicketStatus.CLOSED) and ticket.complete_at is not None:
            ticket.solved_at = ticket.solved_at or at
        if status == TicketStatus.CLOSED:
            ticket.closed_at = at
        _set_status(ticket, status, at, detail)
        ticket_recompute(ticket=ticket, at=at)
        audit_record(
            ctx=ctx,
            action="support.ticket_status_changed",
            target=ticket,
            organization=ticket.organization,
            changes={"status": status},
        )
        if status in (TicketStatus.WAITING, TicketStatus.INCOMPLETE, TicketStatus.RESTORED, TicketStatus.SOLVED):
            _notify_representative(ticket, "support.ticket_status", {"detail": detail})
    return ticket


def ticket_complete(*, ctx: RequestContext, ticket_id: UUID, at: datetime | None = None) -> Ticket:
    """Staff record that the description is complete now (e.g. the representative phoned the details in)."""
    return ticket_set_status(ctx=ctx, ticket_id=ticket_id, status=TicketStatus.OPEN, at=at)


def ticket_assign(*, ctx: RequestContext, ticket_id: UUID, assignee_id: int | None) -> Ticket:
    """Give the ticket to one of the operator's staff (or to nobody)."""
    require_support_staff(ctx)
    with transaction.atomic():
        ticket = _ticket_for_update(ctx, ticket_id, staff=True)
        assignee = None
        if assignee_id is not None:
            assignee = User.objects.filter(
                pk=assignee_id, memberships__organization=ctx.organization, is_active=True
            ).first()
            if assignee is None:
                raise ValidationFailedError(fields={"assignee": [_("Choose a member of the operator's staff.")]})
        ticket.assignee = assignee
        ticket.save(update_fields=["assignee", "updated_at"])
        _event(ticket, "assigned", clock.now(), detail=assignee.email if assignee else "")
        audit_record(ctx=ctx, action="support.ticket_assigned", target=ticket, organization=ticket.organization)
    return ticket


def ticket_escalate(*, ctx: RequestContext, ticket_id: UUID, step: str, at: datetime | None = None) -> Ticket:
    """Move the ticket along the escalation path of PT-7.5; never backwards. Representatives and staff may."""
    staff = ctx.is_operator
    if staff:
        require_support_staff(ctx)
    else:
        representative_of(ctx)
    if step not in STEPS:
        raise ValidationFailedError(fields={"step": [_("Choose a step of the escalation path.")]})
    at = at or clock.now()
    with transaction.atomic():
        ticket = _ticket_for_update(ctx, ticket_id, staff=staff)
        if STEPS.index(step) <= STEPS.index(ticket.escalation_step):
            raise EscalationBackwardsError(current=EscalationStep(ticket.escalation_step).label)
        ticket.escalation_step = step
        ticket.save(update_fields=["escalation_step", "updated_at"])
        _event(ticket, "escalated", at, detail=step)
        audit_record(
            ctx=ctx,
            action="support.ticket_escalated",
            target=ticket,
            organization=ticket.organization,
            changes={"step": step},
        )
    return ticket


# ---- warnings and breaches (the periodic job) ----------------------------------------------------------------------


def _staff_recipients(ticket: Ticket) -> list[str]:
    recipients = []
    if ticket.assignee is not None and ticket.assignee.email:
        recipients.append(str(ticket.assignee.email))
    team = SupportPolicy.current().team_email or getattr(settings, "SUPPORT_TEAM_EMAIL", "")
    if team and team not in recipients:
        recipients.append(team)
    return recipients


def _tell_staff(ticket: Ticket, kind: str, deadline: TicketDeadline, key: str) -> None:
    recipients = _staff_recipients(ticket)
    operator = Organization.objects.filter(kind="operator").first()
    if not recipients or operator is None:
        return
    notice_send(
        organization=operator,
        kind=kind,
        recipients=recipients,
        requires_acknowledgement=False,
        dedupe_key=key,
        context={"ticket": ticket, "deadline": deadline, "milestone": Milestone(deadline.milestone)},
    )


def sla_escalations_process(*, at: datetime | None = None) -> dict[str, int]:
    """Warn the assignee and the team before a breach, and mark breaches (idempotent; run every minute)."""
    at = at or clock.now()
    counts = {"warned": 0, "breached": 0}
    open_statuses = [s for s in TicketStatus.values if s not in (TicketStatus.SOLVED, TicketStatus.CLOSED)]
    due = TicketDeadline.objects.filter(met_at__isnull=True, ticket__status__in=open_statuses).filter(
        Q(next_warning_at__lte=at) | Q(breached_at__isnull=True, due_at__lte=at)
    )
    for deadline_id in list(due.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            deadline = (
                TicketDeadline.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("ticket", "ticket__assignee")
                .filter(pk=deadline_id)
                .first()
            )
            if deadline is None or deadline.met_at is not None:
                continue
            ticket = deadline.ticket
            if deadline.due_at is not None and deadline.due_at <= at and deadline.breached_at is None:
                deadline.breached_at = deadline.due_at
                deadline.next_warning_at = None
                deadline.save(update_fields=["breached_at", "next_warning_at"])
                _event(ticket, "breached", at, milestone=deadline.milestone)
                _tell_staff(ticket, "support.sla_breached", deadline, f"breach:{ticket.pk}:{deadline.milestone}")
                audit_record(
                    ctx=None,
                    action="support.sla_breached",
                    target=ticket,
                    organization=ticket.organization,
                    changes={"milestone": deadline.milestone, "due_at": deadline.due_at.isoformat()},
                )
                counts["breached"] += 1
            elif deadline.next_warning_at is not None and deadline.next_warning_at <= at:
                warned_for = deadline.next_warning_at
                deadline.warned_at = at
                later = [datetime.fromisoformat(moment) for moment in deadline.warning_times]
                deadline.next_warning_at = next((moment for moment in later if moment > at), None)
                deadline.save(update_fields=["warned_at", "next_warning_at"])
                _event(ticket, "warned", at, milestone=deadline.milestone)
                _tell_staff(
                    ticket,
                    "support.sla_warning",
                    deadline,
                    f"warning:{ticket.pk}:{deadline.milestone}:{warned_for.isoformat()}",
                )
                counts["warned"] += 1
    return counts


def sla_recompute_open(*, at: datetime | None = None) -> int:
    """After a policy or calendar change: recompute the deadlines of every open ticket."""
    at = at or clock.now()
    count = 0
    ids = list(
        Ticket.objects.exclude(status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED]).values_list("pk", flat=True)
    )
    for ticket_id in ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
            if ticket is not None:
                ticket_recompute(ticket=ticket, at=at)
                count += 1
    return count


def ticket_set_priority(*, ctx: RequestContext, ticket_id: UUID, priority: str, at: datetime | None = None) -> Ticket:
    """Staff reclassify a ticket (PT-7.6 guidance); its deadlines follow the new priority's targets."""
    require_support_staff(ctx)
    if priority not in Priority.values:
        raise ValidationFailedError(fields={"priority": [_("Choose a priority.")]})
    at = at or clock.now()
    with transaction.atomic():
        ticket = _ticket_for_update(ctx, ticket_id, staff=True)
        before = ticket.priority
        ticket.priority = priority
        _event(ticket, "priority", at, detail=f"{before} → {priority}")
        ticket_recompute(ticket=ticket, at=at)
        audit_record(
            ctx=ctx,
            action="support.ticket_priority_changed",
            target=ticket,
            organization=ticket.organization,
            changes={"from": before, "to": priority},
        )
    return ticket
