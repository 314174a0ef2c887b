"""Root pytest configuration: database access for every test that asks, and small shared fixtures."""

from __future__ import annotations

import pytest

# Real Postfix + Dovecot on loopback: the ``mail_servers`` fixture and the ``mail`` marker.
pytest_plugins = ["trunkline.channels.testing_mail"]


POSTGRES_ONLY = "Needs PostgreSQL (row locks, SKIP LOCKED, concurrent writers); SQLite serialises writers. CI runs it."


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.postgres_only(reason=...)`` skips the test on SQLite with its reason (or a general one): the
    marker is the one place that decides, instead of a check at the top of each test."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    for item in items:
        marker = item.get_closest_marker("postgres_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=marker.kwargs.get("reason", POSTGRES_ONLY)))


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
