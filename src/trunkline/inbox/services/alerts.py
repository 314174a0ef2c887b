"""PT-9.6: traffic above the plan's expected volume raises an alert to the operator."""

from __future__ import annotations

from datetime import date

from django.conf import settings

from trunkline.channels.models import Channel
from trunkline.inbox import policy
from trunkline.inbox.models import UsageRecord
from trunkline.notifications.services import notice_send
from trunkline.tenancy.models import Organization


def volume_alert(*, channel_id: int, day: date) -> None:
    channel = Channel.objects.select_related("organization").get(pk=channel_id)
    operator = Organization.objects.filter(kind="operator").first()
    if operator is None:
        return
    usage = UsageRecord.objects.get(channel=channel, day=day)
    notice_send(
        organization=operator,
        kind="inbox.volume_above_expected",
        recipients=[settings.OPERATOR_EMAIL],
        context={
            "customer": channel.organization,
            "channel": channel,
            "day": day,
            "usage": usage,
            "expected": policy.expected_daily_segments(channel),
        },
        requires_acknowledgement=False,
        dedupe_key=f"volume:{channel.public_id}:{day.isoformat()}",
    )
