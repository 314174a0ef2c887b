"""Tickets through the services: who may open them, what they record, and their SLA clocks (PT-7.1 to PT-7.5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from trunkline.audit.models import AuditEvent
from trunkline.core.errors import MissingScopeError
from trunkline.notifications.models import Notice
from trunkline.support.errors import EscalationBackwardsError, NotRepresentativeError, TicketStatusChangeError
from trunkline.support.models import SlaTarget, Ticket, TicketStatus
from trunkline.support.selectors import ticket_get
from trunkline.support.services import (
    sla_escalations_process,
    sla_target_update,
    ticket_assign,
    ticket_escalate,
    ticket_note,
    ticket_open,
    ticket_reply,
    ticket_set_priority,
    ticket_set_status,
    ticket_staff_reply,
)
from trunkline.support.services.representatives import representatives_sync_from_agreement
from trunkline.support.services.tickets import ticket_pauses

from .conftest import sofia

pytestmark = pytest.mark.django_db


def open_ticket(ctx, priority="high", at=None, **changes):
    fields = {
        "subject": "Calls drop after 30 seconds",
        "description": "Since 08:40 every outgoing call drops after 30 seconds, for all 40 agents.",
        "priority": priority,
        "service_code": "telephony",
        "at": at or sofia(2026, 11, 23, 10, 0),
    }
    fields.update(changes)
    return ticket_open(ctx=ctx, **fields)


def due(ticket, milestone="response"):
    return ticket.deadlines.get(milestone=milestone).due_at


@pytest.mark.rule("PT-7.2")
def test_a_ticket_records_receipt_representative_and_nature(representative_ctx, django_capture_on_commit_callbacks):
    """The exact time received, the representative's name and the description are stored; three clocks start."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(representative_ctx, at=sofia(2026, 11, 23, 10, 0, 7))
    assert ticket.received_at == sofia(2026, 11, 23, 10, 0, 7)
    assert ticket.representative_name == "Maria Petrova"
    assert ticket.messages.get().body.startswith("Since 08:40 every outgoing call drops")
    assert ticket.status == TicketStatus.NEW
    assert {d.milestone: (d.target, d.due_at) for d in ticket.deadlines.all()} == {
        "response": ("8 h", sofia(2026, 11, 24, 9, 0, 7)),
        "restoration": ("3 d", sofia(2026, 11, 26, 10, 0, 7)),
        "solution": ("14 d", sofia(2026, 12, 11, 10, 0, 7)),
    }
    assert ticket.next_due_at == sofia(2026, 11, 24, 9, 0, 7)
    assert AuditEvent.objects.filter(action="support.ticket_opened").count() == 1
    [receipt] = Notice.objects.filter(kind="support.ticket_received")
    assert receipt.recipient == "maria@vitosha.example.com"
    assert receipt.subject.startswith(f"[TL#{ticket.number}]")


@pytest.mark.rule("PT-7.4")
def test_a_member_who_is_not_a_representative_cannot_open_a_ticket(colleague_ctx):
    """An administrator of the customer, but not on the agreement's list: refused, nothing stored."""
    with pytest.raises(NotRepresentativeError) as error:
        open_ticket(colleague_ctx)
    assert error.value.code == "support.not_representative"
    assert error.value.http_status == 403
    assert Ticket.objects.count() == 0


@pytest.mark.rule("PT-7.4")
def test_a_deactivated_representative_cannot_open_a_ticket(representative_ctx, representative, staff_ctx):
    """The customer withdrew Maria's authority; her next ticket is refused."""
    from trunkline.support.services import representative_deactivate

    representative_deactivate(ctx=staff_ctx, representative_id=representative.public_id)
    with pytest.raises(NotRepresentativeError):
        open_ticket(representative_ctx)


@pytest.mark.rule("PT-7.4")
def test_representatives_come_from_the_agreement_once(representative_member):
    """The agreement's list is copied into the register once; a second sync adds nothing."""
    organization = representative_member.organization
    assert representatives_sync_from_agreement(organization=organization) == 1
    assert representatives_sync_from_agreement(organization=organization) == 0


