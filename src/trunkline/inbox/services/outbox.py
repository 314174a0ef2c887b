"""The outbox: one Delivery per outbound SMS, attempts logged, retried with backoff, sent at most once per key.

A send is split in three steps so a crash never sends twice: (1) in a transaction, claim the delivery (``pending`` →
``sending``) and log the attempt as ``started``; (2) call the provider outside any transaction, with the delivery's
idempotency key; (3) in a transaction, record the outcome. If the worker dies between (1) and (3), the attempt stays
``started``; after the lease ``delivery_recover`` puts the delivery back to ``pending`` and the next try reuses the same
key, which the provider honours (adapters without idempotency keys end ``failed`` with "outcome unknown" instead of
risking a second send).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import partial

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F

from trunkline.channels.adapters import adapter_for
from trunkline.channels.adapters.base import Outbound, SendError, SendResult
from trunkline.channels.domain import segments as sms_segments
from trunkline.channels.domain import status as statuses
from trunkline.channels.models import Channel
from trunkline.core import clock
from trunkline.inbox import policy
from trunkline.inbox.models import (
    CampaignRecipient,
    Delivery,
    DeliveryAttempt,
    DeliveryPart,
    DeliveryState,
    Message,
    RecipientStatus,
    StatusEvent,
    UsageRecord,
)

logger = logging.getLogger(__name__)


def status_callback_url(channel: Channel) -> str:
    return f"{settings.PUBLIC_URL}/hooks/{channel.provider}/{channel.public_id}/status/"


def _recipient_status(delivery: Delivery) -> str:
    if delivery.state == DeliveryState.FAILED or delivery.status in statuses.FAILURES:
        return RecipientStatus.FAILED
    if delivery.status in statuses.POSITIVE_FINAL:
        return RecipientStatus.DELIVERED
    if delivery.state == DeliveryState.DONE:
        return RecipientStatus.SENT
    return RecipientStatus.QUEUED


def _mirror(delivery: Delivery, at: datetime, *, sent: bool = False) -> None:
    """Copy the delivery's state onto its message or campaign recipient, and tell the agents and webhooks."""
    if delivery.message_id:
        Message.objects.filter(pk=delivery.message_id).update(
            status=delivery.status,
            provider_message_id=delivery.provider_message_id,
            error_code=delivery.error_code,
            error_message=delivery.error_message,
            segments=delivery.segments or F("segments"),
            sent_at=at if sent else F("sent_at"),
            updated_at=at,
        )
        from trunkline.inbox.services.events import message_event

        transaction.on_commit(partial(message_event, message_id=delivery.message_id, event="delivery.updated"))
    if delivery.recipient_id:
        CampaignRecipient.objects.filter(pk=delivery.recipient_id).update(
            status=_recipient_status(delivery), error=delivery.error_message[:300], updated_at=at
        )


def usage_add(*, channel: Channel, day: date, segments: int, messages: int = 1) -> None:
    """Meter one sent message (PT-9.4); past the plan's expected daily volume alert the operator once (PT-9.6)."""
    updated = UsageRecord.objects.filter(channel=channel, day=day).update(
        messages=F("messages") + messages, segments=F("segments") + segments
    )
    if not updated:
        try:
            with transaction.atomic():
                UsageRecord.objects.create(
                    organization_id=channel.organization_id,
                    channel=channel,
                    day=day,
                    messages=messages,
                    segments=segments,
                )
        except IntegrityError:
            UsageRecord.objects.filter(channel=channel, day=day).update(
                messages=F("messages") + messages, segments=F("segments") + segments
            )
    alerted = UsageRecord.objects.filter(
        channel=channel, day=day, segments__gt=policy.expected_daily_segments(channel), over_expected_alerted=False
    ).update(over_expected_alerted=True)
    if alerted:
        from trunkline.inbox.services.alerts import volume_alert

        transaction.on_commit(partial(volume_alert, channel_id=channel.pk, day=day))


def _parts_of(delivery: Delivery, result: SendResult, at: datetime) -> list[DeliveryPart]:
    """The parts of a message the provider took in several pieces, one per distinct provider id (an SMSC that answers
    one id for two parts gives receipts we could not tell apart). None for a one-part or one-id message: the
    delivery's own provider id matches its receipts."""
    numbers: dict[str, int] = {}
    for number, provider_message_id in enumerate(result.part_ids, start=1):
        if provider_message_id:
            numbers.setdefault(provider_message_id, number)
    if len(numbers) < 2:
        return []
    return [
        DeliveryPart(
            delivery=delivery,
            channel_id=delivery.channel_id,
            number=number,
            provider_message_id=provider_message_id,
            status=result.status,
            updated_at=at,
        )
        for provider_message_id, number in numbers.items()
    ]


