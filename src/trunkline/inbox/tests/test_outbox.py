"""Replies go through the outbox: attempts, backoff, final state, at most one send per idempotency key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trunkline.channels.standins.twilio import Chaos
from trunkline.core import clock
from trunkline.inbox.errors import OptedOutError, SenderIdentificationMissingError
from trunkline.inbox.models import Delivery, DeliveryAttempt, Message, UsageRecord
from trunkline.inbox.services.contacts import consent_opt_out
from trunkline.inbox.services.messages import conversation_reply
from trunkline.inbox.services.outbox import delivery_recover, delivery_send
from trunkline.testing.factories import ctx_for


@pytest.fixture
def conversation(inbound):
    inbound("Hello")
    return Message.objects.get().conversation


def reply(admin, conversation, body="Your appointment is at 10:00.", **options):
    return conversation_reply(ctx=ctx_for(admin), conversation_id=conversation.public_id, body=body, **options)


def test_a_reply_reaches_the_provider_and_records_segments_and_usage(
    admin, conversation, standin, django_capture_on_commit_callbacks
):
    """The reply is sent once; its status, provider id, segments and the day's usage are recorded."""
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation, body="€" * 81)
    message.refresh_from_db()
    assert [sent["body"] for sent in standin.accepted] == ["€" * 81]
    assert (message.status, message.segments, message.provider_message_id) == ("queued", 2, standin.accepted[0]["sid"])
    usage = UsageRecord.objects.get()
    assert (usage.messages, usage.segments) == (1, 2)


def test_statuses_out_of_order_end_in_the_right_final_state(
    admin, conversation, flush, django_capture_on_commit_callbacks
):
    """delivered arrives before sent, and each twice: the message ends delivered; every report is logged."""
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    assert flush(order="reversed", duplicate=True) == [204, 204, 204, 204]
    message.refresh_from_db()
    assert message.status == "delivered"
    assert list(message.delivery.status_events.values_list("status", flat=True)) == ["queued", "delivered", "sent"]


def test_a_late_sent_does_not_clear_undelivered(
    admin, conversation, standin, flush, django_capture_on_commit_callbacks
):
    """undelivered (30003) then a late sent: the message stays undelivered with the error code."""
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    standin.callbacks = [standin.status_callback(standin.accepted[0], "undelivered", error_code="30003")] + [
        callback for callback in standin.callbacks if callback.params["MessageStatus"] == "sent"
    ]
    flush()
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("undelivered", "30003")


def test_a_server_error_is_retried_with_backoff_then_sent(
    admin, conversation, standin, django_capture_on_commit_callbacks
):
    """500 from the provider: pending again after 30 s, then 60 s; the third try succeeds."""
    standin.chaos = Chaos(fail_rate=1.0)
    start = clock.now()
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation, at=start)
    delivery = Delivery.objects.get(message=message)
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    first_retry = delivery.next_attempt_at
    assert first_retry is not None
    assert first_retry - start >= timedelta(seconds=30)
    assert delivery_send(delivery_id=delivery.pk, at=start + timedelta(seconds=10)).attempts == 1  # not due yet
    delivery = delivery_send(delivery_id=delivery.pk, at=first_retry)
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - first_retry >= timedelta(seconds=60)
    standin.chaos = Chaos()
    delivery = delivery_send(delivery_id=delivery.pk, at=delivery.next_attempt_at)
    assert (delivery.state, delivery.attempts, len(standin.accepted)) == ("done", 3, 1)
    assert list(delivery.attempt_log.values_list("outcome", flat=True)) == ["ambiguous", "ambiguous", "accepted"]


def test_retries_stop_at_the_channels_limit(admin, conversation, standin, django_capture_on_commit_callbacks):
    """A 5xx may have been accepted, so it gets twice the channel's attempts (idempotent key), then ends failed."""
    standin.chaos = Chaos(fail_rate=1.0)
    at = clock.now()
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation, at=at)
    delivery = Delivery.objects.get(message=message)
    while delivery.state == "pending":
        delivery = delivery_send(delivery_id=delivery.pk, at=delivery.next_attempt_at)
    message.refresh_from_db()
    assert (delivery.state, delivery.attempts, message.status, message.error_code) == ("failed", 8, "failed", "20500")


def test_a_refused_connection_stops_at_the_channels_limit(admin, conversation, django_capture_on_commit_callbacks):
    """A provider that cannot be reached never got the message: the channel's 4 attempts, then failed."""
    conversation.channel.api_base_url = "http://127.0.0.1:9"
    conversation.channel.save()
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    delivery = Delivery.objects.get(message=message)
    while delivery.state == "pending":
        delivery = delivery_send(delivery_id=delivery.pk, at=delivery.next_attempt_at)
    assert (delivery.state, delivery.attempts, delivery.error_code) == ("failed", 4, "connect")


