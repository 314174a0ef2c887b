"""Demo data of the support desk (idempotent): representatives, tickets over the last months with met, late and
running milestones, planned maintenance and an incident. Called by the web app's ``demo_data`` command."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.support.models import MaintenanceNotice, Representative, Ticket, TicketChannel
from trunkline.support.services.maintenance import incident_report, maintenance_schedule
from trunkline.support.services.tickets import (
    sla_escalations_process,
    ticket_assign,
    ticket_create_for,
    ticket_set_status,
    ticket_staff_reply,
)
from trunkline.tenancy.models import Membership, Organization
from trunkline.tenancy.roles import scopes_of

CUSTOMER = "Sofia Dental Clinic"
REPRESENTATIVES = [
    ("Maria Ivanova", "admin@sofiadental.example", "+359888123456"),
    ("Georgi Kolev", "it@sofiadental.example", "+359887654321"),
]
# subject, priority, service, days ago received, minutes to first answer, hours to restore, hours to solve, status
HISTORY = [
    ("Reception phones ring but cannot answer", "critical", "telephony", 75, 20, 12, 40, "closed"),
    ("SMS reminders go out twice", "high", "messaging", 68, 90, 20, 100, "closed"),
    ("Invoice PDF shows the old address", "low", "billing", 60, 600, None, 300, "closed"),
    ("Softphone licence not activating on a new PC", "medium", "licensing", 52, 240, 30, 120, "closed"),
    ("Calls drop after 30 seconds", "high", "telephony", 40, 2000, 50, 200, "closed"),
    ("API returns 500 on contact import", "high", "api", 33, 45, 10, 500, "closed"),
    ("Web chat widget not loading on the booking page", "medium", "web", 25, 300, 70, 400, "solved"),
    ("Viber messages arrive late", "medium", "messaging", 18, 200, None, None, "waiting"),
    ("Queue statistics empty for Monday", "low", "telephony", 9, 120, None, None, "open"),
    ("Recording of calls stopped", "high", "telephony", 2, None, None, None, "new"),
    ("All lines down at the Lozenets branch", "critical", "telephony", 0, None, None, None, "new"),
]


def _staff_ctx() -> RequestContext | None:
    operator = Organization.objects.filter(kind="operator").first()
    staff = Membership.objects.filter(organization=operator, role="admin").select_related("user").first()
    if operator is None or staff is None:
        return None
    return RequestContext(organization=operator, scopes=scopes_of("operator", "admin"), user=staff.user)


def _at_office_hour(day: datetime, hour: int) -> datetime:
    local = clock.local(day, "Europe/Sofia").replace(hour=hour, minute=17, second=0, microsecond=0)
    return local


def support_demo_load() -> None:
    customer = Organization.objects.filter(name=CUSTOMER, kind="customer").first()
    ctx = _staff_ctx()
    if customer is None or ctx is None or Ticket.objects.filter(organization=customer).exists():
        return
    now = clock.now()
    with transaction.atomic():
        for name, email, phone in REPRESENTATIVES:
            Representative.objects.get_or_create(
                organization=customer, email=email, defaults={"name": name, "phone": phone}
            )
        maria = Representative.objects.get(organization=customer, email="admin@sofiadental.example")
        for index, (subject, priority, service, days, answer, restore, solve, status) in enumerate(HISTORY):
            received = _at_office_hour(now - timedelta(days=days), 10 + index % 6)
            if received > now:
                received = now - timedelta(minutes=40)
            ticket = ticket_create_for(
                representative=maria,
                subject=subject,
                description=f"{subject}. Noticed this morning; affects the front desk.",
                priority=priority,
                channel=TicketChannel.WEB if index % 3 else TicketChannel.EMAIL,
                service_code=service,
                at=received,
            )
            ticket_assign(ctx=ctx, ticket_id=ticket.public_id, assignee_id=ctx.user.pk if ctx.user else None)
            if answer is not None:
                ticket_staff_reply(
                    ctx=ctx,
                    ticket_id=ticket.public_id,
                    body="Thank you, we are looking into it.",
                    at=received + timedelta(minutes=answer),
                )
            if restore is not None:
                ticket_set_status(
                    ctx=ctx, ticket_id=ticket.public_id, status="restored", at=received + timedelta(hours=restore)
                )
            if solve is not None:
                ticket_set_status(
                    ctx=ctx, ticket_id=ticket.public_id, status="solved", at=received + timedelta(hours=solve)
                )
            if status == "closed":
                ticket_set_status(
                    ctx=ctx,
                    ticket_id=ticket.public_id,
                    status="closed",
                    at=received + timedelta(hours=(solve or 0) + 1),
                )
            elif status == "waiting":
                ticket_set_status(
                    ctx=ctx,
                    ticket_id=ticket.public_id,
                    status="waiting",
                    detail="Please send a screenshot of the Viber delivery report.",
                    at=received + timedelta(minutes=(answer or 0) + 30),
                )
        sla_escalations_process(at=now)
        if not MaintenanceNotice.objects.exists():
            maintenance_schedule(
                ctx=ctx,
                title_en="PBX software upgrade",
                title_bg="Обновяване на софтуера на PBX",
                text_en="Calls in progress may drop once; new calls connect normally after 2 minutes.",
                text_bg="Текущите разговори може да прекъснат веднъж; новите се свързват нормално след 2 минути.",
                service_codes=["telephony"],
                starts_at=_at_office_hour(now + timedelta(days=3), 22),
                ends_at=_at_office_hour(now + timedelta(days=3), 23),
                at=now,
            )
            incident_report(
                ctx=ctx,
                title_en="Delayed SMS to one mobile network",
                title_bg="Забавени SMS към една мобилна мрежа",
                text_en="SMS to one network arrive up to 10 minutes late. The carrier is working on it.",
                text_bg="SMS към една мрежа пристигат със закъснение до 10 минути. Операторът работи по проблема.",
                service_codes=["messaging"],
                at=now,
            )
