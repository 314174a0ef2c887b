"""Background work of the terms context: thin tasks, ids in, safe to run twice."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from trunkline.terms.services import terms_change_notify, terms_deemed_acceptances_record


@task()
def terms_change_notify_task(*, version_id: int) -> int:
    """Tell every bound organisation of a new version (after the publishing transaction committed)."""
    return terms_change_notify(version_id=version_id)


@cron("15 3 * * *")
@task()
def terms_deemed_acceptances_record_task() -> int:
    """Daily: record the deemed acceptances whose 7 days to object are over (PT-3.2)."""
    return terms_deemed_acceptances_record()
