"""The support API and pages: representatives only (PT-7.4), tenant isolation, the staff queue, reports, status."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from trunkline.core import clock
from trunkline.support.models import MaintenanceNotice, Ticket
from trunkline.support.services import ticket_open, ticket_set_status, ticket_staff_reply
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import api_key_for

from .conftest import sofia

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "subject": "SMS not delivered",
    "description": "Since 09:00 no SMS reaches Vivacom numbers.",
    "priority": "high",
    "service": "messaging",
}


def post(client, path, body, token):
    return client.post(
        path, data=json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.rule("PT-7.4")
def test_api_opens_a_ticket_for_a_representatives_key(representative_member):
    """A key made by a representative opens a ticket in her name; the response carries the deadlines."""
    token = api_key_for(representative_member, ["support:open"])
    response = post(Client(), "/api/v1/support/tickets", PAYLOAD, token)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["representative_name"], body["channel"], body["priority"]) == ("Maria Petrova", "api", "high")
    assert [d["milestone"] for d in body["deadlines"]] == ["response", "restoration", "solution"]
    assert body["messages"][0]["body"] == PAYLOAD["description"]


@pytest.mark.rule("PT-7.4")
def test_api_refuses_a_key_of_someone_who_is_not_a_representative(representative_member):
    """A key made by a colleague who is not on the agreement: 403 with the stable code, nothing stored."""
    from trunkline.testing.factories import member

    colleague = member(organization=representative_member.organization, role="admin", email="ivan@example.com")
    response = post(Client(), "/api/v1/support/tickets", PAYLOAD, api_key_for(colleague, ["support:open"]))
    assert response.status_code == 403
    assert response.json()["code"] == "support.not_representative"
    assert Ticket.objects.count() == 0


def test_ticket_endpoint_access_matrix(representative_member, representative_ctx):
    """Anonymous 401, without the scope 403, with it 200, another organisation 404."""
    ticket = ticket_open(
        ctx=representative_ctx, subject="x", description="y", priority="low", service_code=None, at=clock.now()
    )
    check_access_matrix(
        representative_member,
        lambda: Endpoint("GET", f"/api/v1/support/tickets/{ticket.public_id}", "support:open"),
        other_scopes=("organization:read",),
    )


def test_ticket_list_is_one_page_with_few_queries(
    representative_member, representative_ctx, django_assert_max_num_queries
):
    """The list costs a bounded number of queries whatever the number of tickets."""
    for number in range(5):
        ticket_open(ctx=representative_ctx, subject=f"T{number}", description="d", priority="low", at=clock.now())
    token = api_key_for(representative_member, ["support:open"])
    client = Client()
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/support/tickets", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["count"] == 5


@pytest.mark.rule("PT-6.7")
def test_api_refuses_maintenance_23_hours_ahead():
    """422 with the rule's code and the field named."""
    from trunkline.testing.factories import member

    token = api_key_for(member(kind="operator", role="admin"), ["support:handle"])
    starts = (clock.now() + timedelta(hours=23)).isoformat()
    body = {
        "title_en": "Upgrade",
        "title_bg": "Обновяване",
        "text_en": "Short outage.",
        "text_bg": "Кратко прекъсване.",
        "services": ["telephony"],
        "starts_at": starts,
    }
    response = post(Client(), "/api/v1/support/maintenance", body, token)
    assert response.status_code == 422
    assert response.json()["code"] == "support.maintenance_notice_too_late"
    assert "starts_at" in response.json()["detail"]["fields"]
    assert MaintenanceNotice.objects.count() == 0


# ---- pages ---------------------------------------------------------------------------------------------------------


