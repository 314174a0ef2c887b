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
from trunkline.inbox.services.contacts import contact_for_phone
from trunkline.inbox.services.messages import conversation_open, conversation_reply
from trunkline.inbox.services.outbox import deliveries_send_batch, delivery_send
from trunkline.inbox.smpp import smpp_session_for
from trunkline.inbox.tests.conftest import CUSTOMER, SENDER
from trunkline.testing.factories import ctx_for


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
    """A 3-part GSM-7 reply with € at the part boundary: three submit_sm joining to the text; 3 segments metered, and
    the three parts' ids kept for their receipts."""
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
    parts = message.delivery.parts.all()
    assert [(part.number, part.provider_message_id, part.status) for part in parts] == [
        (number, item.message_id, "accepted") for number, item in enumerate(smsc.submitted, start=1)
    ]


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


LONG = "Your appointment on Thursday is moved to Friday at 10:00. Please bring your documents. " * 4  # 3 parts


def history(message: Message) -> list[str]:
    """The message's own status history: the rows without a part."""
    return list(message.delivery.status_events.filter(part=None).values_list("status", flat=True))


def drain(session: SmppSession, django_capture_on_commit_callbacks) -> None:
    """Read what is left on the session (duplicates: acknowledged, nothing stored)."""
    with django_capture_on_commit_callbacks(execute=True):
        while session.poll(0.2) is not None:
            pass


