"""A newcomer registers for the free plan, confirms through the emailed link and lands in the customer app; operator
staff provision a paid customer and walk an organisation through its lifecycle (PT-5.2, PT-5.4, PT-1.2, PT-5.5).

With ``TRUNKLINE_SCREENSHOTS=1`` the tests also save the pages for the docs (``docs/screenshots/registration*.png``
and ``ops-organization*.png``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from chromium import VIEWPORT
from django.core import mail
from playwright.sync_api import Page, expect

from trunkline.core import clock
from trunkline.onboarding.models import Registration
from trunkline.tenancy.models import Organization
from trunkline.terms.models import TermsAcceptance
from trunkline.terms.selectors import legal_document_for_kind, terms_version_current_for_kind
from trunkline.terms.services import legal_document_create, terms_version_publish
from trunkline.testing.factories import OrganizationFactory, ctx_for, member

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/register/password/\S+/)")
DOCUMENTS = [
    ("platform-terms", "platform_terms", "customer", "Platform general terms"),
    ("privacy-notice", "privacy_notice", "all", "Privacy notice"),
]


def shoot(page: Page, name: str) -> None:
    if os.environ.get("TRUNKLINE_SCREENSHOTS"):
        page.set_viewport_size(VIEWPORT)  # a full-page shot before may have left the page taller
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def the_operator() -> Organization:
    """The operator organisation of the first migration; an earlier transactional test may have flushed it away."""
    return Organization.objects.filter(kind="operator").first() or OrganizationFactory(kind="operator", name="Operator")


def terms_in_force() -> None:
    """The documents of the terms app's data migration, published again if a transactional test flushed them."""
    ctx = ctx_for(member(kind="operator", role="admin", organization=the_operator()))
    for slug, kind, audience, title in DOCUMENTS:
        if terms_version_current_for_kind(kind=kind) is not None:
            continue
        document = legal_document_for_kind(kind=kind) or legal_document_create(
            ctx=ctx, slug=slug, title=title, kind=kind, audience=audience
        )
        terms_version_publish(
            ctx=ctx, document_id=document.public_id, language="en", text=f"# {title}\n", effective_at=clock.now()
        )


@pytest.mark.browser
@pytest.mark.rule("PT-5.2")
@pytest.mark.rule("PT-5.4")
@pytest.mark.rule("PT-1.2")
def test_a_newcomer_registers_confirms_by_email_and_lands_in_the_app(page: Page, live_server):
    """Registration form → emailed link → password → /app/; the acceptance evidence shows hash, IP and browser."""
    terms_in_force()
    user_agent = page.evaluate("navigator.userAgent")

    page.goto("/register/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register for the free plan")
    page.get_by_label("First name").fill("Elena")
    page.get_by_label("Last name").fill("Stoyanova")
    page.get_by_label("Email").fill("elena@rila-travel.example")
    page.get_by_label("Phone").fill("088 123 4567")
    page.get_by_label("Company").fill("Rila Travel")
    page.get_by_label("Website").fill("rila-travel.example")
    page.get_by_label("Employees who serve end users").fill("12")
    page.get_by_label("Country").select_option("BG")
    page.get_by_label("I accept the platform terms and the privacy notice.").check()
    expect(page.get_by_role("link", name="platform terms")).to_have_attribute("href", "/terms/platform-terms/")
    expect(page.get_by_role("link", name="privacy notice")).to_have_attribute("href", "/terms/privacy-notice/")
    shoot(page, "registration.png")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    shoot(page, "registration-sent.png")
    [message] = mail.outbox
    assert message.to == ["elena@rila-travel.example"]
    found = LINK.search(str(message.body))
    assert found is not None

    page.goto(found.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set your password")
    expect(page).to_have_url(re.compile(r"/register/password/\w+/set-password/$"))
    page.get_by_label("New password", exact=True).fill("a-long-new-secret-42")
    page.get_by_label("New password confirmation").fill("a-long-new-secret-42")
    shoot(page, "registration-password.png")
    page.get_by_role("button", name="Set password and start").click()

    expect(page).to_have_url(f"{live_server.url}/app/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rila Travel")
    expect(page.locator(".messages")).to_contain_text("Your password is set and your free plan has started.")
    registration = Registration.objects.get()
    assert registration.organization.status == "active"
    acceptances = list(TermsAcceptance.objects.for_org(registration.organization).select_related("version"))
    assert sorted(a.version.document.kind for a in acceptances) == ["platform_terms", "privacy_notice"]
    for acceptance in acceptances:
        assert (acceptance.method, acceptance.ip, acceptance.user_agent) == ("registration", "127.0.0.1", user_agent)
        assert acceptance.sha256 == acceptance.version.sha256

    receipt = page.request.get("/app/terms/receipt/")  # the printable evidence, read with the new session
    assert receipt.status == 200
    for acceptance in acceptances:
        assert acceptance.sha256 in receipt.text()
    assert "127.0.0.1" in receipt.text()
    assert user_agent in receipt.text()


@pytest.mark.browser
@pytest.mark.rule("PT-5.5")
@pytest.mark.rule("PT-6.3")
def test_staff_provision_a_paid_customer_and_suspend_it(page: Page, live_server, sign_in_as, console_problems):
    """Creating the organisation is refused until the agreement is complete; then staff suspend it on its page."""
    terms_in_force()
    staff = member(kind="operator", role="staff", organization=the_operator())
    sign_in_as(staff.user)

    page.goto("/ops/organizations/new/customer/")
    page.get_by_label("Customer (company name)").fill("Vitosha Clinics")
    page.get_by_label("Registered country").select_option("BG")
    page.get_by_label("Account email").fill("office@vitosha-clinics.example")
    page.get_by_label("Plan").fill("Business")
    page.get_by_label("Agreement number").fill("AG-2026-014")
    page.get_by_role("button", name="Create the organisation").click()

    expect(page.get_by_role("alert").first).to_contain_text("The agreement is not complete yet")
    expect(page.locator("#id_term_start_error")).to_have_text("Required before the organisation can be created.")
    shoot(page, "ops-organization-agreement.png")
    assert not Organization.objects.filter(kind="customer").exists()
    refused = (
        f"error: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity) ({page.url})"
    )
    assert console_problems.messages == [refused]  # the refusal is a 422 on purpose
    console_problems.messages.clear()

    page.get_by_label("Term start").fill("2026-12-01")
    page.get_by_label("Term end").fill("2027-11-30")
    page.get_by_label("Signed on").fill("2026-11-20")
    page.get_by_label("Monthly price").fill("249.00")
    page.locator("#id_representatives-0-name").fill("Maria Petrova")
    page.locator("#id_representatives-0-email").fill("maria@vitosha-clinics.example")
    page.locator("#id_representatives-0-phone").fill("0888 765 432")
    page.get_by_role("button", name="Create the organisation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Vitosha Clinics")
    expect(page.locator("#organization-status")).to_have_text("Active")
    page.get_by_label("Ground").first.select_option("non_payment")
    page.locator("#id_suspend-reason").fill("Invoice 0000000042 is 30 days overdue")
    page.get_by_role("button", name="Suspend").click()

    expect(page.locator("#organization-status")).to_have_text("Suspended")
    expect(page.locator("#status-reason")).to_have_text("Invoice 0000000042 is 30 days overdue")
    expect(page.locator("#status-actor")).to_have_text(staff.user.email)
    expect(page.get_by_role("cell", name="organization.suspended")).to_be_visible()
    shoot(page, "ops-organization-lifecycle.png")
