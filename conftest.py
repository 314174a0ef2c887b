"""Root pytest configuration: database access for every test that asks, and small shared fixtures."""

from __future__ import annotations

import pytest

# Real Postfix + Dovecot on loopback: the ``mail_servers`` fixture and the ``mail`` marker.
pytest_plugins = ["trunkline.channels.testing_mail"]


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings, request):
    """Tasks run at once in tests, unless a test asks for the real database queue (marker ``task_queue``)."""
    if "task_queue" not in request.keywords:
        settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and caches never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A language a request activated (the sign-in middleware activates the user's) never leaks into the next test:
    every test starts, and ends, in the default language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
