"""Planned maintenance is announced at least 24 hours ahead (PT-6.7), and the public status page lists it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from trunkline.notifications.models import Notice
from trunkline.support.errors import MaintenanceNoticeTooLateError
from trunkline.support.models import MaintenanceNotice, SupportPolicy
from trunkline.support.selectors import status_page
from trunkline.support.services import incident_report, maintenance_cancel, maintenance_schedule
from trunkline.testing.factories import OrganizationFactory

from .conftest import sofia

pytestmark = pytest.mark.django_db
NOW = sofia(2026, 11, 23, 10, 0)


def schedule(ctx, starts_at, **changes):
    fields = {
        "title_en": "PBX software upgrade",
        "title_bg": "Обновяване на PBX",
        "text_en": "Calls may drop for up to 5 minutes.",
        "text_bg": "Разговорите може да прекъснат до 5 минути.",
        "service_codes": ["telephony"],
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "at": NOW,
    }
    fields.update(changes)
    return maintenance_schedule(ctx=ctx, **fields)


@pytest.fixture
def customers():
    return [
        OrganizationFactory.create(kind="customer", email="office@alpha.example.com", language="bg"),
        OrganizationFactory.create(kind="customer", email="office@beta.example.com"),
    ]


@pytest.mark.rule("PT-6.7")
def test_maintenance_23_hours_ahead_is_refused(staff_ctx, customers):
    """Less than 24 hours between the notice and the start: refused with a clear error, nothing stored or sent."""
    with pytest.raises(MaintenanceNoticeTooLateError) as error:
        schedule(staff_ctx, NOW + timedelta(hours=23))
    assert error.value.code == "support.maintenance_notice_too_late"
    assert error.value.http_status == 422
    assert error.value.message.startswith("Planned maintenance must be announced at least 24 hours before it starts.")
    assert "starts_at" in error.value.fields
    assert MaintenanceNotice.objects.count() == 0
    assert Notice.objects.count() == 0


@pytest.mark.rule("PT-6.7")
def test_maintenance_25_hours_ahead_sends_the_notices(staff_ctx, customers, django_capture_on_commit_callbacks):
    """25 hours ahead: stored, and every affected customer is sent a notice in its language."""
    with django_capture_on_commit_callbacks(execute=True):
        notice = schedule(staff_ctx, NOW + timedelta(hours=25))
    assert notice.notice_sent_at == NOW
    assert notice.notified_organizations == 2
    sent = {n.recipient: n for n in Notice.objects.filter(kind="support.maintenance_scheduled")}
    assert set(sent) == {"office@alpha.example.com", "office@beta.example.com"}
    assert "Обновяване на PBX" in sent["office@alpha.example.com"].body
    assert "PBX software upgrade" in sent["office@beta.example.com"].body
    assert all(n.status == "sent" for n in sent.values())


@pytest.mark.rule("PT-6.7")
def test_the_lead_time_is_policy_data(staff_ctx, customers):
    """With a 48-hour lead time set by the operator, 25 hours ahead is refused too."""
    SupportPolicy.objects.filter(pk=1).update(maintenance_notice_hours=48)
    with pytest.raises(MaintenanceNoticeTooLateError):
        schedule(staff_ctx, NOW + timedelta(hours=25))


def test_customers_cannot_schedule_maintenance(representative_ctx):
    """Only support staff schedule maintenance."""
    from trunkline.core.errors import MissingScopeError

    with pytest.raises(MissingScopeError):
        schedule(representative_ctx, NOW + timedelta(hours=30))


def test_status_page_lists_incidents_current_and_planned(staff_ctx, customers, time_machine):
    """An incident now, maintenance planned; cancelled maintenance disappears."""
    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)  # the page reads the real clock
    planned = schedule(staff_ctx, NOW + timedelta(hours=30))
    later = schedule(staff_ctx, NOW + timedelta(days=3))
    incident = incident_report(
        ctx=staff_ctx,
        title_en="SMS delays",
        title_bg="Забавяне на SMS",
        text_en="Investigating.",
        text_bg="Проучваме.",
        service_codes=["messaging"],
        at=NOW,
    )
    maintenance_cancel(ctx=staff_ctx, notice_id=later.public_id)
    page = status_page(at=NOW + timedelta(minutes=5))
    assert page["incidents"] == [incident]
    assert page["planned"] == [planned]
    assert page["current"] == []
    response = Client().get("/status/")
    assert response.status_code == 200
    assert "PBX software upgrade" in response.content.decode()
