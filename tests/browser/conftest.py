"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Playwright's synchronous API keeps an asyncio loop running in the test's thread, and Django refuses ORM calls while a
loop runs there. The ``page`` fixture allows them (``DJANGO_ALLOW_ASYNC_UNSAFE``) only while its browser is open,
after the database is set up and before it is cleaned, so the rest of the suite keeps Django's guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from chromium import VIEWPORT, ConsoleProblems, launch
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import Page, sync_playwright

from trunkline.accounts.models import User


@pytest.fixture
def console_problems() -> ConsoleProblems:
    return ConsoleProblems()


@pytest.fixture
def page(live_server, transactional_db, monkeypatch, console_problems: ConsoleProblems) -> Iterator[Page]:
    """A fresh 1280×800 browser tab; the test fails if the console reports an error or a blocked resource."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(10_000)
        tab = console_problems.watch(context.new_page())
        yield tab
        context.close()
        browser.close()
        # While Playwright's loop runs, Django keeps this test's connections apart from the thread's own;
        # close them here, or the test database cannot be dropped at the end of the run.
        connections.close_all()
    assert console_problems.messages == []


@pytest.fixture
def sign_in_as(page: Page, live_server) -> Callable[[User], None]:
    """Give the browser a session of a user without going through the form (the form has its own test)."""

    def sign_in(user: User) -> None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])

    return sign_in
