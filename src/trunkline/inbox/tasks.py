from __future__ import annotations

from crontask import cron
from django.db.models import Q
from django.tasks import task

from trunkline.channels.models import InboundEvent
from trunkline.core import clock
from trunkline.inbox import policy
from trunkline.inbox.models import Campaign, CampaignStatus, Delivery, DeliveryState, WebhookDelivery
from trunkline.inbox.services.inbound import inbound_events_drain
from trunkline.inbox.services.messages import inbound_event_process
from trunkline.inbox.services.outbox import delivery_recover, delivery_send
from trunkline.inbox.services.webhooks import webhook_deliver


@task()
def inbound_events_process_task(*, channel_id: int) -> int:
    """Process the channel's stored inbound events in batches until none are left (``inbound_processing_request``
    enqueues it: at most one waits per channel)."""
    return inbound_events_drain(channel_id=channel_id)


@task()
def inbound_event_process_task(*, event_id: int) -> str:
    """One event (the queue of a release before batches may still hold these)."""
    return str(inbound_event_process(event_id=event_id).processed_at)


@task()
def delivery_send_task(*, delivery_id: int) -> str:
    return delivery_send(delivery_id=delivery_id).state


@task()
def webhook_deliver_task(*, webhook_delivery_id: int) -> str:
    return webhook_deliver(webhook_delivery_id=webhook_delivery_id).state


@task()
def campaign_run_task(*, campaign_id: int, seconds: int = 55) -> str:
    from trunkline.inbox.services.campaigns import campaign_drive

    return campaign_drive(campaign_id=campaign_id, seconds=seconds).status


@cron("* * * * *")
@task()
def inbox_retry_due_task() -> int:
    """Every minute: recover sends whose worker died, send due retries, reprocess events and webhooks left behind."""
    now = clock.now()
    done = delivery_recover(at=now)
    due = Delivery.objects.filter(state=DeliveryState.PENDING).filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True), recipient__isnull=True
    )
    for delivery_id in due.values_list("pk", flat=True)[:500]:
        delivery_send(delivery_id=delivery_id, at=now)
        done += 1
    stale_events = InboundEvent.objects.filter(processed_at=None, received_at__lte=now - policy.inbound_stale_after())
    for channel_id in list(stale_events.order_by("channel_id").values_list("channel_id", flat=True).distinct()):
        # in batches; draining also clears a request whose task was lost, so the next event kicks a new one
        done += inbound_events_drain(channel_id=channel_id, at=now, max_events=policy.inbound_sweep_limit())
    for webhook_id in WebhookDelivery.objects.filter(state="pending", next_attempt_at__lte=now).values_list(
        "pk", flat=True
    )[:500]:
        webhook_deliver(webhook_delivery_id=webhook_id, at=now)
        done += 1
    return done


@cron("* * * * *")
@task()
def campaign_run_due_task() -> int:
    """Every minute: drive the running and due campaigns for most of a minute, at each channel's rate."""
    now = clock.now()
    campaigns = Campaign.objects.filter(
        Q(status=CampaignStatus.RUNNING) | Q(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now)
    ).values_list("pk", flat=True)
    count = 0
    for campaign_id in campaigns:
        campaign_run_task.enqueue(campaign_id=campaign_id)
        count += 1
    return count
