"""SMPP end to end: replies go out through the outbox as submit_sm parts; receipts and MO messages come back on the
session's transceiver bind, are stored once by event key and processed like the Twilio webhooks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trunkline.channels.models import Channel, InboundEvent
from trunkline.channels.services import channel_create
from trunkline.channels.smpp_session import SmppSession
from trunkline.channels.standins.smpp import Chaos, SmppStandIn
from trunkline.core import clock
from trunkline.inbox.models import Consent, Delivery, Message, UsageRecord
from trunkline.inbox.services.messages import conversation_reply
from trunkline.inbox.services.outbox import deliveries_send_batch, delivery_send
from trunkline.inbox.smpp import smpp_session_for
from trunkline.testing.factories import ctx_for

SENDER = "+359700100200"
CUSTOMER = "+359888123456"


@pytest.fixture
def smsc():
    server = SmppStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def smpp_channel(admin, smsc) -> Channel:
    return channel_create(
        ctx=ctx_for(admin),
        name="SMSC",
        provider="smpp",
        sender=SENDER,
        account_id="trunkline",
        credentials={"password": "standin8"},
        settings={"host": "127.0.0.1", "port": smsc.port, "response_timeout_seconds": 5},
        identification_name="Sofia Dental",
        identification_contact="+359 2 123 4567",
        max_attempts=3,
        retry_base_seconds=30,
    )


@pytest.fixture
def session(smpp_channel, django_capture_on_commit_callbacks):
    bind = smpp_session_for(smpp_channel)
    bind.connect()
    yield bind
    bind.close()


@pytest.fixture
def pump(session: SmppSession, smsc: SmppStandIn, django_capture_on_commit_callbacks):
    """Read the session until ``count`` new events are stored; each one is processed at once (tasks run inline)."""

    def run(count: int) -> None:
        target = InboundEvent.objects.count() + count
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(100):
                if InboundEvent.objects.count() >= target:
                    break
                session.poll(0.1)
        assert InboundEvent.objects.count() == target

    return run


def mo(smsc: SmppStandIn, text: str, sender: str = CUSTOMER) -> int:
    return smsc.send_mo(sender=sender, to=SENDER, text=text)


@pytest.fixture
def conversation(smsc, pump):
    pump(mo(smsc, "Hello"))
    return Message.objects.get().conversation


def reply(admin, conversation, body="Your appointment is at 10:00.", **options):
    return conversation_reply(ctx=ctx_for(admin), conversation_id=conversation.public_id, body=body, **options)


def test_an_mo_sms_becomes_an_inbound_message(smsc, pump, smpp_channel):
    """A deliver_sm (esm_class 0) makes the contact, the conversation and the message, in UCS-2 here."""
    pump(mo(smsc, "Здравейте, искам час"))
    message = Message.objects.get()
    assert (message.direction, message.body, message.status, message.channel) == (
        "inbound",
        "Здравейте, искам час",
        "received",
        smpp_channel,
    )
    assert message.conversation.contact.phone == CUSTOMER


def test_a_concatenated_mo_message_becomes_one_message(smsc, pump):
    """Three UDH parts (one repeated by the SMSC) make one message with the whole text, once."""
    text = "Искам да преместя часа си от четвъртък за петък сутринта, ако има свободно място. Благодаря! " * 2
    sent = mo(smsc, text)
    assert sent == 3
    pump(sent)
    message = Message.objects.get()
    assert (message.body, message.segments) == (text, 3)
    assert InboundEvent.objects.filter(processed_at=None).count() == 0


def test_parts_waiting_for_the_rest_are_not_a_message_yet(smsc, pump):
    """Part 2 of 2 arrives first: no message, its event waits; part 1 arrives: one message, both events processed."""
    smsc.send_mo(sender=CUSTOMER, to=SENDER, text="ab", parts=("Hello ", "world"), only=(2,), key="m1")
    pump(1)
    assert Message.objects.count() == 0
    waiting = InboundEvent.objects.get()
    assert (waiting.processed_at, waiting.error) == (None, "Waiting for the other parts.")
    smsc.send_mo(sender=CUSTOMER, to=SENDER, text="ab", parts=("Hello ", "world"), only=(1,), key="m1")
    pump(1)
    assert Message.objects.get().body == "Hello world"
    assert InboundEvent.objects.filter(processed_at=None).count() == 0


@pytest.mark.rule("PT-8.13")
@pytest.mark.parametrize("word", ["STOP", "СТОП", "unsubscribe"])
def test_stop_over_smpp_opts_out_at_once(smsc, pump, smpp_channel, word):
    """STOP (or СТОП) from the handset over SMPP: the contact is opted out on this channel at once."""
    pump(mo(smsc, word))
    consent = Consent.objects.get()
    assert (consent.is_opted_out, consent.channel) == (True, smpp_channel)


@pytest.mark.rule("PT-9.4")
def test_a_reply_goes_out_in_parts_with_segments_metered(admin, conversation, smsc, django_capture_on_commit_callbacks):
    """A 3-part GSM-7 reply with € at the part boundary: three submit_sm joining to the text; 3 segments metered."""
    body = "a" * 152 + "€" + "b" * 160
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation, body=body)
    message.refresh_from_db()
    assert smsc.texts() == [body]
    assert (message.status, message.segments, message.provider_message_id) == (
        "accepted",
        3,
        smsc.submitted[0].message_id,
    )
    usage = UsageRecord.objects.get()
    assert (usage.messages, usage.segments) == (1, 3)


def test_a_delivered_receipt_marks_the_reply_delivered(
    admin, conversation, smsc, pump, django_capture_on_commit_callbacks
):
    """stat:DELIVRD on the session's bind → delivered."""
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    pump(1)
    message.refresh_from_db()
    assert message.status == "delivered"


