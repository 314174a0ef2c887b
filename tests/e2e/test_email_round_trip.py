"""The email round trip against real servers (PT-10.2): an end user writes with smtplib to Postfix; the platform
receives the mail from Dovecot over IMAP (the poller) and, separately, through its own SMTP receiver (aiosmtpd); it
lands in a conversation; an agent answers from the inbox (the composer's service, the outbox, the SMTP adapter,
Postfix); the answer arrives in the end user's Dovecot mailbox threaded under their mail (In-Reply-To = their
Message-ID).

No mock of SMTP or IMAP anywhere: ``mail_servers`` runs a private Postfix and Dovecot on loopback."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import async_to_sync

from trunkline.channels.email_imap import ImapPoller
from trunkline.channels.email_smtp import EmailReceiver, smtp_serve
from trunkline.channels.models import InboundEvent
from trunkline.channels.testing_mail import email_channel, free_port
from trunkline.inbox.email_intake import inbound_email_accept
from trunkline.inbox.models import Conversation, Message
from trunkline.inbox.services.email import reply_channel_resolve
from trunkline.inbox.services.messages import conversation_reply, inbound_event_process
from trunkline.inbox.services.outbox import delivery_send
from trunkline.inbox.testing import ctx_for
from trunkline.testing.factories import member

pytestmark = [pytest.mark.mail, pytest.mark.django_db]


@pytest.fixture
def owner(db):
    return member(kind="customer", role="admin", accepted_terms=True)


@pytest.fixture
def support(mail_servers) -> str:
    return mail_servers.add_user(f"support-{uuid.uuid4().hex[:10]}@sofiadental.test")


@pytest.fixture
def patient(mail_servers) -> str:
    return mail_servers.add_user(f"patient-{uuid.uuid4().hex[:10]}@example.test")


@pytest.fixture
def channel(mail_servers, owner, support):
    return email_channel(ctx_for(owner), mail_servers, address=support)


def process_stored() -> None:
    """What ``inbound_event_process_task`` does for each stored event (tasks run at once, this makes it explicit)."""
    for event_id in InboundEvent.objects.filter(processed_at=None).values_list("pk", flat=True):
        inbound_event_process(event_id=event_id)


def receive_over_imap(mail_servers, channel, support: str) -> None:
    """The IMAP poller, storing as the ``email_imap`` command does (``inbound_email_accept``)."""
    async_to_sync(ImapPoller(channel=channel, store=inbound_email_accept).sync_once)()
    process_stored()


def answer_and_wait(mail_servers, owner, conversation, patient: str, body: str, count: int):
    reply = conversation_reply(ctx=ctx_for(owner), conversation_id=conversation.public_id, body=body)
    delivery = delivery_send(delivery_id=reply.delivery.pk)
    assert (delivery.state, delivery.error_message) == ("done", "")
    reply.refresh_from_db()
    return reply, mail_servers.wait_for_messages(patient, count)


@pytest.mark.rule("PT-10.2")
def test_an_end_users_mail_arrives_over_imap_and_the_agents_answer_threads_in_their_mailbox(
    mail_servers, owner, channel, support, patient
):
    """smtplib → Postfix → Dovecot → IMAP → conversation; reply → outbox → SMTP adapter → Postfix → the end user's
    mailbox, with In-Reply-To and References naming their mail; their answer to it threads back in."""
    sent = mail_servers.message(
        sender=patient,
        to=support,
        subject="Час за преглед",
        body="Здравейте, имате ли свободен час в сряда?\n",
    )
    their_id = sent["Message-ID"].strip("<>")
    mail_servers.send(sent, sender=patient, to=[support])
    mail_servers.wait_for_messages(support, 1)

    receive_over_imap(mail_servers, channel, support)
    received = Message.objects.get(direction="inbound")
    assert (received.email_message_id, received.subject) == (their_id, "Час за преглед")
    assert received.body == "Здравейте, имате ли свободен час в сряда?"
    conversation = received.conversation
    assert conversation.contact.email == patient

    reply, mailbox = answer_and_wait(mail_servers, owner, conversation, patient, "Да, в 10:00. Очакваме ви!", 1)
    arrived = mailbox[-1]
    assert arrived["In-Reply-To"].strip() == f"<{their_id}>"
    assert f"<{their_id}>" in arrived["References"]
    assert arrived["Message-ID"].strip("<> ") == reply.email_message_id
    assert str(arrived["Subject"]) == "Re: Час за преглед"
    conversation.refresh_from_db()
    assert str(arrived["Reply-To"]) == f"reply+{conversation.reply_token}@sofiadental.test"
    assert arrived.get_body(preferencelist=("plain",)).get_content().startswith("Да, в 10:00. Очакваме ви!")
    assert reply.provider_message_id  # the adapter's answer (the Message-ID Postfix accepted)

    answer = mail_servers.message(
        sender=patient,
        to=support,
        subject="Re: Час за преглед",
        body="Благодаря!\n",
        headers={
            "In-Reply-To": f"<{reply.email_message_id}>",
            "References": f"<{their_id}> <{reply.email_message_id}>",
        },
    )
    mail_servers.send(answer, sender=patient, to=[support])
    mail_servers.wait_for_messages(support, 2)
    receive_over_imap(mail_servers, channel, support)
    assert Conversation.objects.count() == 1
    assert list(conversation.messages.values_list("direction", flat=True)) == ["inbound", "outbound", "inbound"]


@pytest.mark.rule("PT-10.2")
def test_an_end_users_mail_arrives_through_our_smtp_receiver_and_lands_in_a_conversation(
    mail_servers, owner, channel, patient
):
    """Postfix relays the channel's domain to our aiosmtpd receiver (as if MX pointed at it); the mail becomes a
    message in a conversation, and the agent's answer reaches the end user threaded under it."""
    domain = f"in-{uuid.uuid4().hex[:8]}.test"
    address = f"support@{domain}"
    channel.sender = address
    channel.save(update_fields=["sender"])
    sent = mail_servers.message(sender=patient, to=address, subject="Рентген", body="Изпращам снимката.\n")
    port = free_port()

    async def run() -> None:
        stored = asyncio.get_running_loop().create_future()
        receiver = EmailReceiver(
            store=inbound_email_accept,
            resolve_reply=reply_channel_resolve,
            on_stored=lambda event: None if stored.done() else stored.set_result(event),
        )
        server = await smtp_serve(receiver, host="127.0.0.1", port=port)
        try:
            await asyncio.to_thread(mail_servers.route_domain, domain, port)
            await asyncio.to_thread(mail_servers.send, sent, sender=patient, to=[address])
            await asyncio.wait_for(stored, 30)
        finally:
            server.close()
            await server.wait_closed()

    async_to_sync(run)()
    process_stored()
    received = Message.objects.get(email_message_id=sent["Message-ID"].strip("<>"))
    assert (received.conversation.contact.email, received.subject) == (patient, "Рентген")
    _reply, mailbox = answer_and_wait(mail_servers, owner, received.conversation, patient, "Получихме я.", 1)
    assert mailbox[-1]["In-Reply-To"].strip() == sent["Message-ID"].strip()
