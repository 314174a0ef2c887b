"""Inbound events processed in batches per channel: the same end state as one by one, one waiting task per channel,
nothing stranded, each event once when two processors run at once, and every organisation's data its own."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, connections, transaction
from django_tasks_db.models import DBTaskResult

from trunkline.audit.models import AuditEvent
from trunkline.channels.adapters.base import InboundMessage
from trunkline.channels.models import Channel, InboundEvent
from trunkline.channels.services import channel_create, channel_inbound_request_clear, inbound_event_store
from trunkline.core import clock
from trunkline.inbox import realtime
from trunkline.inbox.models import (
    Consent,
    ConsentEvent,
    Contact,
    ContactIdentity,
    Conversation,
    Delivery,
    Message,
    StatusEvent,
    WebhookDelivery,
)
from trunkline.inbox.services.contacts import contact_for_phone
from trunkline.inbox.services.events import message_payload
from trunkline.inbox.services.inbound import (
    inbound_events_drain,
    inbound_events_process,
    inbound_processing_request,
)
from trunkline.inbox.services.messages import conversation_open, conversation_reply, inbound_event_process
from trunkline.inbox.services.webhooks import webhook_endpoint_create
from trunkline.inbox.smpp import smpp_session_for
from trunkline.inbox.tasks import inbox_retry_due_task
from trunkline.inbox.tests.conftest import CUSTOMER, SENDER
from trunkline.testing.factories import ctx_for, member

TASK = "trunkline.inbox.tasks.inbound_events_process_task"
AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def sms(channel: Channel, sid: str, sender: str, body: str) -> InboundEvent | None:
    """Store a Twilio inbound webhook as the hook view does (without having it processed)."""
    payload = {"MessageSid": [sid], "From": [sender], "To": [SENDER], "Body": [body]}
    return inbound_event_store(channel=channel, kind="message", event_key=sid, payload=payload)


def twilio_channel(admin, name: str = "SMS") -> Channel:
    return channel_create(
        ctx=ctx_for(admin),
        name=name,
        provider="twilio",
        sender=SENDER,
        account_id="AC" + "0" * 32,
        credentials={"auth_token": "token"},
        api_base_url="http://127.0.0.1:9",
    )


def queued_channel_ids() -> list[int]:
    return [row.args_kwargs["kwargs"]["channel_id"] for row in DBTaskResult.objects.filter(task_path=TASK)]


# --- the same end state as one by one ------------------------------------------------------------------------------


def state() -> dict[str, list]:
    """Everything inbound processing writes, without row ids (so two runs on the same events compare equal)."""
    return {
        "contacts": sorted(Contact.objects.values_list("organization_id", "phone", "name")),
        "identities": sorted(ContactIdentity.objects.values_list("kind", "value", "contact__phone")),
        "conversations": sorted(
            Conversation.objects.values_list(
                "contact__phone", "status", "unread_count", "last_message_preview", "last_message_at", "updated_at"
            )
        ),
        "messages": list(
            Message.objects.order_by("created_at", "id").values_list(
                "conversation__contact__phone",
                "direction",
                "kind",
                "body",
                "provider_message_id",
                "status",
                "encoding",
                "segments",
                "sent_at",
                "created_at",
            )
        ),
        "consents": sorted(Consent.objects.values_list("contact__phone", "opted_out_at", "opted_out_source")),
        "consent_events": list(
            ConsentEvent.objects.order_by("at", "id").values_list("consent__contact__phone", "action", "source")
        ),
        "events": list(InboundEvent.objects.order_by("id").values_list("event_key", "processed_at", "error")),
        "deliveries": list(Delivery.objects.order_by("id").values_list("status", "error_code", "segments")),
        "status_events": list(StatusEvent.objects.order_by("id").values_list("status", "raw_status")),
        "audit": sorted(AuditEvent.objects.values_list("action", flat=True)),
    }


@pytest.mark.rule("PT-8.13")
def test_a_mixed_batch_ends_exactly_as_one_by_one(admin, smpp_channel, smsc, django_capture_on_commit_callbacks):
    """New and known senders, a provider id already stored, STOP between two messages of one sender, a delivery
    receipt and a two-part SMS: the batch leaves every row as processing the events one by one does."""
    channel = smpp_channel
    smsc.auto_receipts = False
    known = contact_for_phone(organization=channel.organization, phone=CUSTOMER)
    conversation = conversation_open(ctx=ctx_for(admin), contact_id=known.public_id, channel_id=channel.public_id)
    with django_capture_on_commit_callbacks(execute=True):  # the reply is sent to the SMSC at once
        conversation_reply(ctx=ctx_for(admin), conversation_id=conversation.public_id, body="See you at 10:00.")
    bind = smpp_session_for(channel)
    bind.connect()
    try:
        sent = 0
        for sender, text in [
            ("+359888000001", "Hello there"),
            (CUSTOMER, "Can I come at 11 instead?"),
            ("+359888000002", "First"),
            ("+359888000002", "STOP"),
            ("+359888000002", "Second"),
        ]:
            sent += smsc.send_mo(sender=sender, to=SENDER, text=text)
        smsc.send_receipt(smsc.submitted[0].message_id, "DELIVRD")
        sent += 1
        sent += smsc.send_mo(sender="+359888000003", to=SENDER, text="ab", parts=("Hello ", "world"), key="p1")
        sent += smsc.send_mo(sender="+359888000004", to=SENDER, text="Already here")
        sent += smsc.send_mo(sender="+359888000001", to=SENDER, text="Again")
        for _ in range(200):  # stored by the bind; their processing is left for below (on_commit is not run)
            if InboundEvent.objects.count() >= sent:
                break
            bind.poll(0.1)
    finally:
        bind.close()
    events = list(InboundEvent.objects.order_by("id"))
    assert len(events) == sent == 10
    stored_already = events[8]  # "Already here": its message was recorded before (the event is a redelivery)
    from trunkline.inbox.services.messages import inbound_message_record

    inbound_message_record(
        channel=channel,
        message=InboundMessage(
            provider_message_id=stored_already.event_key, sender="+359888000004", recipient=SENDER, body="Already here"
        ),
        at=stored_already.received_at,
    )

    savepoint = transaction.savepoint_create()
    with time_machine.travel(AT, tick=False):
        for event in events:
            inbound_event_process(event_id=event.pk, at=AT)
        one_by_one = state()
    transaction.savepoint_rollback(savepoint)
    with time_machine.travel(AT, tick=False):
        assert inbound_events_process(channel_id=channel.pk, at=AT) == 10
        batched = state()

    assert batched == one_by_one
    bodies = {
        phone: list(
            Message.objects.filter(conversation__contact__phone=phone)
            .order_by("created_at", "id")
            .values_list("body", flat=True)
        )
        for phone in ("+359888000001", "+359888000002", "+359888000003", "+359888000004", CUSTOMER)
    }
    assert bodies == {
        "+359888000001": ["Hello there", "Again"],
        "+359888000002": ["First", "STOP", "Second"],
        "+359888000003": ["Hello world"],
        "+359888000004": ["Already here"],
        CUSTOMER: ["See you at 10:00.", "Can I come at 11 instead?"],
    }
    assert Consent.objects.get(contact__phone="+359888000002").opted_out_at == events[3].received_at
    assert Conversation.objects.get(contact__phone="+359888000002").last_message_preview == "Second"
    assert Message.objects.get(direction="outbound").status == "delivered"
    assert InboundEvent.objects.filter(processed_at=None).count() == 0


def test_a_batch_pushes_and_emits_message_created_for_each_new_message(admin, django_capture_on_commit_callbacks):
    """After the commit, each new message is pushed to the agents' pages and queued for the customer's webhooks,
    with the same payload as one-by-one processing."""
    channel = twilio_channel(admin)
    webhook_endpoint_create(ctx=ctx_for(admin), url="http://127.0.0.1:9/hook", events=["message.created"])
    layer = get_channel_layer()
    async_to_sync(layer.group_add)(realtime.group_for(channel.organization_id), "agent-page")
    for number in range(3):
        sms(channel, f"SM{number}", f"+35988800000{number}", f"Message {number}")
    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_events_process(channel_id=channel.pk) == 3
    messages = list(Message.objects.order_by("id"))
    pushed = [async_to_sync(layer.receive)("agent-page")["payload"] for _ in messages]
    assert pushed == [
        {"event": "message.created", "conversation": str(m.conversation.public_id), "message": str(m.public_id)}
        for m in messages
    ]
    deliveries = WebhookDelivery.objects.order_by("id")
    assert [(d.event, d.payload["data"]) for d in deliveries] == [
        ("message.created", message_payload(m)) for m in messages
    ]


# --- one waiting task per channel; nothing stranded ----------------------------------------------------------------


@pytest.mark.task_queue
def test_one_task_waits_per_channel_and_a_store_after_it_started_requests_another(
    admin, django_capture_on_commit_callbacks
):
    """The first event stored queues the channel's task; more events while it waits queue nothing. Once the task has
    started (its request cleared), the next event queues a new one, so an event stored during a run is never left
    for the minute sweep."""
    channel = twilio_channel(admin)
    with django_capture_on_commit_callbacks(execute=True):
        sms(channel, "SM1", "+359888000001", "one")
        assert inbound_processing_request(channel_id=channel.pk) is True
        sms(channel, "SM2", "+359888000002", "two")
        assert inbound_processing_request(channel_id=channel.pk) is False
    assert queued_channel_ids() == [channel.pk]

    channel_inbound_request_clear(channel_id=channel.pk)  # what the task does first
    with django_capture_on_commit_callbacks(execute=True):
        sms(channel, "SM3", "+359888000003", "three")  # while the task runs its first batch
        assert inbound_processing_request(channel_id=channel.pk) is True
    assert inbound_events_process(channel_id=channel.pk) == 3  # the running task's batch (it took SM3 too)
    assert queued_channel_ids() == [channel.pk, channel.pk]
    assert inbound_events_drain(channel_id=channel.pk) == 0  # the second task: nothing left, request cleared
    assert Channel.objects.get(pk=channel.pk).inbound_requested_at is None
    assert sorted(Message.objects.values_list("body", flat=True)) == ["one", "three", "two"]


def test_the_hook_view_processes_through_the_channel_task(inbound):
    """Through the webhook (tasks run at once): each message is processed, and no request is left behind."""
    assert [inbound("one"), inbound("two")] == [200, 200]
    assert list(Message.objects.order_by("id").values_list("body", flat=True)) == ["one", "two"]
    assert Channel.objects.get().inbound_requested_at is None
    assert InboundEvent.objects.filter(processed_at=None).count() == 0


def test_after_a_batch_that_was_not_full_the_task_lets_events_gather_then_claims_them(admin, settings, monkeypatch):
    """A steady stream is taken in batches of what arrived meanwhile: after a batch short of the limit the task
    waits INBOX_INBOUND_GATHER_SECONDS, and what was stored during the wait is claimed by the same task; it stops at
    the first empty claim."""
    from trunkline.inbox.services import inbound

    settings.INBOX_INBOUND_GATHER_SECONDS = 0.05
    channel = twilio_channel(admin)
    sms(channel, "SM1", "+359888000001", "first")
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the wait: a message arrives meanwhile, then none
        waits.append(seconds)
        if len(waits) == 1:
            sms(channel, "SM2", "+359888000002", "during the wait")

    monkeypatch.setattr(inbound.time, "sleep", sleep)
    assert inbound_events_drain(channel_id=channel.pk) == 2
    assert waits == [0.05, 0.05]
    assert list(Message.objects.order_by("id").values_list("body", flat=True)) == ["first", "during the wait"]
    settings.INBOX_INBOUND_GATHER_SECONDS = 0
    sms(channel, "SM3", "+359888000003", "no wait")
    assert inbound_events_drain(channel_id=channel.pk) == 1
    assert len(waits) == 2


def test_the_minute_sweep_processes_events_whose_task_was_lost(admin):
    """An event whose task never ran (its request still set) is processed by the sweep 30 s later, in a batch, and
    the request is cleared so the next event queues a task again."""
    channel = twilio_channel(admin)
    sms(channel, "SM1", "+359888000001", "lost")
    inbound_processing_request(channel_id=channel.pk)  # on_commit never runs here: the task is "lost"
    assert Channel.objects.get(pk=channel.pk).inbound_requested_at is not None
    with time_machine.travel(clock.now() + timedelta(seconds=31)):
        assert inbox_retry_due_task.call() == 1
    assert Message.objects.get().body == "lost"
    assert Channel.objects.get(pk=channel.pk).inbound_requested_at is None


def test_a_failing_event_is_left_unprocessed_and_the_rest_of_the_batch_goes_on(admin):
    """A payload the adapter cannot read fails alone: it stays unprocessed with the error, the others are recorded,
    and the next run of the task looks at it once (no loop)."""
    channel = twilio_channel(admin)
    sms(channel, "SM1", "+359888000001", "before")
    inbound_event_store(channel=channel, kind="message", event_key="SM2", payload={"MessageSid": ["SM2"], "From": 7})
    sms(channel, "SM3", "+359888000001", "after")
    assert inbound_events_drain(channel_id=channel.pk) == 3
    assert list(Message.objects.order_by("id").values_list("body", flat=True)) == ["before", "after"]
    broken = InboundEvent.objects.get(event_key="SM2")
    assert broken.processed_at is None
    assert broken.error == "TypeError: 'int' object is not subscriptable"
    assert inbound_events_drain(channel_id=channel.pk) == 1


# --- tenant scoping ------------------------------------------------------------------------------------------------


@pytest.mark.rule("PT-22")
def test_a_batch_uses_only_its_own_organisations_contacts_and_events(admin):
    """The same number known in another organisation: the batch makes this organisation's own contact and
    conversation, and leaves the other organisation's events and contact alone."""
    channel = twilio_channel(admin)
    other_admin = member(kind="customer", role="admin", accepted_terms=True)
    other_channel = twilio_channel(other_admin)
    theirs = contact_for_phone(organization=other_channel.organization, phone=CUSTOMER)
    sms(channel, "SM1", CUSTOMER, "ours")
    sms(other_channel, "SM1", CUSTOMER, "theirs")
    assert inbound_events_process(channel_id=channel.pk) == 1
    message = Message.objects.get()
    assert (message.organization_id, message.body) == (channel.organization_id, "ours")
    assert message.conversation.contact.organization_id == channel.organization_id
    assert message.conversation.contact != theirs
    assert not Conversation.objects.filter(contact=theirs).exists()
    assert InboundEvent.objects.get(channel=other_channel).processed_at is None