def test_operator_staff_cannot_open_customer_tickets(staff_ctx):
    """The operator is not a customer: it has no representatives."""
    with pytest.raises(NotRepresentativeError):
        open_ticket(staff_ctx)


def test_invalid_input_names_every_field(representative_ctx):
    """Empty subject and description, unknown priority, step and service: 422 with each field."""
    from trunkline.core.errors import ValidationFailedError

    with pytest.raises(ValidationFailedError) as error:
        open_ticket(
            representative_ctx, subject=" ", description="", priority="urgent", service_code="x", escalation_step="y"
        )
    assert sorted(error.value.fields) == ["description", "escalation_step", "priority", "service", "subject"]


@pytest.mark.rule("PT-7.1")
def test_critical_is_accepted_around_the_clock(representative_ctx):
    """Critical at Saturday 03:00: response due 04:00, the clock started at once."""
    ticket = open_ticket(representative_ctx, priority="critical", at=sofia(2026, 11, 21, 3, 0))
    assert ticket.clock_starts_at == sofia(2026, 11, 21, 3, 0)
    assert due(ticket) == sofia(2026, 11, 21, 4, 0)
    assert due(ticket, "restoration") == sofia(2026, 11, 21, 11, 0)


@pytest.mark.rule("PT-7.1")
def test_non_critical_out_of_hours_is_accepted_and_starts_at_the_next_opening(representative_ctx):
    """High at Saturday 03:00 is accepted; its clock starts Monday 09:00, and the customer is told so."""
    ticket = open_ticket(representative_ctx, priority="high", at=sofia(2026, 11, 21, 3, 0))
    assert ticket.received_at == sofia(2026, 11, 21, 3, 0)
    assert ticket.clock_starts_at == sofia(2026, 11, 23, 9, 0)
    assert due(ticket) == sofia(2026, 11, 23, 17, 0)