def test_a_client_error_is_terminal(admin, conversation, standin, django_capture_on_commit_callbacks):
    """A 4xx other than 429 is not retried."""
    conversation.channel.set_credentials({"auth_token": "wrong"})
    conversation.channel.save()
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    delivery = Delivery.objects.get(message=message)
    assert (delivery.state, delivery.attempts, delivery.error_code) == ("failed", 1, "20003")


def test_a_worker_that_dies_mid_send_never_sends_twice(
    admin, conversation, standin, django_capture_on_commit_callbacks
):
    """The provider accepted but the worker died before recording it; recovery retries with the same key and the
    stand-in counts one message."""
    at = clock.now()
    with django_capture_on_commit_callbacks(execute=False):  # the send task does not run: we play the dying worker
        message = reply(admin, conversation, at=at)
    delivery = Delivery.objects.get(message=message)
    delivery.state, delivery.attempts = "sending", 1
    delivery.save()
    DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=at)
    standin.handle(  # what reached the provider before the worker died
        f"/2010-04-01/Accounts/{standin.account_sid}/Messages.json",
        "Basic " + __import__("base64").b64encode(f"{standin.account_sid}:{standin.auth_token}".encode()).decode(),
        delivery.idempotency_key,
        f"To=%2B359888123456&From=x&Body={delivery.body}",
    )
    assert delivery_recover(at=at + timedelta(seconds=60)) == 0  # still within the lease
    assert delivery_recover(at=at + timedelta(minutes=5)) == 1
    delivery = delivery_send(delivery_id=delivery.pk, at=at + timedelta(minutes=5))
    assert (delivery.state, delivery.provider_message_id) == ("done", standin.accepted[0]["sid"])
    assert len(standin.accepted) == 1
    assert standin.accepted_per_key[delivery.idempotency_key] == 1
    assert list(delivery.attempt_log.values_list("outcome", flat=True)) == ["lost", "accepted"]


def test_the_same_idempotency_key_makes_one_message(admin, conversation, standin, django_capture_on_commit_callbacks):
    """A double-clicked send with one key makes one message and one send."""
    with django_capture_on_commit_callbacks(execute=True):
        first = reply(admin, conversation, idempotency_key="click-1")
        second = reply(admin, conversation, idempotency_key="click-1")
    assert first.pk == second.pk
    assert len(standin.accepted) == 1


@pytest.mark.rule("PT-8.13")
def test_a_promotional_reply_to_an_opted_out_contact_is_refused(admin, conversation, standin):
    """After STOP, a promotional message is refused with a clear error and nothing is queued."""
    consent_opt_out(contact=conversation.contact, channel=conversation.channel, source="test")
    with pytest.raises(OptedOutError) as error:
        reply(admin, conversation, body="20% off whitening", is_promotional=True)
    assert error.value.code == "inbox.opted_out"
    assert Delivery.objects.count() == 0


@pytest.mark.rule("PT-8.13")
def test_a_non_promotional_reply_to_an_opted_out_contact_is_allowed(
    admin, conversation, django_capture_on_commit_callbacks
):
    """Opt-out covers promotional messages: a reply about the patient's own appointment still goes."""
    consent_opt_out(contact=conversation.contact, channel=conversation.channel, source="test")
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    assert Delivery.objects.get(message=message).state == "done"


@pytest.mark.rule("PT-8.10")
def test_a_promotional_message_carries_the_identification_and_opt_out_text(admin, conversation):
    """The footer with name, contact and STOP is appended; a pre-approved one-time message has no opt-out text."""
    promotional = reply(admin, conversation, body="20% off whitening", is_promotional=True)
    assert promotional.body == "20% off whitening\nSofia Dental, +359 2 123 4567. STOP to opt out"
    one_time = reply(admin, conversation, body="Your code is 1234", is_promotional=True, one_time=True)
    assert one_time.body == "Your code is 1234\nSofia Dental, +359 2 123 4567"


@pytest.mark.rule("PT-8.10")
def test_a_promotional_message_without_identification_is_refused(admin, conversation):
    """A channel without name and contact cannot send promotional messages."""
    conversation.channel.identification_contact = ""
    conversation.channel.save()
    with pytest.raises(SenderIdentificationMissingError) as error:
        reply(admin, conversation, body="20% off", is_promotional=True)
    assert error.value.code == "inbox.sender_identification_missing"
    assert error.value.http_status == 422
    assert Message.objects.filter(direction="outbound").count() == 0
