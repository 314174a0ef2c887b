"""CSV import of end users by a background task (issue 7, item 3; RT-4.3): per-row progress, a per-row error report,
tenant isolation of the import, and a task that never creates a row twice."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.licensing.models import EndUser, EndUserImport, EndUserImportStatus
from trunkline.licensing.selectors import end_user_import_get
from trunkline.licensing.services import end_user_import_batch, end_user_import_start
from trunkline.licensing.tasks import end_user_import_task
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db

CSV = (
    b"name,email,phone,address,affiliated,reference\n"
    b"Ana Petrova,ana@example.com,+35921234567,Sofia,no,A1\n"
    b",ana-at-example,,,maybe,A2\n"
    b"Boris,boris@example.com,12,,yes,A3\n"
    b"Vera,vera@example.com,,Plovdiv,yes,A4\n"
    b"Georgi,georgi@example.com,,,independent,A5\n"
)
REPORT = [
    {
        "row": 3,
        "message": "name: Give the end user's name.; "
        "email: Give a valid email address; the license key is sent there.; "
        "affiliated: Choose whether the end user is an Affiliated Party or an independent third party.",
    },
    {"row": 4, "message": "phone: Give a valid phone number, e.g. +359 2 123 4567."},
]


@pytest.fixture
def portal():
    reseller = member(kind="reseller", role="admin", accepted_terms=True)
    client = Client()
    client.force_login(reseller.user)
    return client, reseller


@pytest.mark.rule("RT-4.3")
def test_an_import_with_good_and_bad_rows_counts_and_reports_each_row(portal, django_capture_on_commit_callbacks):
    """Upload → stored import → task: three end users created, the two bad lines reported exactly."""
    client, reseller = portal
    upload = SimpleUploadedFile("users.csv", CSV, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/reseller/licensing/end-users/", {"action": "import", "file": upload})
    record = EndUserImport.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/reseller/licensing/end-users/imports/{record.public_id}/"
    assert (record.status, record.rows_total, record.rows_done, record.created) == (EndUserImportStatus.DONE, 5, 5, 3)
    assert record.errors == REPORT
    assert record.file_name == "users.csv"
    assert sorted(
        EndUser.objects.filter(organization=reseller.organization).values_list("external_reference", flat=True)
    ) == ["A1", "A4", "A5"]
    page = client.get(answer["Location"]).content.decode()
    assert "Done: 3 of 5 rows imported." in page
    assert "2 rows were refused" in page
    assert "Give a valid phone number, e.g. +359 2 123 4567." in page
    assert 'hx-trigger="every 1s"' not in page  # finished: the page stops polling
    finished = AuditEvent.objects.get(action="licensing.end_user_import_finished")
    assert finished.changes == {"rows": 5, "created": 3, "refused": 2}
    assert finished.actor == reseller.user


def test_the_progress_partial_shows_rows_done_of_total_while_it_runs(portal):
    """Before and between batches the partial polls every second with a determinate bar; done, it shows the report."""
    client, reseller = portal
    record = end_user_import_start(ctx=ctx_for(reseller), data=CSV, file_name="users.csv")  # on_commit not run here
    url = f"/reseller/licensing/end-users/imports/{record.public_id}/progress/"
    waiting = client.get(url).content.decode()
    assert '<progress class="import-progress" value="0" max="5"' in waiting
    assert 'hx-trigger="every 1s"' in waiting
    assert "0 of 5 rows done, 0 end users created so far." in waiting
    assert end_user_import_batch(import_id=record.pk, batch_size=2) is False
    running = client.get(url).content.decode()
    assert '<progress class="import-progress" value="2" max="5"' in running
    assert "2 of 5 rows done, 1 end users created so far." in running
    assert client.get(f"/reseller/licensing/end-users/imports/{record.public_id}/").status_code == 200
    end_user_import_task.call(import_id=record.pk)
    done = client.get(url).content.decode()
    assert '<progress class="import-progress" value="5" max="5"' in done
    assert 'hx-trigger="every 1s"' not in done
    assert "Done: 3 of 5 rows imported." in done


def test_another_reseller_gets_404_for_the_import(portal):
    """The import page, its progress partial and the selector are another tenant's objects to anyone else."""
    _client, reseller = portal
    record = end_user_import_start(ctx=ctx_for(reseller), data=CSV)
    other = member(kind="reseller", role="admin", accepted_terms=True)
    client = Client()
    client.force_login(other.user)
    assert client.get(f"/reseller/licensing/end-users/imports/{record.public_id}/").status_code == 404
    assert client.get(f"/reseller/licensing/end-users/imports/{record.public_id}/progress/").status_code == 404
    with pytest.raises(NotFoundError):
        end_user_import_get(ctx=ctx_for(other), public_id=record.public_id)


