"""The audit trail's filter uses htmx: the table is replaced in place and the address keeps the filter."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from trunkline.accounts.services import api_key_create, membership_add
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.browser
def test_the_audit_filter_updates_the_table_in_place(page: Page, live_server, sign_in_as):
    """Typing in the audit filter narrows the table without a page load, and the address keeps the filter."""
    admin = member(kind="customer", role="admin")
    for name in ("alpha", "beta"):
        api_key_create(ctx=ctx_for(admin), name=name, scopes=["members:read"])
    membership_add(ctx=ctx_for(admin), email="someone@example.com", role="agent")
    sign_in_as(admin.user)
    page.goto(f"{live_server.url}/app/audit/")
    page.evaluate("window.__loaded_once = true")
    expect(page.locator("#audit-results tbody tr")).to_have_count(3)
    page.fill("#action-filter", "api_key.")
    expect(page.locator("#audit-results tbody tr")).to_have_count(2)
    assert page.evaluate("window.__loaded_once") is True  # the same document: only the table was swapped
    assert "action=api_key." in page.url
