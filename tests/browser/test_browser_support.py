"""A representative opens a ticket in the browser and sees its SLA timeline; staff see it in the queue (PT-7.4)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from trunkline.commerce.models import Agreement, AgreementRepresentative
from trunkline.support.tests.conftest import seed_support_policy
from trunkline.testing.factories import member, operator_organization

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.browser
@pytest.mark.rule("PT-7.4")
def test_representative_opens_a_ticket_and_staff_see_it_in_the_queue(page: Page, sign_in_as, live_server):
    """The form shows the priority guidance; the new ticket shows three running clocks; the queue lists it."""
    seed_support_policy()
    maria = member(kind="customer", role="admin", email="maria@clinic.example.com", accepted_terms=True)
    agreement = Agreement.objects.create(customer_name="Clinic", organization=maria.organization)
    AgreementRepresentative.objects.create(
        agreement=agreement, name="Maria Petrova", email="maria@clinic.example.com", phone="+359888765432"
    )
    sign_in_as(maria.user)
    page.goto("/app/support/")
    page.get_by_role("link", name="Open a ticket").click()
    expect(page.get_by_text("The service is down or unusable for all users, with no workaround.")).to_be_visible()
    page.get_by_label("Subject").fill("Softphone cannot register")
    page.get_by_label("Critical").check()
    page.get_by_label("Affected service").select_option("telephony")
    page.get_by_label("Description").fill("No agent can register since 02:10.")
    page.get_by_role("button", name="Send the ticket").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Softphone cannot register")
    expect(page.locator(".sla-milestone")).to_have_count(3)
    expect(page.locator(".sla-state-running")).to_have_count(3)

    page.context.clear_cookies()
    staff = member(kind="operator", role="support", organization=operator_organization())
    sign_in_as(staff.user)
    page.goto("/ops/support/")
    expect(page.get_by_role("link", name="Softphone cannot register")).to_be_visible()
    expect(page.locator("td.priority-critical")).to_have_text("Critical")