def test_running_the_task_again_creates_nothing_twice(portal):
    """An interrupted run resumes after the rows done; a run of a finished import changes nothing."""
    _client, reseller = portal
    record = end_user_import_start(ctx=ctx_for(reseller), data=CSV)
    end_user_import_batch(import_id=record.pk, batch_size=3)
    first = end_user_import_task.call(import_id=record.pk)
    again = end_user_import_task.call(import_id=record.pk)
    assert first == again == {"rows": 5, "created": 3, "refused": 2}
    assert EndUser.objects.filter(organization=reseller.organization).count() == 3
    record.refresh_from_db()
    assert record.errors == REPORT
    assert AuditEvent.objects.filter(action="licensing.end_user_created").count() == 3
    assert AuditEvent.objects.filter(action="licensing.end_user_import_finished").count() == 1


def test_a_file_without_the_required_columns_is_refused_at_upload(portal):
    """The file's own problems refuse it whole, on the upload page; no import is stored."""
    client, reseller = portal
    upload = SimpleUploadedFile("users.csv", b"name,phone\nAna,+35921234567\n")
    page = client.post("/reseller/licensing/end-users/", {"action": "import", "file": upload})
    assert page.status_code == 422
    assert "missing: affiliated, email." in page.content.decode()
    with pytest.raises(ValidationFailedError):
        end_user_import_start(ctx=ctx_for(reseller), data=b"\xff\xfe")
    assert EndUserImport.objects.count() == 0


def test_an_import_of_a_header_only_file_finishes_at_once(portal):
    """No rows: the import is done with nothing to report."""
    _client, reseller = portal
    record = end_user_import_start(ctx=ctx_for(reseller), data=b"name,email,affiliated\n")
    assert end_user_import_task.call(import_id=record.pk) == {"rows": 0, "created": 0, "refused": 0}


@pytest.mark.task_queue
@pytest.mark.django_db(transaction=True)
def test_the_upload_queues_the_task_and_a_worker_runs_it():
    """With the real database queue: the upload enqueues one task on commit; one worker pass imports the rows."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    reseller = member(kind="reseller", role="admin")
    record = end_user_import_start(ctx=ctx_for(reseller), data=CSV)
    assert DBTaskResult.objects.ready().count() == 1
    assert EndUserImport.objects.get(pk=record.pk).status == EndUserImportStatus.PENDING
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    record.refresh_from_db()
    assert (record.status, record.rows_done, record.created, record.errors) == (EndUserImportStatus.DONE, 5, 3, REPORT)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


@pytest.mark.rule("RT-7.1.2")
def test_the_daily_job_empties_import_files_past_the_retention_period():
    """Files of imports finished more than LICENSING_IMPORT_RETENTION_DAYS ago are emptied (counts and report kept);
    newer ones and a second run change nothing; the purge is audited."""
    from datetime import timedelta

    from django.conf import settings

    from trunkline.core import clock
    from trunkline.licensing.tasks import end_user_imports_purge_task

    reseller = member(kind="reseller", role="admin")
    old = end_user_import_start(ctx=ctx_for(reseller), data=CSV)
    end_user_import_task.call(import_id=old.pk)
    recent = end_user_import_start(ctx=ctx_for(reseller), data=CSV)
    end_user_import_task.call(import_id=recent.pk)
    retention = timedelta(days=settings.LICENSING_IMPORT_RETENTION_DAYS)
    EndUserImport.objects.filter(pk=old.pk).update(finished_at=clock.now() - retention - timedelta(minutes=1))
    assert end_user_imports_purge_task.call() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (bytes(old.data), old.data_purged_at is not None, old.created, old.errors) == (b"", True, 3, REPORT)
    assert (bytes(recent.data), recent.data_purged_at) == (CSV, None)
    assert end_user_imports_purge_task.call() == 0
    event = AuditEvent.objects.get(action="licensing.end_user_imports_purged")
    assert event.changes == {"count": 1, "reason": "retention", "retention_days": 30}


@pytest.mark.rule("RT-7.1.2")
def test_an_erasure_empties_every_import_file_of_that_reseller_only():
    """``end_user_imports_purge(organization=...)`` empties that reseller's files at once, never another's."""
    from trunkline.licensing.services import end_user_imports_purge

    reseller, other = member(kind="reseller", role="admin"), member(kind="reseller", role="admin")
    mine = end_user_import_start(ctx=ctx_for(reseller), data=CSV)
    theirs = end_user_import_start(ctx=ctx_for(other), data=CSV)
    assert end_user_imports_purge(organization=reseller.organization) == 1
    assert bytes(EndUserImport.objects.get(pk=mine.pk).data) == b""
    assert bytes(EndUserImport.objects.get(pk=theirs.pk).data) == CSV