def _parts_store(*, channel: Channel, provider_ids: list[str], parts: list[DeliveryPart]) -> None:
    """Keep the parts with the send's outcome (same transaction, so a receipt never finds the delivery without them).
    An SMSC that recycles its ids gives a new message (or part) an id an old part had: the old part lets go of it."""
    if not provider_ids:
        return
    ids = {*provider_ids, *(part.provider_message_id for part in parts)}
    DeliveryPart.objects.filter(channel=channel, provider_message_id__in=ids).update(provider_message_id="")
    DeliveryPart.objects.bulk_create(parts)


def _attempt_limit(channel: Channel, error: SendError, *, adapter_idempotent: bool) -> int:
    """Attempts allowed. After an ambiguous failure (the provider may have accepted) an idempotent retry only asks
    the provider what became of the message, so it gets the channel's attempts once more before giving up."""
    if error.ambiguous and adapter_idempotent:
        return channel.max_attempts * 2
    return channel.max_attempts


def delivery_send(*, delivery_id: int, at: datetime | None = None) -> Delivery:
    """Try one due delivery now. Idempotent: a delivery that is done, failed, in flight or not yet due is left alone."""
    at = at or clock.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("channel").get(pk=delivery_id)
        if delivery.state != DeliveryState.PENDING or (delivery.next_attempt_at and delivery.next_attempt_at > at):
            return delivery
        previous_lost = DeliveryAttempt.objects.filter(delivery=delivery, outcome__in=("lost", "ambiguous")).exists()
        delivery.attempts += 1
        delivery.state = DeliveryState.SENDING
        delivery.save(update_fields=["attempts", "state", "updated_at"])
        attempt = DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, started_at=at)
    channel = delivery.channel
    adapter = adapter_for(channel)
    result: SendResult | None = None
    error: SendError | None = None
    if previous_lost and not adapter.supports_idempotency_key:
        error = SendError("The outcome of an earlier attempt is unknown.", code="outcome_unknown", retryable=False)
    else:
        parts = tuple(sms_segments.split(delivery.body))
        outbound = Outbound(
            to=delivery.to,
            body=delivery.body,
            sender=channel.sender,
            idempotency_key=delivery.idempotency_key,
            status_callback=status_callback_url(channel),
            parts=parts,
            mime=bytes(delivery.mime or b""),
        )
        try:
            result = adapter.send(outbound)
        except SendError as failure:
            error = failure
    return _delivery_finish(delivery_id=delivery.pk, attempt_id=attempt.pk, result=result, error=error, at=at)


def _delivery_finish(
    *, delivery_id: int, attempt_id: int, result: SendResult | None, error: SendError | None, at: datetime
) -> Delivery:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("channel").get(pk=delivery_id)
        attempt = DeliveryAttempt.objects.get(pk=attempt_id)
        attempt.finished_at = at
        if delivery.state != DeliveryState.SENDING or attempt.outcome != "started":
            return delivery  # recovered meanwhile; the recovery's retry owns the delivery now
        channel = delivery.channel
        if result is not None:
            attempt.outcome = "accepted"
            delivery.state = DeliveryState.DONE
            delivery.provider_message_id = result.provider_message_id
            delivery.status = statuses.advance(delivery.status, result.status)
            delivery.segments = result.segments or delivery.segments
            delivery.next_attempt_at = None
            delivery.error_code = delivery.error_message = ""
            StatusEvent.objects.create(delivery=delivery, status=result.status, raw_status="send", at=at)
            _parts_store(
                channel=channel, provider_ids=[result.provider_message_id], parts=_parts_of(delivery, result, at)
            )
            usage_add(channel=channel, day=at.date(), segments=delivery.segments)
        else:
            assert error is not None
            delivery.error_code = error.code[:40]
            delivery.error_message = str(error)[:300]
            attempt.error = f"{error.code}: {error}"[:300]
            idempotent = adapter_for(channel).supports_idempotency_key
            if error.retryable and delivery.attempts < _attempt_limit(channel, error, adapter_idempotent=idempotent):
                attempt.outcome = "ambiguous" if error.ambiguous else "retry"
                delivery.state = DeliveryState.PENDING
                delivery.next_attempt_at = at + policy.backoff(
                    attempts=delivery.attempts, base_seconds=channel.retry_base_seconds, retry_after=error.retry_after
                )
            else:
                attempt.outcome = "failed"
                delivery.state = DeliveryState.FAILED
                delivery.status = statuses.advance(delivery.status, statuses.FAILED)
                delivery.next_attempt_at = None
                StatusEvent.objects.create(
                    delivery=delivery, status=statuses.FAILED, raw_status="send", error_code=error.code[:40], at=at
                )
        attempt.save(update_fields=["finished_at", "outcome", "error"])
        delivery.save()
        _mirror(delivery, at, sent=result is not None)
    return delivery


