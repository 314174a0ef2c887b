"""Background work of the support desk: thin tasks, safe to run twice."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from trunkline.support.services.tickets import sla_escalations_process, sla_recompute_open


@cron("* * * * *")
@task()
def sla_escalations_process_task() -> dict[str, int]:
    """Every minute: warn before SLA breaches and mark the breaches."""
    return sla_escalations_process()


@task()
def sla_recompute_open_task() -> int:
    """After a change of SLA targets or calendars: recompute open tickets' deadlines."""
    return sla_recompute_open()