# --- PostgreSQL: real concurrency ----------------------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_processors_at_once_process_each_event_once(admin, settings):
    """Two processors drain one channel at the same moment, in batches of 7: 120 messages from 40 numbers (one of
    them already a contact) make 120 messages, 40 contacts, 40 identities and 40 conversations of 3 messages."""
    settings.INBOX_INBOUND_BATCH = 7
    channel = twilio_channel(admin)
    phones = [f"+3598880{number:05d}" for number in range(40)]
    contact_for_phone(organization=channel.organization, phone=phones[0])
    for round_ in range(3):
        for index, phone in enumerate(phones):
            sms(channel, f"SM{round_}-{index}", phone, f"{round_}")
    start = threading.Barrier(2, timeout=30)
    claimed: list[int] = []

    def drain() -> None:
        try:
            start.wait()
            claimed.append(inbound_events_drain(channel_id=channel.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(claimed) == 120
    assert InboundEvent.objects.filter(processed_at=None).count() == 0
    assert Message.objects.count() == Message.objects.values("provider_message_id").distinct().count() == 120
    assert (Contact.objects.count(), ContactIdentity.objects.count(), Conversation.objects.count()) == (40, 40, 40)
    assert set(Conversation.objects.values_list("unread_count", flat=True)) == {3}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_event_stored_while_a_batch_is_running_is_processed_by_the_next_task(admin):
    """A batch is held up mid-way (a contact it needs is locked elsewhere); an event stored meanwhile requests a new
    task, which processes it at once, skipping the held batch's events; then the held batch finishes."""
    channel = twilio_channel(admin)
    busy = contact_for_phone(organization=channel.organization, phone="+359888000001")
    sms(channel, "SM1", "+359888000001", "held")
    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold_the_contact() -> None:
        try:
            with transaction.atomic():
                Contact.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    def run_the_task() -> None:
        try:
            inbound_events_drain(channel_id=channel.pk)
        finally:
            connections.close_all()
            done.set()

    holder = threading.Thread(target=hold_the_contact)
    holder.start()
    assert locked.wait(30)
    task = threading.Thread(target=run_the_task)
    task.start()
    for _ in range(300):  # until the task waits for the contact's lock
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                break
        threading.Event().wait(0.05)
    assert not done.is_set()
    sms(channel, "SM2", "+359888000002", "stored meanwhile")
    assert inbound_processing_request(channel_id=channel.pk) is True  # tasks run at once: processed right here
    assert list(Message.objects.values_list("body", flat=True)) == ["stored meanwhile"]
    release.set()
    holder.join()
    task.join()
    assert sorted(Message.objects.values_list("body", flat=True)) == ["held", "stored meanwhile"]
    assert InboundEvent.objects.filter(processed_at=None).count() == 0
