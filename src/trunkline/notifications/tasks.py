from __future__ import annotations

from crontask import cron
from django.db.models import Q
from django.tasks import task

from trunkline.core import clock
from trunkline.notifications.models import Notice, NoticeStatus
from trunkline.notifications.services import notice_deliver


@task()
def notice_deliver_task(*, notice_id: int) -> str:
    return notice_deliver(notice_id=notice_id).status


@cron("* * * * *")
@task()
def notice_retry_due_task() -> int:
    """Every minute: send the queued notices whose retry time has come (or whose first task was lost)."""
    due = Notice.objects.filter(status=NoticeStatus.QUEUED).filter(
        Q(next_attempt_at__lte=clock.now()) | Q(next_attempt_at__isnull=True)
    )
    count = 0
    for notice_id in due.values_list("pk", flat=True)[:500]:
        notice_deliver(notice_id=notice_id)
        count += 1
    return count
