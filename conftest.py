"""Root pytest configuration: database access for every test that asks, and small shared fixtures."""

from __future__ import annotations

import pytest
from django.core import mail


@pytest.fixture(autouse=True)
def _outbox_is_empty(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings, request):
    """Tasks run at once in tests, unless a test asks for the real database queue (marker ``task_queue``)."""
    if "task_queue" not in request.keywords:
        settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