def test_an_undelivered_receipt_keeps_its_error(admin, conversation, smsc, pump, django_capture_on_commit_callbacks):
    """stat:UNDELIV err:001 (and network_error_code) → undelivered with the error code."""
    smsc.auto_receipts = False
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    smsc.send_receipt(smsc.submitted[0].message_id, "UNDELIV", err="001")
    pump(1)
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("undelivered", "001")


def test_receipts_out_of_order_and_duplicated_end_delivered(
    admin, conversation, smsc, session, pump, django_capture_on_commit_callbacks
):
    """ENROUTE then DELIVRD, flushed reversed and each twice: stored once per (id, stat), the reply ends delivered."""
    smsc.hold_receipts = True
    smsc.receipt_stats = ("ENROUTE", "DELIVRD")
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    assert smsc.flush_receipts(order="reversed", duplicate=True) == 4  # DELIVRD, DELIVRD, ENROUTE, ENROUTE
    pump(2)
    with django_capture_on_commit_callbacks(execute=True):
        while session.poll(0.2) is not None:  # the rest of the duplicates: acknowledged, nothing stored
            pass
    message.refresh_from_db()
    assert message.status == "delivered"
    assert list(message.delivery.status_events.values_list("status", flat=True)) == ["accepted", "delivered", "queued"]
    assert InboundEvent.objects.filter(kind="status").count() == 2


def test_throttling_is_retried_with_backoff_then_sent(admin, conversation, smsc, django_capture_on_commit_callbacks):
    """ESME_RTHROTTLED: pending again after 30 s, then 60 s; the third try is sent once."""
    smsc.chaos = Chaos(throttle_rate=1.0)
    start = clock.now()
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation, at=start)
    delivery = Delivery.objects.get(message=message)
    assert (delivery.state, delivery.attempts, delivery.error_code) == ("pending", 1, "ESME_RTHROTTLED")
    first_retry = delivery.next_attempt_at
    assert first_retry is not None
    assert first_retry - start >= timedelta(seconds=30)
    delivery = delivery_send(delivery_id=delivery.pk, at=first_retry)
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - first_retry >= timedelta(seconds=60)
    smsc.chaos = Chaos()
    delivery = delivery_send(delivery_id=delivery.pk, at=delivery.next_attempt_at)
    assert (delivery.state, delivery.attempts, len(smsc.submitted)) == ("done", 3, 1)
    assert list(delivery.attempt_log.values_list("outcome", flat=True)) == ["retry", "retry", "accepted"]