@pytest.mark.rule("PT-7.4")
def test_representative_opens_a_ticket_with_the_web_form(representative_member):
    """The form shows the PT-7.6 guidance; a valid post stores the ticket with its attachment and shows it."""
    client = Client()
    client.force_login(representative_member.user)
    page = client.get("/app/support/new/")
    assert page.status_code == 200
    assert "The service is down or unusable for all users, with no workaround." in page.content.decode()
    response = client.post(
        "/app/support/new/",
        {
            "subject": "Softphone cannot register",
            "priority": "critical",
            "service": "telephony",
            "escalation_step": "help_desk",
            "description": "No agent can register since 02:10.",
            "attachments": [SimpleUploadedFile("trace.txt", b"REGISTER 401")],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/app/support/{ticket.public_id}/"
    assert ticket.messages.get().attachments.get().name == "trace.txt"
    detail = client.get(response["Location"]).content.decode()
    assert "SLA timeline" in detail
    assert "Softphone cannot register" in detail


@pytest.mark.rule("PT-7.4")
def test_the_web_form_refuses_someone_who_is_not_a_representative(representative_member):
    """A colleague sees the refusal; a post stores nothing."""
    from trunkline.testing.factories import member

    colleague = member(organization=representative_member.organization, role="admin", email="ivan@example.com")
    client = Client()
    client.force_login(colleague.user)
    page = client.get("/app/support/new/")
    assert page.status_code == 403
    assert "Only the authorised representatives" in page.content.decode()
    client.post(
        "/app/support/new/", {"subject": "x", "priority": "low", "description": "y", "escalation_step": "help_desk"}
    )
    assert Ticket.objects.count() == 0


def test_another_organisations_ticket_page_is_404(representative_ctx):
    """A stranger's URL guess answers 404."""
    from trunkline.testing.factories import member

    ticket = ticket_open(ctx=representative_ctx, subject="x", description="y", priority="low")
    client = Client()
    client.force_login(member(kind="customer", role="admin", accepted_terms=True).user)
    assert client.get(f"/app/support/{ticket.public_id}/").status_code == 404


def test_staff_queue_ticket_page_report_and_csv(representative_ctx, staff_member, staff_ctx):
    """The queue lists the open ticket; the staff page answers; the report and its CSV count the met milestone."""
    at = sofia(2026, 11, 2, 10, 0)
    ticket = ticket_open(ctx=representative_ctx, subject="Queue me", description="d", priority="high", at=at)
    ticket_staff_reply(ctx=staff_ctx, ticket_id=ticket.public_id, body="On it.", at=at + timedelta(minutes=20))
    ticket_set_status(ctx=staff_ctx, ticket_id=ticket.public_id, status="restored", at=at + timedelta(days=5))
    client = Client()
    client.force_login(staff_member.user)
    assert "Queue me" in client.get("/ops/support/").content.decode()
    page = client.get(f"/ops/support/{ticket.public_id}/")
    assert page.status_code == 200
    assert "Change status" in page.content.decode()
    report = client.get("/ops/support/reports/?from=2026-11&to=2026-11")
    assert report.status_code == 200
    csv_text = client.get("/ops/support/reports.csv?from=2026-11&to=2026-11").content.decode()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("month,priority,customer,response_met,response_total,response_percent")
    assert lines[1].startswith("2026-11,high,Vitosha Clinics,1,1,100.0,0,1,0.0")


def test_customers_do_not_enter_the_staff_queue(representative_member):
    """The back office answers 404 to a customer."""
    client = Client()
    client.force_login(representative_member.user)
    assert client.get("/ops/support/").status_code == 404


@pytest.mark.rule("PT-6.7")
def test_maintenance_page_refuses_23_hours_and_publishes_25(staff_member):
    """The staff form shows the rule's error beside the start; 25 hours ahead is published on the status page."""
    client = Client()
    client.force_login(staff_member.user)
    local = clock.local(clock.now(), "Europe/Sofia").replace(tzinfo=None, second=0, microsecond=0)
    form = {
        "action": "schedule",
        "kind": "maintenance",
        "title_en": "Database upgrade",
        "title_bg": "Обновяване на базата",
        "text_en": "Read-only for 10 minutes.",
        "text_bg": "Само четене за 10 минути.",
        "services": ["web", "api"],
        "starts_at": (local + timedelta(hours=23)).strftime("%Y-%m-%dT%H:%M"),
    }
    refused = client.post("/ops/support/maintenance/", form)
    assert refused.status_code == 422
    assert "must be announced at least 24 hours" in refused.content.decode()
    form["starts_at"] = (local + timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M")
    assert client.post("/ops/support/maintenance/", form).status_code == 302
    assert "Database upgrade" in Client().get("/status/").content.decode()


def test_the_queue_shows_the_in_app_sla_alerts(representative_ctx, staff_member):
    """A breached Critical response is counted on the staff queue."""
    from trunkline.support.services import sla_escalations_process

    ticket_open(ctx=representative_ctx, subject="Down", description="d", priority="critical", at=sofia(2026, 11, 21, 3))
    sla_escalations_process(at=sofia(2026, 11, 21, 5))
    client = Client()
    client.force_login(staff_member.user)
    assert "1 milestone breached · 0 milestones due soon" in client.get("/ops/support/").content.decode()
