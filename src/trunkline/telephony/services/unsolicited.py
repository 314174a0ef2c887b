"""PT-8.8: unsolicited outbound calling. The first case found suspends the organisation's telephony with a notice;
a repeat suspends it again and flags the organisation to the operator, who may terminate the agreement through the
organisation lifecycle (``organization_terminate``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.notifications.services import notice_send
from trunkline.telephony.domain.unsolicited import Finding, OutboundCall, Thresholds, detect
from trunkline.telephony.models import CallRecord, Direction, TelephonyPolicy, TelephonyStatus
from trunkline.telephony.services.routing import publish_after_commit
from trunkline.telephony.services.status import telephony_account_for
from trunkline.tenancy.models import Organization


def thresholds_in_force() -> Thresholds:
    policy = TelephonyPolicy.current()
    return Thresholds(
        window_minutes=policy.unsolicited_window_minutes,
        min_calls=policy.unsolicited_min_calls,
        min_distinct_numbers=policy.unsolicited_min_distinct_numbers,
        short_call_seconds=policy.unsolicited_short_call_seconds,
        min_short_share_percent=policy.unsolicited_min_short_share_percent,
    )


def unsolicited_check(*, organization: Organization, at: datetime | None = None) -> Finding | None:
    """Look at the organisation's recent outbound calls; act on a finding. Returns the finding, if any.
    Calls from before the last finding are not counted again."""
    at = at or clock.now()
    thresholds = thresholds_in_force()
    with transaction.atomic():
        account = telephony_account_for(organization, for_update=True)
        if account.status == TelephonyStatus.SUSPENDED:
            return None
        since = at - timedelta(minutes=thresholds.window_minutes)
        if account.updated_at and account.unsolicited_cases and account.updated_at > since:
            since = account.updated_at
        rows = CallRecord.objects.filter(
            organization=organization, direction=Direction.OUTBOUND, started_at__gte=since, started_at__lte=at
        ).values_list("started_at", "b_number", "duration_seconds")
        finding = detect(
            [OutboundCall(at=row[0], b_number=row[1], duration_seconds=row[2]) for row in rows], thresholds
        )
        if finding is None:
            return None
        account.unsolicited_cases += 1
        account.status = TelephonyStatus.SUSPENDED
        account.status_reason = "unsolicited_calls"
        account.save()
        repeat = account.unsolicited_cases > 1
        audit_record(
            ctx=None,
            organization=organization,
            action="telephony.unsolicited_calls_found",
            target=account,
            changes={
                "case": account.unsolicited_cases,
                "calls": finding.calls,
                "distinct_numbers": finding.distinct_numbers,
                "short_calls": finding.short_calls,
                "termination_allowed": repeat,
                "thresholds": thresholds.__dict__,
            },
            at=at,
        )
        if organization.email:
            notice_send(
                organization=organization,
                kind="telephony.unsolicited_calls",
                context={
                    "case": account.unsolicited_cases,
                    "calls": finding.calls,
                    "distinct_numbers": finding.distinct_numbers,
                    "repeat": repeat,
                },
                dedupe_key=f"telephony.unsolicited:{organization.pk}:{account.unsolicited_cases}",
            )
        publish_after_commit()
    return finding
