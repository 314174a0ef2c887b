"""Replies from the inbox on an email conversation: the composed MIME threads in the end user's mail client."""

from __future__ import annotations

import pytest

from trunkline.channels.domain.mail.parse import parse_mail
from trunkline.inbox.errors import NoEmailError, OptedOutError
from trunkline.inbox.models import Conversation, Delivery
from trunkline.inbox.services.contacts import consent_opt_out, contact_create
from trunkline.inbox.services.messages import conversation_open, conversation_reply
from trunkline.inbox.services.outbox import delivery_send
from trunkline.inbox.testing import ctx_for
from trunkline.inbox.tests.email_helpers import RecordingMailAdapter, email_channel, mail, receive
from trunkline.testing.factories import member


@pytest.fixture
def owner(db):
    return member(kind="customer", role="admin", accepted_terms=True)


@pytest.fixture
def channel(owner):
    return email_channel(owner.organization, settings={"display_name": "София Дентал"})


@pytest.fixture
def adapter(monkeypatch):
    fake = RecordingMailAdapter()
    monkeypatch.setattr("trunkline.inbox.services.outbox.adapter_for", lambda channel: fake)
    return fake


@pytest.mark.rule("PT-10.2")
def test_a_reply_carries_from_reply_to_subject_and_the_threading_headers(owner, channel, adapter):
    """From the channel's address and name, Reply-To reply+token@, To the contact, "Re: …", a Message-ID at the
    channel's domain, In-Reply-To the end user's mail, References the thread; sent as is through the outbox."""
    receive(channel, mail(message_id="first@gmail.example", headers="References: <older@gmail.example>"))
    conversation = Conversation.objects.get()
    message = conversation_reply(ctx=ctx_for(owner), conversation_id=conversation.public_id, body="Да, в 10:00.")
    conversation.refresh_from_db()
    delivery = Delivery.objects.get(message=message)
    sent = parse_mail(bytes(delivery.mime))
    assert (sent.sender.name, sent.sender.address) == ("София Дентал", "info@sofiadental.example")
    assert [(a.name, a.address) for a in sent.to] == [("Мария Иванова", "maria@gmail.example")]
    assert [a.address for a in sent.reply_to] == [f"reply+{conversation.reply_token}@sofiadental.example"]
    assert sent.subject == "Re: Час за преглед"
    assert sent.message_id == message.email_message_id
    assert message.email_message_id.endswith("@sofiadental.example")
    assert sent.in_reply_to == ("first@gmail.example",)
    assert sent.references == ("first@gmail.example",)
    assert sent.text == "Да, в 10:00."
    assert "<p>Да, в 10:00.</p>" in sent.html
    assert (delivery.to, message.subject, message.segments) == ("maria@gmail.example", "Re: Час за преглед", 0)
    delivery_send(delivery_id=delivery.pk)
    assert adapter.sent[0].mime == bytes(delivery.mime)
    assert adapter.sent[0].to == "maria@gmail.example"
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("sent", message.email_message_id)


def test_the_second_reply_references_the_whole_thread(owner, channel, adapter):
    """References grow oldest first: their mail, our first reply; In-Reply-To stays the newest inbound mail."""
    receive(channel, mail(message_id="first@gmail.example"))
    conversation = Conversation.objects.get()
    one = conversation_reply(ctx=ctx_for(owner), conversation_id=conversation.public_id, body="one")
    two = conversation_reply(ctx=ctx_for(owner), conversation_id=conversation.public_id, body="two")
    sent = parse_mail(bytes(Delivery.objects.get(message=two).mime))
    assert sent.references == ("first@gmail.example", one.email_message_id)
    assert sent.in_reply_to == ("first@gmail.example",)


def test_writing_first_to_a_contact_without_an_address_is_refused(owner, channel):
    """A contact with only a phone number cannot be emailed: NoEmailError, nothing queued."""
    contact = contact_create(ctx=ctx_for(owner), name="Иван", phone="+359888123456")
    conversation = conversation_open(ctx=ctx_for(owner), contact_id=contact.public_id, channel_id=channel.public_id)
    with pytest.raises(NoEmailError) as error:
        conversation_reply(ctx=ctx_for(owner), conversation_id=conversation.public_id, body="Здравейте")
    assert error.value.code == "inbox.no_email"
    assert Delivery.objects.count() == 0


def test_writing_first_by_email_makes_a_subject(owner, channel):
    """The first mail of a conversation the agent starts has a subject naming the sender, no In-Reply-To."""
    contact = contact_create(ctx=ctx_for(owner), name="Иван", email="Ivan@Example.org")
    conversation = conversation_open(ctx=ctx_for(owner), contact_id=contact.public_id, channel_id=channel.public_id)
    message = conversation_reply(ctx=ctx_for(owner), conversation_id=conversation.public_id, body="Здравейте")
    sent = parse_mail(bytes(message.delivery.mime))
    assert (sent.subject, sent.in_reply_to, sent.to[0].address) == ("Message from София Дентал", (), "ivan@example.org")


@pytest.mark.rule("PT-10.8")
def test_a_promotional_email_carries_the_unsubscribe_headers_and_link(owner, channel):
    """List-Unsubscribe (https one-click and mailto), List-Unsubscribe-Post, and the visible link and identification."""
    owner.organization.language = "bg"
    owner.organization.save(update_fields=["language"])
    channel.refresh_from_db()
    receive(channel, mail())
    conversation = Conversation.objects.get()
    message = conversation_reply(
        ctx=ctx_for(owner), conversation_id=conversation.public_id, body="Промоция", is_promotional=True
    )
    raw = bytes(message.delivery.mime)
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in head
    assert "<http://testserver/u/" in head or "/u/" in head
    assert "<mailto:info@sofiadental.example?subject=unsubscribe>" in head
    sent = parse_mail(raw)
    assert "Sofia Dental, +359 2 123 4567" in sent.text
    assert "Отписване: " in sent.text  # the organisation's language (bg)


@pytest.mark.rule("PT-10.8")
def test_a_single_promotional_email_to_an_opted_out_address_is_refused(owner, channel):
    """Opted out of the channel: OptedOutError, nothing queued."""
    receive(channel, mail())
    conversation = Conversation.objects.get()
    consent_opt_out(contact=conversation.contact, channel=channel, source="test")
    with pytest.raises(OptedOutError):
        conversation_reply(ctx=ctx_for(owner), conversation_id=conversation.public_id, body="x", is_promotional=True)
    assert Delivery.objects.count() == 0