@pytest.mark.parametrize(("stat", "final"), [("UNDELIV", "undelivered"), ("REJECTD", "failed")])
@pytest.mark.parametrize("order", ["as_sent", "reversed", "shuffled"])
def test_a_failed_middle_part_fails_the_message_whatever_the_order(
    admin, conversation, smsc, session, pump, django_capture_on_commit_callbacks, stat, final, order
):
    """A 3-part reply whose part 2 is not delivered: every part's receipt matches its part, and the reply ends
    failed (undelivered) with the part's error, in any order and with every receipt twice."""
    smsc.hold_receipts = True
    smsc.receipt_stats = ("ENROUTE", "DELIVRD")
    smsc.part_stats = {2: ("ENROUTE", stat)}
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation, body=LONG)
    assert smsc.flush_receipts(order=order, duplicate=True) == 12
    pump(6)
    drain(session, django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert (message.status, message.error_code) == (final, "001")
    assert message.error_message == f"Part 2 of 3: {stat} err:001"
    parts = message.delivery.parts.all()
    assert [(part.number, part.status) for part in parts] == [(1, "delivered"), (2, final), (3, "delivered")]
    assert history(message)[-1] == final
    assert InboundEvent.objects.filter(kind="status", processed_at=None).count() == 0
    assert InboundEvent.objects.filter(kind="status").exclude(error="").count() == 0


def test_all_parts_delivered_shuffled_and_duplicated_is_delivered_once(
    admin, conversation, smsc, session, pump, django_capture_on_commit_callbacks
):
    """Three parts' ENROUTE and DELIVRD, shuffled and each twice: every receipt is matched (no orphans), and the
    reply's own history says delivered exactly once, after all three parts were."""
    smsc.hold_receipts = True
    smsc.receipt_stats = ("ENROUTE", "DELIVRD")
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation, body=LONG)
    assert smsc.flush_receipts(order="shuffled", duplicate=True) == 12
    pump(6)
    drain(session, django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert history(message).count("delivered") == 1
    assert history(message)[-1] == "delivered"
    assert message.delivery.status_events.exclude(part=None).count() == 6  # each part's two receipts, once each
    assert list(message.delivery.parts.values_list("status", flat=True)) == ["delivered"] * 3
    assert InboundEvent.objects.filter(kind="status").exclude(processed_at=None).filter(error="").count() == 6


def test_the_first_part_delivered_alone_leaves_the_reply_accepted(
    admin, conversation, smsc, pump, django_capture_on_commit_callbacks
):
    """Only part 1's DELIVRD has come: the reply stays accepted; part 3's ENROUTE moves nothing either (part 2 has
    not been reported); then parts 2 and 3 delivered make it delivered."""
    smsc.auto_receipts = False
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(admin, conversation, body=LONG)
    first, second, third = (item.message_id for item in smsc.submitted)
    smsc.send_receipt(first, "DELIVRD")
    smsc.send_receipt(third, "ENROUTE")
    pump(2)
    message.refresh_from_db()
    assert message.status == "accepted"
    assert history(message) == ["accepted"]
    smsc.send_receipt(second, "DELIVRD")
    pump(1)
    message.refresh_from_db()
    assert message.status == "queued"  # parts 1 and 2 delivered, part 3 only en route
    smsc.send_receipt(third, "DELIVRD")
    pump(1)
    message.refresh_from_db()
    assert message.status == "delivered"
    assert history(message) == ["accepted", "queued", "delivered"]


def test_campaign_parts_are_kept_by_the_batch(admin, smpp_channel, smsc, pump, django_capture_on_commit_callbacks):
    """The batch path keeps every part's id too: a part's UNDELIV fails that recipient's delivery only."""
    for number in range(2):
        pump(mo(smsc, "Hi", sender=f"+35988812345{number}"))
    conversations = [message.conversation for message in Message.objects.order_by("pk")]
    smsc.auto_receipts = False
    with django_capture_on_commit_callbacks(execute=False):
        for conversation in conversations:
            reply(admin, conversation, body=LONG)
    ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
    assert deliveries_send_batch(channel=smpp_channel, delivery_ids=ids) == {"accepted": 2, "retry": 0, "failed": 0}
    assert [len(Delivery.objects.get(pk=pk).parts.all()) for pk in ids] == [3, 3]
    smsc.send_receipt(smsc.submitted[4].message_id, "UNDELIV", err="001")  # the second reply's part 2
    pump(1)
    assert list(Delivery.objects.order_by("pk").values_list("status", flat=True)) == ["accepted", "undelivered"]


def test_a_recycled_smsc_id_belongs_to_the_newest_message(
    admin, conversation, smsc, pump, django_capture_on_commit_callbacks
):
    """An SMSC that wraps its id counter gives a new message an id an old part had: its receipt is the new one's."""
    smsc.auto_receipts = False
    with django_capture_on_commit_callbacks(execute=True):
        old = reply(admin, conversation, body=LONG)
    recycled = smsc.submitted[1].message_id
    smsc._counter = int(recycled, 16) - 1  # the next submit gets the old part 2's id
    with django_capture_on_commit_callbacks(execute=True):
        new = reply(admin, conversation, body="Short one.")
    assert Delivery.objects.get(message=new).provider_message_id == recycled
    smsc.send_receipt(recycled, "DELIVRD")
    pump(1)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == ("accepted", "delivered")
    assert list(old.delivery.parts.values_list("provider_message_id", flat=True)) == [
        smsc.submitted[0].message_id,
        "",
        smsc.submitted[2].message_id,
    ]


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


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_of_all_parts_end_delivered_once(admin, smpp_channel, smsc):
    """Six workers apply the three parts' DELIVRD (each twice) at the same moment: the delivery's row lock serialises
    them, so the reply ends delivered with "delivered" once in its history."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from trunkline.inbox.services.contacts import contact_for_phone
    from trunkline.inbox.services.messages import conversation_open
    from trunkline.inbox.services.outbox import delivery_status_apply

    smsc.auto_receipts = False
    contact = contact_for_phone(organization=smpp_channel.organization, phone=CUSTOMER)
    conversation = conversation_open(
        ctx=ctx_for(admin), contact_id=contact.public_id, channel_id=smpp_channel.public_id
    )
    message = reply(admin, conversation, body=LONG)  # tasks run at once: sent before the reply returns
    ids = [item.message_id for item in smsc.submitted] * 2

    def apply(provider_message_id: str) -> None:
        try:
            delivery_status_apply(
                channel=smpp_channel, provider_message_id=provider_message_id, status="delivered", raw_status="DELIVRD"
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(apply, ids))
    message.refresh_from_db()
    assert message.status == "delivered"
    assert history(message).count("delivered") == 1


def test_a_receipt_on_a_transceiver_sending_bind_is_processed_at_once(admin, smsc, django_capture_on_commit_callbacks):
    """With send_bind = transceiver and no session bound, the SMSC delivers receipts on the bind a campaign batch
    sends on: each is kept and announced, and the inbox processes it at once, not 30 s later in the minute sweep."""
    channel = channel_create(
        ctx=ctx_for(admin),
        name="SMSC (transceiver only)",
        provider="smpp",
        sender=SENDER,
        account_id="trunkline",
        credentials={"password": "standin8"},
        settings={"host": "127.0.0.1", "port": smsc.port, "response_timeout_seconds": 5, "send_bind": "transceiver"},
        identification_name="Sofia Dental",
        identification_contact="+359 2 123 4567",
    )
    customers = [f"+35988812345{number}" for number in range(3)]
    conversations = [
        conversation_open(
            ctx=ctx_for(admin),
            contact_id=contact_for_phone(organization=admin.organization, phone=phone).public_id,
            channel_id=channel.public_id,
        )
        for phone in customers
    ]
    with django_capture_on_commit_callbacks(execute=False):
        replies = [reply(admin, conversation, body="Reminder") for conversation in conversations]
    with django_capture_on_commit_callbacks(execute=True):  # the processing the kept receipts request runs inline
        sent = deliveries_send_batch(channel=channel, delivery_ids=list(Delivery.objects.values_list("pk", flat=True)))
    assert sent == {"accepted": 3, "retry": 0, "failed": 0}
    kept = InboundEvent.objects.filter(channel=channel, kind="status")
    assert kept.exists()  # receipts of the first sends reached the sending bind while later ones were sent
    assert not kept.filter(processed_at=None).exists()
    delivered = [message for message in replies if (message.refresh_from_db() or message.status == "delivered")]
    assert len(delivered) == kept.count()
