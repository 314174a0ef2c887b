"""Policy numbers are data staff edit: targets, thresholds, lead time, calendar days, representatives."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from trunkline.core.errors import ValidationFailedError
from trunkline.support.models import (
    BusinessCalendarRecord,
    Representative,
    SlaTarget,
    SlaWarningThreshold,
    SupportPolicy,
)
from trunkline.support.services import (
    calendar_day_add,
    calendar_day_remove,
    support_policy_update,
    ticket_open,
)

from .conftest import sofia

pytestmark = pytest.mark.django_db


def test_seeded_policy_is_the_rules_table():
    """Migration 0002 seeds PT-7.2's targets, 80 % / 15 min warnings and the 24-hour lead time."""
    targets = {(t.priority, t.milestone): f"{t.amount} {t.unit}" for t in SlaTarget.objects.all()}
    assert targets[("critical", "response")] == "1 hours"
    assert targets[("low", "solution")] == "40 days"
    assert len(targets) == 12
    assert sorted(str(t) for t in SlaWarningThreshold.objects.all()) == ["15 min", "80 %"]
    assert SupportPolicy.current().maintenance_notice_hours == 24


def test_an_extra_holiday_moves_open_deadlines_and_removing_it_moves_them_back(
    representative_ctx, staff_ctx, django_capture_on_commit_callbacks
):
    """Monday 23 Nov declared a holiday: a High ticket from Friday 17:30 is due Tuesday 16:30; removed, Monday."""
    ticket = ticket_open(
        ctx=representative_ctx, subject="x", description="y", priority="high", at=sofia(2026, 11, 20, 17, 30)
    )
    business = BusinessCalendarRecord.objects.get(name="Business BG")
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_add(ctx=staff_ctx, calendar_id=business.public_id, day=date(2026, 11, 23), kind="holiday")
    assert ticket.deadlines.get(milestone="response").due_at == sofia(2026, 11, 24, 16, 30)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_remove(ctx=staff_ctx, calendar_id=business.public_id, day=date(2026, 11, 23))
    assert ticket.deadlines.get(milestone="response").due_at == sofia(2026, 11, 23, 16, 30)


def test_a_decreed_working_saturday_counts(representative_ctx, staff_ctx, django_capture_on_commit_callbacks):
    """Saturday 21 Nov decreed a working day: Friday 17:30 + 8 h is due Saturday 16:30."""
    business = BusinessCalendarRecord.objects.get(name="Business BG")
    calendar_day_add(ctx=staff_ctx, calendar_id=business.public_id, day=date(2026, 11, 21), kind="working_day")
    ticket = ticket_open(
        ctx=representative_ctx, subject="x", description="y", priority="high", at=sofia(2026, 11, 20, 17, 30)
    )
    assert ticket.deadlines.get(milestone="response").due_at == sofia(2026, 11, 21, 16, 30)


@pytest.mark.rule("PT-6.7")
def test_the_lead_time_cannot_go_below_the_rule(staff_ctx):
    """23 hours is refused: the rules require 24."""
    with pytest.raises(ValidationFailedError) as error:
        support_policy_update(
            ctx=staff_ctx, maintenance_notice_hours=23, team_email="", warning_percents=[80], warning_minutes=[15]
        )
    assert "maintenance_notice_hours" in error.value.fields


def test_policy_page_saves_thresholds_and_targets(staff_member):
    """The staff page changes the warnings and a target."""
    client = Client()
    client.force_login(staff_member.user)
    assert client.get("/ops/support/policy/").status_code == 200
    response = client.post(
        "/ops/support/policy/",
        {
            "action": "policy",
            "maintenance_notice_hours": "48",
            "team_email": "Desk@Example.com",
            "warning_percents": "50, 90",
            "warning_minutes": "30",
        },
    )
    assert response.status_code == 302
    assert sorted(str(t) for t in SlaWarningThreshold.objects.all()) == ["30 min", "50 %", "90 %"]
    assert SupportPolicy.current().team_email == "desk@example.com"
    client.post(
        "/ops/support/policy/", {"action": "targets", "high-response-amount": "4", "high-response-unit": "hours"}
    )
    assert SlaTarget.objects.get(priority="high", milestone="response").amount == 4


@pytest.mark.rule("PT-7.4")
def test_representatives_page_lists_adds_and_withdraws(representative_member, staff_member):
    """The agreement's representative is listed; staff add one and withdraw her."""
    client = Client()
    client.force_login(staff_member.user)
    page = client.get("/ops/support/representatives/")
    assert "maria@vitosha.example.com" in page.content.decode()
    organization = representative_member.organization
    response = client.post(
        "/ops/support/representatives/",
        {
            "action": "add",
            "organization": str(organization.public_id),
            "name": "Nikola Iliev",
            "email": "nikola@example.com",
            "phone": "",
        },
    )
    assert response.status_code == 302
    maria = Representative.objects.get(email="maria@vitosha.example.com")
    client.post("/ops/support/representatives/", {"action": "deactivate", "representative": str(maria.public_id)})
    assert sorted(Representative.objects.filter(is_active=True).values_list("email", flat=True)) == [
        "nikola@example.com"
    ]