@pytest.mark.rule("PT-7.3")
def test_waiting_for_the_customer_pauses_and_the_reply_resumes(representative_ctx, staff_ctx):
    """High from Monday 09:00; waiting 11:00 Monday to 10:00 Tuesday; response due Tuesday 16:00."""
    ticket = open_ticket(representative_ctx, at=sofia(2026, 11, 23, 9, 0))
    ticket_set_status(ctx=staff_ctx, ticket_id=ticket.public_id, status="waiting", at=sofia(2026, 11, 23, 11, 0))
    ticket.refresh_from_db()
    assert due(ticket) is None
    assert ticket.next_due_at is None
    ticket_reply(
        ctx=representative_ctx, ticket_id=ticket.public_id, body="Here are the logs.", at=sofia(2026, 11, 24, 10, 0)
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert due(ticket) == sofia(2026, 11, 24, 16, 0)
    assert len(ticket_pauses(ticket)) == 1


@pytest.mark.rule("PT-7.3")
def test_an_incomplete_ticket_starts_its_clock_when_completed(representative_ctx, staff_ctx):
    """Staff mark the description incomplete: no deadlines; the representative's reply starts the clock."""
    ticket = open_ticket(representative_ctx, at=sofia(2026, 11, 23, 9, 0))
    ticket_set_status(ctx=staff_ctx, ticket_id=ticket.public_id, status="incomplete", at=sofia(2026, 11, 23, 9, 30))
    ticket.refresh_from_db()
    assert (ticket.complete_at, due(ticket), due(ticket, "solution")) == (None, None, None)
    ticket_reply(
        ctx=representative_ctx,
        ticket_id=ticket.public_id,
        body="Affects extension range 200-240, SIP trunk 2.",
        at=sofia(2026, 11, 25, 15, 0),
    )
    ticket.refresh_from_db()
    assert ticket.complete_at == sofia(2026, 11, 25, 15, 0)
    assert due(ticket) == sofia(2026, 11, 26, 14, 0)


def test_staff_reply_meets_the_response_milestone_and_notes_stay_internal(
    representative_ctx, staff_ctx, django_capture_on_commit_callbacks
):
    """The first public answer meets the response; an internal note is not shown to the customer."""
    ticket = open_ticket(representative_ctx, at=sofia(2026, 11, 23, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_staff_reply(ctx=staff_ctx, ticket_id=ticket.public_id, body="Looking.", at=sofia(2026, 11, 23, 9, 20))
    ticket_note(ctx=staff_ctx, ticket_id=ticket.public_id, body="Carrier issue?", at=sofia(2026, 11, 23, 9, 25))
    ticket.refresh_from_db()
    response = ticket.deadlines.get(milestone="response")
    assert (response.met_at, response.breached_at) == (sofia(2026, 11, 23, 9, 20), None)
    assert ticket.status == TicketStatus.OPEN
    from trunkline.support.selectors import ticket_thread

    assert [m.body for m in ticket_thread(ctx=representative_ctx, ticket=ticket)] == [
        "Since 08:40 every outgoing call drops after 30 seconds, for all 40 agents.",
        "Looking.",
    ]
    assert ticket_thread(ctx=staff_ctx, ticket=ticket).count() == 3
    assert Notice.objects.filter(kind="support.ticket_reply", recipient="maria@vitosha.example.com").count() == 1


def test_restored_and_solved_meet_their_milestones(representative_ctx, staff_ctx):
    """Temporarily restored meets restoration; solved meets the solution; a closed ticket refuses changes."""
    ticket = open_ticket(representative_ctx, at=sofia(2026, 11, 23, 9, 0))
    ticket_set_status(ctx=staff_ctx, ticket_id=ticket.public_id, status="restored", at=sofia(2026, 11, 23, 12, 0))
    ticket_set_status(ctx=staff_ctx, ticket_id=ticket.public_id, status="solved", at=sofia(2026, 11, 24, 12, 0))
    met = dict(ticket.deadlines.values_list("milestone", "met_at"))
    assert met == {
        "response": sofia(2026, 11, 23, 12, 0),
        "restoration": sofia(2026, 11, 23, 12, 0),
        "solution": sofia(2026, 11, 24, 12, 0),
    }
    ticket_set_status(ctx=staff_ctx, ticket_id=ticket.public_id, status="closed", at=sofia(2026, 11, 24, 13, 0))
    with pytest.raises(TicketStatusChangeError):
        ticket_set_status(ctx=staff_ctx, ticket_id=ticket.public_id, status="open")


def test_customers_cannot_change_status(representative_ctx):
    """Changing status is the support desk's work."""
    ticket = open_ticket(representative_ctx)
    with pytest.raises(MissingScopeError):
        ticket_set_status(ctx=representative_ctx, ticket_id=ticket.public_id, status="solved")


@pytest.mark.rule("PT-7.5")
def test_escalation_moves_forward_along_the_path_only(representative_ctx, staff_ctx):
    """Issue found → project manager → … → operator help desk; a step back is refused."""
    ticket = open_ticket(representative_ctx, escalation_step="issue_found")
    ticket = ticket_escalate(ctx=representative_ctx, ticket_id=ticket.public_id, step="infrastructure")
    assert ticket.escalation_step == "infrastructure"
    with pytest.raises(EscalationBackwardsError) as error:
        ticket_escalate(ctx=representative_ctx, ticket_id=ticket.public_id, step="project_manager")
    assert error.value.code == "support.escalation_backwards"
    ticket = ticket_escalate(ctx=staff_ctx, ticket_id=ticket.public_id, step="help_desk")
    assert list(ticket.events.filter(kind="escalated").values_list("detail", flat=True)) == [
        "infrastructure",
        "help_desk",
    ]


def test_priority_change_recomputes_the_deadlines(representative_ctx, staff_ctx):
    """Medium to Critical: the response is due an hour after the clock started."""
    ticket = open_ticket(representative_ctx, priority="medium", at=sofia(2026, 11, 23, 9, 0))
    ticket = ticket_set_priority(ctx=staff_ctx, ticket_id=ticket.public_id, priority="critical")
    assert due(ticket) == sofia(2026, 11, 23, 10, 0)


def test_a_target_change_recomputes_open_tickets(representative_ctx, staff_ctx, django_capture_on_commit_callbacks):
    """Targets are policy data: High response 8 h → 4 h moves the stored deadline."""
    ticket = open_ticket(representative_ctx, at=sofia(2026, 11, 23, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        sla_target_update(ctx=staff_ctx, priority="high", milestone="response", amount=4, unit="hours")
    assert SlaTarget.objects.get(priority="high", milestone="response").amount == 4
    assert due(ticket) == sofia(2026, 11, 23, 13, 0)


def test_the_job_warns_before_and_marks_the_breach(
    representative_ctx, staff_ctx, staff_member, django_capture_on_commit_callbacks
):
    """High from 09:00, response due 17:00: warnings at 15:24 (80 %) and 16:45; breach at 17:00; each once."""
    ticket = open_ticket(representative_ctx, at=sofia(2026, 11, 23, 9, 0))
    ticket_assign(ctx=staff_ctx, ticket_id=ticket.public_id, assignee_id=staff_member.user.pk)
    assert sla_escalations_process(at=sofia(2026, 11, 23, 15, 0)) == {"warned": 0, "breached": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_escalations_process(at=sofia(2026, 11, 23, 15, 25)) == {"warned": 1, "breached": 0}
        assert sla_escalations_process(at=sofia(2026, 11, 23, 15, 26)) == {"warned": 0, "breached": 0}
        assert sla_escalations_process(at=sofia(2026, 11, 23, 16, 46)) == {"warned": 1, "breached": 0}
        assert sla_escalations_process(at=sofia(2026, 11, 23, 17, 1)) == {"warned": 0, "breached": 1}
        assert sla_escalations_process(at=sofia(2026, 11, 23, 17, 2)) == {"warned": 0, "breached": 0}
    response = ticket.deadlines.get(milestone="response")
    assert response.breached_at == sofia(2026, 11, 23, 17, 0)
    assert Notice.objects.filter(kind="support.sla_warning", recipient="desk@example.com").count() == 2
    assert Notice.objects.filter(kind="support.sla_breached", recipient="desk@example.com").count() == 1
    assert list(ticket.events.filter(kind__in=["warned", "breached"]).values_list("kind", flat=True)) == [
        "warned",
        "warned",
        "breached",
    ]


def test_the_job_runs_on_the_real_clock(representative_ctx):
    """Without ``at`` the job reads core.clock (driven here by time-machine)."""
    open_ticket(representative_ctx, priority="critical", at=sofia(2026, 11, 21, 3, 0))
    with time_machine.travel(sofia(2026, 11, 21, 4, 1), tick=False):
        assert sla_escalations_process()["breached"] == 1


def test_another_organisations_ticket_is_not_found(representative_ctx):
    """A customer never reads another customer's ticket."""
    from trunkline.core.errors import NotFoundError
    from trunkline.testing.factories import ctx_for, member

    ticket = open_ticket(representative_ctx)
    stranger = ctx_for(member(kind="customer", role="admin"))
    with pytest.raises(NotFoundError):
        ticket_get(ctx=stranger, public_id=ticket.public_id)
    with pytest.raises(NotFoundError):
        ticket_reply(ctx=stranger, ticket_id=ticket.public_id, body="hi")


def test_breach_is_marked_when_met_late(representative_ctx, staff_ctx):
    """A response given after its deadline is met, and breached at the due time."""
    ticket = open_ticket(representative_ctx, at=sofia(2026, 11, 23, 9, 0))
    ticket_staff_reply(ctx=staff_ctx, ticket_id=ticket.public_id, body="Sorry.", at=sofia(2026, 11, 24, 9, 30))
    response = ticket.deadlines.get(milestone="response")
    assert response.met_at - response.due_at == timedelta(hours=16, minutes=30)
    assert response.breached_at == sofia(2026, 11, 23, 17, 0)