def delivery_recover(*, at: datetime | None = None) -> int:
    """Deliveries whose worker died mid-send (attempt ``started`` past the lease) go back to ``pending``; the retry
    reuses the idempotency key, so the provider does not send twice."""
    at = at or clock.now()
    recovered = 0
    stale = DeliveryAttempt.objects.filter(
        outcome="started", started_at__lt=at - policy.send_lease(), delivery__state=DeliveryState.SENDING
    ).values_list("delivery_id", "pk")
    for delivery_id, attempt_id in list(stale[:1000]):
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
            if delivery.state != DeliveryState.SENDING:
                continue
            DeliveryAttempt.objects.filter(pk=attempt_id, outcome="started").update(
                outcome="lost", finished_at=at, error="The worker stopped before the outcome was recorded."
            )
            delivery.state = DeliveryState.PENDING
            delivery.next_attempt_at = at
            delivery.save(update_fields=["state", "next_attempt_at", "updated_at"])
            recovered += 1
    return recovered


def delivery_status_apply(
    *,
    channel: Channel,
    provider_message_id: str,
    status: str,
    raw_status: str,
    error_code: str = "",
    error_message: str = "",
    at: datetime | None = None,
) -> Delivery | None:
    """A provider reported a status. It is logged as reported; the delivery's status only moves forward.

    The id may be one part's of a message sent in parts (SMPP): that part's status moves forward, and the delivery's
    moves to the parts' statuses combined (failed as soon as one part failed, delivered only when all are)."""
    at = at or clock.now()
    with transaction.atomic():
        part_of = (
            DeliveryPart.objects.filter(channel=channel, provider_message_id=provider_message_id)
            .values_list("delivery_id", flat=True)
            .first()
        )
        found = Delivery.objects.select_for_update()
        if part_of is not None:
            delivery = found.filter(pk=part_of).first()
        else:
            delivery = found.filter(channel=channel, provider_message_id=provider_message_id).first()
        if delivery is None:
            return None
        part = None
        if part_of is not None:  # the delivery's lock serialises its parts' receipts
            part = DeliveryPart.objects.filter(delivery=delivery, provider_message_id=provider_message_id).first()
            if part is None:  # a newer message took the id meanwhile: the next look finds that one
                return None
        StatusEvent.objects.create(
            delivery=delivery,
            status=status,
            raw_status=raw_status[:40],
            error_code=error_code[:40],
            part=part.number if part is not None else None,
            at=at,
        )
        reported = status
        if part is not None:
            part_status = statuses.advance(part.status, status)
            if part_status == part.status:
                return delivery
            part.status = part_status
            part.error_code = error_code[:40] if part_status in statuses.FAILURES else ""
            part.updated_at = at
            part.save(update_fields=["status", "error_code", "updated_at"])
            siblings = list(DeliveryPart.objects.filter(delivery=delivery).order_by("number"))
            reported = statuses.combine([sibling.status for sibling in siblings])
            if reported in statuses.FAILURES and part_status in statuses.FAILURES:
                error_message = f"Part {part.number} of {len(siblings)}: {error_message or raw_status}"
        new = statuses.advance(delivery.status, reported)
        if new == delivery.status:
            return delivery
        if part is not None:
            StatusEvent.objects.create(delivery=delivery, status=new, raw_status="parts", at=at)
        delivery.status = new
        if new in statuses.FAILURES:
            delivery.error_code = error_code[:40]
            delivery.error_message = (error_message or raw_status)[:300]
        elif new in statuses.POSITIVE_FINAL:
            delivery.error_code = delivery.error_message = ""
        delivery.save(update_fields=["status", "error_code", "error_message", "updated_at"])
        _mirror(delivery, at)
    return delivery


