"""Signing in through the real form brings each kind of organisation to its own surface."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from trunkline.tenancy.models import Organization
from trunkline.testing.factories import PASSWORD, OrganizationFactory, member

pytestmark = pytest.mark.django_db(transaction=True)


def the_operator() -> Organization:
    """The operator organisation of the first migration; an earlier transactional test may have flushed it away."""
    return Organization.objects.filter(kind="operator").first() or OrganizationFactory(kind="operator", name="Operator")


@pytest.mark.browser
@pytest.mark.parametrize(
    ("kind", "role", "surface"),
    [("operator", "staff", "ops"), ("reseller", "admin", "reseller"), ("customer", "agent", "app")],
)
def test_sign_in_form_lands_on_the_surface_home(page: Page, live_server, kind: str, role: str, surface: str):
    """A person signs in with email and password and lands on the home page of their organisation's surface."""
    membership = member(kind=kind, role=role, organization=the_operator() if kind == "operator" else None)

    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(membership.user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/{surface}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(membership.organization.name)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Home")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("body")).to_have_class(f"surface-{surface}")
    expect(page.locator(".user-menu summary")).to_contain_text(membership.user.email)


@pytest.mark.browser
def test_wrong_password_keeps_the_person_on_the_sign_in_form(page: Page, live_server):
    """A wrong password shows the form again with an error and signs nobody in."""
    membership = member(kind="customer")

    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(membership.user.email)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("main").get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("The email address and/or password you specified are not correct.")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.locator(".user-menu")).to_have_count(0)
