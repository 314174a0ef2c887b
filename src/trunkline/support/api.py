"""The support API: representatives open and follow tickets; operator staff answer and schedule maintenance."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.core.context import RequestContext
from trunkline.support.models import MaintenanceNotice, Ticket, TicketChannel
from trunkline.support.schemas import (
    EscalateIn,
    MaintenanceIn,
    MaintenanceOut,
    MessageIn,
    MessageOut,
    RepresentativeOut,
    StatusIn,
    TicketDetailOut,
    TicketOpenIn,
    TicketOut,
)
from trunkline.support.selectors import representative_list, ticket_get, ticket_list, ticket_thread
from trunkline.support.services import (
    maintenance_schedule,
    ticket_escalate,
    ticket_note,
    ticket_open,
    ticket_reply,
    ticket_set_status,
    ticket_staff_reply,
)

router = Router(tags=["support"])


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.public_id,
        "number": ticket.number,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "priority": ticket.priority,
        "status": ticket.status,
        "service": ticket.service.code if ticket.service else None,
        "escalation_step": ticket.escalation_step,
        "channel": ticket.channel,
        "representative_name": ticket.representative_name,
        "received_at": ticket.received_at,
        "complete_at": ticket.complete_at,
        "clock_starts_at": ticket.clock_starts_at,
        "next_due_at": ticket.next_due_at,
        "deadlines": list(ticket.deadlines.all()),
    }


def _detail(ctx: RequestContext, ticket_id: UUID) -> dict[str, Any]:
    ticket = ticket_get(ctx=ctx, public_id=ticket_id)
    return {**ticket_out(ticket), "messages": list(ticket_thread(ctx=ctx, ticket=ticket))}


@router.get(
    "/support/tickets",
    response={200: Page[TicketOut], **ERROR_RESPONSES},
    operation_id="support_ticket_list",
    summary="List tickets",
)
def ticket_list_api(request: HttpRequest, params: Query[PageIn]) -> dict[str, Any]:
    """Your organisation's tickets, newest first (every ticket for operator staff)."""
    page = paginate(ticket_list(ctx=ctx_of(request)), params, orderings=("received_at", "-received_at", "next_due_at"))
    page["items"] = [ticket_out(ticket) for ticket in page["items"]]
    return page


@router.post(
    "/support/tickets",
    response={201: TicketDetailOut, **ERROR_RESPONSES},
    operation_id="support_ticket_open",
    summary="Open a ticket (authorised representatives)",
)
def ticket_open_api(request: HttpRequest, payload: TicketOpenIn):
    """Only the authorised representatives listed on your agreement can open tickets (PT-7.4); the API key must
    have been created by one of them. Anyone else gets 403 ``support.not_representative``."""
    ctx = ctx_of(request)
    ticket = ticket_open(
        ctx=ctx,
        subject=payload.subject,
        description=payload.description,
        priority=payload.priority,
        service_code=payload.service,
        escalation_step=payload.escalation_step,
        channel=TicketChannel.API,
    )
    return Status(201, _detail(ctx, ticket.public_id))


@router.get(
    "/support/tickets/{ticket_id}",
    response={200: TicketDetailOut, **ERROR_RESPONSES},
    operation_id="support_ticket_get",
    summary="A ticket with its thread and deadlines",
)
def ticket_get_api(request: HttpRequest, ticket_id: UUID) -> dict[str, Any]:
    return _detail(ctx_of(request), ticket_id)


@router.post(
    "/support/tickets/{ticket_id}/messages",
    response={201: MessageOut, **ERROR_RESPONSES},
    operation_id="support_ticket_reply",
    summary="Add to a ticket's thread",
)
def ticket_reply_api(request: HttpRequest, ticket_id: UUID, payload: MessageIn):
    """A representative's reply (it resumes a paused clock), or for operator staff an answer or internal note."""
    ctx = ctx_of(request)
    ticket = ticket_get(ctx=ctx, public_id=ticket_id)
    if ctx.is_operator:
        if payload.is_internal:
            return Status(201, ticket_note(ctx=ctx, ticket_id=ticket.public_id, body=payload.body))
        return Status(201, ticket_staff_reply(ctx=ctx, ticket_id=ticket.public_id, body=payload.body))
    return Status(201, ticket_reply(ctx=ctx, ticket_id=ticket.public_id, body=payload.body))


@router.post(
    "/support/tickets/{ticket_id}/escalation",
    response={200: TicketOut, **ERROR_RESPONSES},
    operation_id="support_ticket_escalate",
    summary="Move a ticket along the escalation path",
)
def ticket_escalate_api(request: HttpRequest, ticket_id: UUID, payload: EscalateIn) -> dict[str, Any]:
    """Forward only: issue found → project manager → infrastructure/telecom → CRM team → operator help desk (PT-7.5)."""
    ctx = ctx_of(request)
    ticket = ticket_get(ctx=ctx, public_id=ticket_id)
    return ticket_out(ticket_escalate(ctx=ctx, ticket_id=ticket.public_id, step=payload.step))


@router.post(
    "/support/tickets/{ticket_id}/status",
    response={200: TicketOut, **ERROR_RESPONSES},
    operation_id="support_ticket_set_status",
    summary="Change a ticket's status (operator staff)",
)
def ticket_status_api(request: HttpRequest, ticket_id: UUID, payload: StatusIn) -> dict[str, Any]:
    """``waiting`` pauses the SLA clock, ``restored`` and ``solved`` meet their milestones."""
    ctx = ctx_of(request)
    ticket = ticket_get(ctx=ctx, public_id=ticket_id)
    return ticket_out(
        ticket_set_status(ctx=ctx, ticket_id=ticket.public_id, status=payload.status, detail=payload.detail)
    )


@router.get(
    "/support/representatives",
    response={200: list[RepresentativeOut], **ERROR_RESPONSES},
    operation_id="support_representative_list",
    summary="Your authorised representatives",
)
def representative_list_api(request: HttpRequest) -> list[Any]:
    """The people your agreement authorises to open tickets (PT-7.4)."""
    return list(representative_list(ctx=ctx_of(request)))


@router.post(
    "/support/maintenance",
    response={201: MaintenanceOut, **ERROR_RESPONSES},
    operation_id="support_maintenance_schedule",
    summary="Schedule planned maintenance (operator staff)",
)
def maintenance_schedule_api(request: HttpRequest, payload: MaintenanceIn):
    """Announced now to the affected customers; a start less than 24 hours away is refused (PT-6.7)."""
    notice: MaintenanceNotice = maintenance_schedule(
        ctx=ctx_of(request),
        title_en=payload.title_en,
        title_bg=payload.title_bg,
        text_en=payload.text_en,
        text_bg=payload.text_bg,
        service_codes=payload.services,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
    )
    return Status(201, notice)