def deliveries_send_batch(*, channel: Channel, delivery_ids: list[int], at: datetime | None = None) -> dict[str, int]:
    """Send many due deliveries of one channel (a campaign tick) with the same three steps as ``delivery_send``, but
    one transaction to claim them all, one provider connection, and one transaction to record every outcome."""
    at = at or clock.now()
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=delivery_ids, channel=channel, state=DeliveryState.PENDING)
            .filter(models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=at))
            .order_by("pk")
        )
        lost = set(
            DeliveryAttempt.objects.filter(delivery__in=deliveries, outcome__in=("lost", "ambiguous")).values_list(
                "delivery_id", flat=True
            )
        )
        for delivery in deliveries:
            delivery.attempts += 1
            delivery.state = DeliveryState.SENDING
        Delivery.objects.bulk_update(deliveries, ["attempts", "state"])
        attempts = DeliveryAttempt.objects.bulk_create(
            [DeliveryAttempt(delivery=d, number=d.attempts, started_at=at) for d in deliveries]
        )
    adapter = adapter_for(channel)
    outcomes: list[tuple[SendResult | None, SendError | None]] = []
    callback = status_callback_url(channel)
    for delivery in deliveries:
        if delivery.pk in lost and not adapter.supports_idempotency_key:
            outcomes.append(
                (
                    None,
                    SendError("The outcome of an earlier attempt is unknown.", code="outcome_unknown", retryable=False),
                )
            )
            continue
        outbound = Outbound(
            to=delivery.to,
            body=delivery.body,
            sender=channel.sender,
            idempotency_key=delivery.idempotency_key,
            status_callback=callback,
            parts=tuple(sms_segments.split(delivery.body)),
            mime=bytes(delivery.mime or b""),
        )
        try:
            outcomes.append((adapter.send(outbound), None))
        except SendError as failure:
            outcomes.append((None, failure))
    close = getattr(adapter, "close", None)
    if close is not None:
        close()
    counts = {"accepted": 0, "retry": 0, "failed": 0}
    with transaction.atomic():
        current = {d.pk: d for d in Delivery.objects.select_for_update().filter(pk__in=[d.pk for d in deliveries])}
        changed: list[Delivery] = []
        finished: list[DeliveryAttempt] = []
        events: list[StatusEvent] = []
        parts: list[DeliveryPart] = []
        sent_segments = sent_messages = 0
        for delivery, attempt, (result, error) in zip(deliveries, attempts, outcomes, strict=True):
            fresh = current.get(delivery.pk)
            if fresh is None or fresh.state != DeliveryState.SENDING:
                continue  # recovered meanwhile
            attempt.finished_at = at
            if result is not None:
                attempt.outcome = "accepted"
                fresh.state = DeliveryState.DONE
                fresh.provider_message_id = result.provider_message_id
                fresh.status = statuses.advance(fresh.status, result.status)
                fresh.segments = result.segments or fresh.segments
                fresh.next_attempt_at = None
                fresh.error_code = fresh.error_message = ""
                events.append(StatusEvent(delivery=fresh, status=result.status, raw_status="send", at=at))
                parts.extend(_parts_of(fresh, result, at))
                sent_messages += 1
                sent_segments += fresh.segments
                counts["accepted"] += 1
            else:
                assert error is not None
                fresh.error_code = error.code[:40]
                fresh.error_message = str(error)[:300]
                attempt.error = f"{error.code}: {error}"[:300]
                if error.retryable and fresh.attempts < _attempt_limit(
                    channel, error, adapter_idempotent=adapter.supports_idempotency_key
                ):
                    attempt.outcome = "ambiguous" if error.ambiguous else "retry"
                    fresh.state = DeliveryState.PENDING
                    fresh.next_attempt_at = at + policy.backoff(
                        attempts=fresh.attempts, base_seconds=channel.retry_base_seconds, retry_after=error.retry_after
                    )
                    counts["retry"] += 1
                else:
                    attempt.outcome = "failed"
                    fresh.state = DeliveryState.FAILED
                    fresh.status = statuses.advance(fresh.status, statuses.FAILED)
                    fresh.next_attempt_at = None
                    events.append(
                        StatusEvent(
                            delivery=fresh, status=statuses.FAILED, raw_status="send", error_code=error.code[:40], at=at
                        )
                    )
                    counts["failed"] += 1
            changed.append(fresh)
            finished.append(attempt)
        Delivery.objects.bulk_update(
            changed,
            ["state", "status", "provider_message_id", "segments", "next_attempt_at", "error_code", "error_message"],
        )
        DeliveryAttempt.objects.bulk_update(finished, ["finished_at", "outcome", "error"])
        StatusEvent.objects.bulk_create(events)
        _parts_store(
            channel=channel,
            provider_ids=[d.provider_message_id for d in changed if d.state == DeliveryState.DONE],
            parts=parts,
        )
        if sent_messages:
            usage_add(channel=channel, day=at.date(), segments=sent_segments, messages=sent_messages)
        by_status: dict[str, list[int]] = {}
        for delivery in changed:
            if delivery.recipient_id:
                by_status.setdefault(_recipient_status(delivery), []).append(delivery.recipient_id)
            elif delivery.message_id:
                _mirror(delivery, at, sent=delivery.state == DeliveryState.DONE)
        for status, recipient_ids in by_status.items():
            CampaignRecipient.objects.filter(pk__in=recipient_ids).update(status=status, updated_at=at)
    return counts
