"""Background jobs of licensing: thin, idempotent, scheduled with django-crontask."""

from __future__ import annotations

import logging

from crontask import cron
from django.tasks import task

from trunkline.core import clock
from trunkline.licensing.enforcement import penalties_enforce
from trunkline.licensing.services import end_user_import_run, end_user_imports_purge, license_tests_expire

logger = logging.getLogger(__name__)


@cron("*/10 * * * *")
@task()
def license_tests_expire_task() -> int:
    """Mark Test Licenses whose 14 days have passed expired (RT-4.6)."""
    count = license_tests_expire(at=clock.now())
    logger.info("test licenses expired", extra={"count": count})
    return count


@cron("15 * * * *")
@task()
def penalties_enforce_task() -> dict[str, int]:
    """Disable all licenses of resellers whose penalty invoice is overdue, where policy says so (RT-6.4)."""
    result = penalties_enforce(at=clock.now())
    logger.info("penalties enforced", extra=result)
    return result


@task()
def end_user_import_task(import_id: int) -> dict[str, int]:
    """Create the end users of an uploaded CSV, a small transaction per batch of rows (the page shows the progress).
    Safe to run again: it resumes after the rows already done and never creates one twice."""
    record = end_user_import_run(import_id=import_id)
    result = {"rows": record.rows_total, "created": record.created, "refused": len(record.errors)}
    logger.info(  # "created" is a LogRecord attribute of its own
        "end users imported",
        extra={"rows": record.rows_total, "imported": record.created, "refused": len(record.errors)},
    )
    return result


@cron("40 3 * * *")
@task()
def end_user_imports_purge_task() -> int:
    """Empty the stored CSV files of end-user imports older than the retention period (personal data)."""
    count = end_user_imports_purge(at=clock.now())
    logger.info("end-user import files purged", extra={"count": count})
    return count
