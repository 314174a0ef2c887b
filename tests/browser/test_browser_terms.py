"""The terms gate and the public history in a real browser (RT-2.1, RT-2.6).

With ``TRUNKLINE_SCREENSHOTS=1`` the tests also save docs/screenshots/terms-accept.png and terms-history-diff.png.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path
from playwright.sync_api import Page, expect

from trunkline.core import clock
from trunkline.terms.gate import terms_required
from trunkline.terms.models import LegalDocument, TermsAcceptance
from trunkline.terms.services import terms_version_publish
from trunkline.terms.tests.documents import ensure_documents
from trunkline.testing.factories import OrganizationFactory, ctx_for, member
from trunkline.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@terms_required("platform_terms")
def inbox(request: HttpRequest) -> HttpResponse:
    return HttpResponse('<!doctype html><link rel="icon" href="data:,"><title>Inbox</title><h1>Inbox</h1>')


urlpatterns = [path("app/inbox-for-test/", inbox), *site_urlpatterns]


def shoot(page: Page, name: str) -> None:
    if os.environ.get("TRUNKLINE_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.mark.browser
@pytest.mark.rule("RT-2.1")
@pytest.mark.rule("RT-2.6")
@pytest.mark.urls(__name__)
def test_the_gate_shows_the_terms_records_i_agree_and_continues(page: Page, live_server, sign_in_as):
    """A customer opening a gated page sees the terms first; "I agree" records the click with the text's hash,
    the address and the browser, then the page they wanted opens."""
    ensure_documents()
    organization = OrganizationFactory.create(name="Sofia Dental Clinic", kind="customer", language="en")
    admin = member(organization=organization, role="admin", first_name="Maria", last_name="Ivanova")
    sign_in_as(admin.user)
    page.goto(f"{live_server.url}/app/inbox-for-test/")
    expect(page).to_have_url(f"{live_server.url}/terms/platform-terms/accept/?next=%2Fapp%2Finbox-for-test%2F")
    expect(page.get_by_role("heading", name="Platform general terms, version 1")).to_be_visible()
    shoot(page, "terms-accept.png")
    page.get_by_role("button", name="I agree").click()
    expect(page).to_have_url(f"{live_server.url}/app/inbox-for-test/")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    acceptance = TermsAcceptance.objects.get()
    assert acceptance.organization == organization
    assert (acceptance.method, acceptance.person) == ("click", admin.user)
    assert acceptance.sha256 == acceptance.version.sha256
    assert acceptance.ip == "127.0.0.1"
    assert "Chrome" in acceptance.user_agent


@pytest.mark.browser
def test_the_history_links_to_a_readable_diff(page: Page, live_server):
    """The public history of the platform terms links each version to what changed from the one before."""
    ensure_documents()
    document = LegalDocument.objects.get(kind="platform_terms")
    old = document.versions.get(number=1, language="en").text
    new = (
        old.replace("version 1", "version 2")
        .replace(
            "This is a placeholder text. The operator replaces it with the real terms before customers sign up.\n\n", ""
        )
        .replace("are billed as agreed", "are billed monthly in advance, as agreed")
        + "6. **Support.** Support requests are answered on working days, within one business day.\n"
    )
    staff = ctx_for(member(kind="operator", role="staff"))
    terms_version_publish(
        ctx=staff,
        document_id=document.public_id,
        language="en",
        text=new,
        effective_at=clock.now() + timedelta(days=14),
    )
    page.goto(f"{live_server.url}/terms/platform-terms/history/")
    expect(page.get_by_role("cell", name="Version 2 Upcoming")).to_be_visible()
    page.get_by_role("link", name="Compare 1 → 2").click()
    expect(page).to_have_url(f"{live_server.url}/terms/platform-terms/diff/1/2/?language=en")
    expect(page.locator(".terms-diff ins").first).to_be_visible()
    expect(page.locator(".terms-diff")).to_contain_text("monthly in advance,")
    shoot(page, "terms-history-diff.png")