def test_a_wrong_password_fails_the_reply_at_once(admin, conversation, smsc, django_capture_on_commit_callbacks):
    """ESME_RINVPASWD is terminal: failed after one attempt, with the code."""
    smsc.accounts["trunkline"] = "changed"
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    message.refresh_from_db()
    delivery = Delivery.objects.get(message=message)
    assert (delivery.state, delivery.attempts, message.status, message.error_code) == (
        "failed",
        1,
        "failed",
        "ESME_RINVPASWD",
    )


def test_a_drop_after_submit_is_never_sent_again(admin, conversation, smsc, django_capture_on_commit_callbacks):
    """The SMSC took the submit_sm and dropped: SMPP has no idempotency key, so the outbox ends it 'outcome unknown'
    instead of risking a second SMS."""
    smsc.chaos = Chaos(drop_after_submit=1)
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation)
    delivery = Delivery.objects.get(message=message)
    assert (delivery.state, delivery.error_code) == ("pending", "timeout")
    delivery = delivery_send(delivery_id=delivery.pk, at=delivery.next_attempt_at)
    assert (delivery.state, delivery.error_code, len(smsc.submitted)) == ("failed", "outcome_unknown", 1)


def test_a_batch_binds_once_and_unbinds(admin, smpp_channel, smsc, pump, django_capture_on_commit_callbacks):
    """The campaign path: several deliveries over one bind_transmitter, closed after the batch."""
    for number in range(3):
        pump(mo(smsc, "Hi", sender=f"+35988812345{number}"))
    conversations = [message.conversation for message in Message.objects.order_by("pk")]
    binds = smsc.binds
    with django_capture_on_commit_callbacks(execute=False):
        for conversation in conversations:
            reply(admin, conversation, body="Reminder")
    ids = list(Delivery.objects.values_list("pk", flat=True))
    assert deliveries_send_batch(channel=smpp_channel, delivery_ids=ids) == {"accepted": 3, "retry": 0, "failed": 0}
    assert smsc.binds == binds + 1
    assert smsc.wait_for(lambda: smsc.bound_sessions() == 1)  # only the session's bind is left


def test_receipts_of_later_parts_stop_being_retried_after_the_orphan_window(
    admin, conversation, smsc, pump, django_capture_on_commit_callbacks
):
    """A 2-part reply gets two receipts; the second part's id is not ours. It waits for the sweep, then is kept as
    processed with an error instead of being looked at forever; the reply itself ends delivered."""
    from trunkline.inbox.services.messages import inbound_event_process

    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation, body="x" * 200)
    pump(2)
    message.refresh_from_db()
    assert message.status == "delivered"
    orphan = InboundEvent.objects.get(event_key=f"dlr:{smsc.submitted[1].message_id}:DELIVRD")
    assert (orphan.processed_at, orphan.error) == (None, "No message with this provider id yet.")
    orphan = inbound_event_process(event_id=orphan.pk, at=orphan.received_at + timedelta(hours=2))
    assert orphan.processed_at is not None
    assert orphan.error == "No message with this provider id."


def test_the_sessions_command_starts_one_session_per_active_smpp_channel(smpp_channel):
    """``smpp_sessions --once`` finds the channel, starts its session thread and stops it again."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("smpp_sessions", "--once", stdout=out)
    assert out.getvalue() == f"SMPP session for channel {smpp_channel.pk} (127.0.0.1)\n"


def test_an_smpp_channel_is_connected_through_the_api(admin):
    """POST /channels with provider smpp, the password and settings: 201; bad settings: 422 naming the field."""
    import json

    from django.test import Client

    from trunkline.testing.factories import api_key_for

    headers = {"Authorization": f"Bearer {api_key_for(admin, ['channels:manage'])}"}
    body = {"name": "SMSC", "provider": "smpp", "sender": "Clinic", "account_id": "trunkline", "password": "pw"}
    response = Client().post(
        "/api/v1/channels",
        json.dumps({**body, "settings": {"host": "smsc.example.net", "port": 2776}}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201, response.content
    channel = Channel.objects.get()
    assert (channel.settings["port"], channel.credentials) == (2776, {"password": "pw"})
    response = Client().post(
        "/api/v1/channels", json.dumps({**body, "settings": {}}), content_type="application/json", headers=headers
    )
    assert response.status_code == 422
    assert "settings.host" in response.json()["detail"]["fields"]
