"""The real task queue (django-tasks-db) and the scheduler (django-crontask), end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from crontask import scheduler
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from trunkline.accounts.models import ApiKey, IdempotencyRecord
from trunkline.accounts.services import api_key_revoke, membership_add
from trunkline.accounts.tasks import credentials_purge_task, invitation_send_task
from trunkline.core import clock
from trunkline.tenancy.models import Membership
from trunkline.testing.factories import api_key_for, ctx_for, member

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.task_queue
@pytest.mark.django_db(transaction=True)
def test_a_service_enqueues_and_the_worker_delivers():
    """Adding a member queues the invitation in the database on commit; one worker pass sends it exactly once."""
    admin = member(role="admin")
    added = membership_add(ctx=ctx_for(admin), email="queued@example.com", role="agent")
    assert DBTaskResult.objects.ready().count() == 1
    assert mail.outbox == []
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert [message.to for message in mail.outbox] == [["queued@example.com"]]
    assert Membership.objects.get(pk=added.pk).invitations_sent == 1
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


@pytest.mark.django_db
def test_the_purge_job_is_scheduled_and_forgets_only_what_expired():
    """The scheduler knows the purge job; it removes keys revoked over 90 days ago and stale idempotency records."""
    assert any(job.name.endswith("credentials_purge_task") for job in scheduler.get_jobs())
    admin = member(role="admin")
    api_key_for(admin, ["members:read"])
    old, recent = ApiKey.objects.get(), None
    now = clock.now()
    api_key_revoke(ctx=ctx_for(admin), api_key_id=old.public_id, at=now - timedelta(days=91))
    api_key_for(admin, ["members:read"])
    recent = ApiKey.objects.exclude(pk=old.pk).get()
    api_key_revoke(ctx=ctx_for(admin), api_key_id=recent.public_id, at=now - timedelta(days=89))
    IdempotencyRecord.objects.create(
        principal="user:1", key="old", fingerprint="x", created_at=now - timedelta(hours=25)
    )
    IdempotencyRecord.objects.create(principal="user:1", key="new", fingerprint="x", created_at=now)
    result = credentials_purge_task.call()
    assert result == {"api_keys": 1, "idempotency_records": 1}
    assert list(ApiKey.objects.values_list("pk", flat=True)) == [recent.pk]
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.postgres_only(reason="SQLite has no row locks to skip; the embedded setup runs one worker (see docs/adr).")
@pytest.mark.task_queue
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_task():
    """On PostgreSQL two worker processes drain one queue; every task runs exactly once (SKIP LOCKED)."""
    admin = member(role="admin")
    memberships = [member(organization=admin.organization, role="agent") for _ in range(40)]
    for membership in memberships:
        invitation_send_task.enqueue(membership_id=membership.pk)
    database = settings.DATABASES["default"]
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    url = f"postgresql://{database['USER'] or 'postgres'}@{host}/{database['NAME']}"
    environment = {**os.environ, "DATABASE_URL": url, "EMAIL_URL": "memory:", "TRUNKLINE_ENV": "test"}
    command = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--batch", "--no-startup-delay", "--no-reload"]
    workers = [subprocess.Popen(command, env=environment, cwd=ROOT) for _ in range(2)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    counts = sorted(
        Membership.objects.filter(pk__in=[m.pk for m in memberships]).values_list("invitations_sent", flat=True)
    )
    assert counts == [1] * 40
    results = DBTaskResult.objects.all()
    assert results.count() == 40
    assert set(results.values_list("status", flat=True)) == {"SUCCESSFUL"}


@pytest.mark.django_db
def test_readiness_reports_a_stale_backlog():
    """/readyz is 200 when all is well and 503 when tasks have waited over five minutes (no worker running)."""
    from django.test import Client

    client = Client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"]["ok"] is True
    assert ready.json()["checks"]["channel_layer"]["ok"] is True
    with time_machine.travel(clock.now() - timedelta(minutes=10)):
        DBTaskResult.objects.create(
            task_path="trunkline.accounts.tasks.credentials_purge_task",
            args_kwargs={"args": [], "kwargs": {}},
            backend_name="default",
            queue_name="default",
            priority=0,
        )
    stale = client.get("/readyz")
    assert stale.status_code == 503
    assert stale.json()["checks"]["task_backlog"] == {
        "ok": False,
        "waiting": 1,
        "oldest_enqueued_at": stale.json()["checks"]["task_backlog"]["oldest_enqueued_at"],
    }
    assert client.get("/healthz").json() == {"status": "ok"}
