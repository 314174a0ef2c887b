"""Received email in the inbox (PT-10.2): contacts by address, threading, auto-replies, DSNs, malformed mail."""

from __future__ import annotations

import pytest

from trunkline.channels.domain import status as statuses
from trunkline.channels.models import InboundEvent
from trunkline.inbox.models import Consent, Conversation, Delivery, Message, MessageAttachment, UsageRecord
from trunkline.inbox.services.messages import conversation_reply, conversation_update
from trunkline.inbox.services.outbox import delivery_send
from trunkline.inbox.testing import ctx_for
from trunkline.inbox.tests.email_helpers import (
    ADDRESS,
    RecordingMailAdapter,
    bounce_for,
    email_channel,
    mail,
    receive,
)
from trunkline.testing.factories import member


@pytest.fixture
def owner(db):
    return member(kind="customer", role="admin", accepted_terms=True)


@pytest.fixture
def channel(owner):
    return email_channel(owner.organization)


@pytest.fixture
def adapter(monkeypatch):
    fake = RecordingMailAdapter()
    monkeypatch.setattr("trunkline.inbox.services.outbox.adapter_for", lambda channel: fake)
    return fake


def reply(owner, conversation, body="Очакваме ви в сряда в 10:00."):
    return conversation_reply(ctx=ctx_for(owner), conversation_id=conversation.public_id, body=body)


@pytest.mark.rule("PT-10.2")
def test_a_received_mail_makes_a_contact_a_conversation_and_a_message(channel):
    """From a new address: contact with the email identity and name; the message keeps subject, sender and ids."""
    event = receive(channel, mail())
    message = Message.objects.get()
    assert (message.direction, message.kind, message.status) == ("inbound", "message", "received")
    assert message.body == "Здравейте, искам час за преглед."
    assert (message.subject, message.sender_address) == ("Час за преглед", "Мария Иванова <maria@gmail.example>")
    assert (message.email_message_id, message.provider_message_id) == ("m1@gmail.example", "m1@gmail.example")
    contact = message.conversation.contact
    assert (contact.name, contact.email) == ("Мария Иванова", "maria@gmail.example")
    assert list(contact.identities.values_list("kind", "value")) == [("email", "maria@gmail.example")]
    conversation = message.conversation
    assert (conversation.status, conversation.unread_count) == ("open", 1)
    assert conversation.last_message_preview == "Час за преглед — Здравейте, искам час за преглед."
    assert (event.processed_at is not None, event.error) == (True, "")


def test_the_same_mail_through_imap_and_smtp_is_one_message(channel):
    """The poller and the receiver both see one Message-ID: one message (the events differ only in their refs)."""
    receive(channel, mail(), source="imap")
    InboundEvent.objects.all().delete()
    receive(channel, mail(), source="smtp")
    assert Message.objects.count() == 1


@pytest.mark.rule("PT-10.2")
def test_a_reply_to_our_mail_threads_by_in_reply_to(owner, channel, adapter):
    """The end user answers our reply: In-Reply-To names our Message-ID, so it joins that conversation."""
    receive(channel, mail())
    conversation = Conversation.objects.get()
    ours = reply(owner, conversation)
    receive(
        channel,
        mail(
            "Благодаря!",
            subject="Re: Час за преглед",
            message_id="m2@gmail.example",
            headers=f"In-Reply-To: <{ours.email_message_id}>\nReferences: <m1@gmail.example> <{ours.email_message_id}>",
        ),
    )
    assert Conversation.objects.count() == 1
    assert list(conversation.messages.values_list("direction", flat=True)) == ["inbound", "outbound", "inbound"]


def test_a_relay_that_rewrote_our_message_id_still_threads(owner, channel, adapter):
    """When the provider answered another id (a relay like SES rewrote ours), a reply naming it threads too."""
    receive(channel, mail())
    conversation = Conversation.objects.get()
    ours = reply(owner, conversation)
    Delivery.objects.filter(message=ours).update(provider_message_id="0100018c.ses@eu-west-1.amazonses.example")
    Message.objects.filter(pk=ours.pk).update(provider_message_id="0100018c.ses@eu-west-1.amazonses.example")
    receive(
        channel,
        mail("ok", message_id="m3@gmail.example", headers="In-Reply-To: <0100018c.ses@eu-west-1.amazonses.example>"),
    )
    assert Conversation.objects.count() == 1


def test_threading_falls_back_to_the_reply_address_then_the_subject_token(owner, channel, adapter):
    """Headers lost (a forward, a new mail): reply+<token>@ finds the conversation; so does [#token] in the subject."""
    receive(channel, mail())
    conversation = Conversation.objects.get()
    reply(owner, conversation)
    conversation.refresh_from_db()
    token = conversation.reply_token
    assert len(token) == 16
    receive(channel, mail("by address", message_id="m4@gmail.example"), rcpt_to=[f"reply+{token}@sofiadental.example"])
    receive(channel, mail("by subject", subject=f"Въпрос [#{token}]", message_id="m5@gmail.example"))
    assert Conversation.objects.count() == 1
    assert conversation.messages.filter(direction="inbound").count() == 3


def test_a_new_subject_without_references_starts_a_new_conversation(channel):
    """Email threads are separate: a second unrelated mail from the same person is a second conversation."""
    receive(channel, mail())
    receive(channel, mail("Друг въпрос", subject="Фактура", message_id="m6@gmail.example"))
    assert Conversation.objects.count() == 2
    assert Conversation.objects.values("contact").distinct().count() == 1


def test_another_senders_reply_to_the_same_id_does_not_join(owner, channel, adapter):
    """Threading by id is scoped to the sender (replies to a shared newsletter id stay apart)."""
    receive(channel, mail())
    ours = reply(owner, Conversation.objects.get())
    receive(
        channel,
        mail(
            "hi",
            sender="ivan@example.org",
            message_id="x1@example.org",
            headers=f"In-Reply-To: <{ours.email_message_id}>",
        ),
    )
    assert Conversation.objects.count() == 2


@pytest.mark.rule("PT-10.2")
def test_an_auto_reply_is_appended_but_never_reopens_or_gets_an_answer(owner, channel, adapter):
    """A vacation notice on a resolved conversation: kept as an automatic message; still resolved, unread 0, no send."""
    receive(channel, mail())
    conversation = Conversation.objects.get()
    ours = reply(owner, conversation)
    conversation_update(ctx=ctx_for(owner), conversation_id=conversation.public_id, status="resolved")
    receive(
        channel,
        mail(
            "I am away until Monday.",
            subject="Automatic reply: Час за преглед",
            message_id="auto1@gmail.example",
            headers=f"Auto-Submitted: auto-replied\nIn-Reply-To: <{ours.email_message_id}>",
        ),
    )
    conversation.refresh_from_db()
    assert (conversation.status, conversation.unread_count) == ("resolved", 0)
    auto = conversation.messages.get(email_message_id="auto1@gmail.example")
    assert (auto.kind, auto.direction) == ("automatic", "inbound")
    assert Message.objects.filter(direction="outbound").count() == 1
    assert Delivery.objects.count() == 1


def test_an_unthreaded_auto_reply_opens_no_work(channel):
    """An auto-reply that threads nowhere makes a resolved conversation, never an open one."""
    receive(channel, mail("away", subject="Out of office", headers="X-Autoreply: yes"))
    assert Conversation.objects.get().status == "resolved"


def test_stop_in_an_email_does_not_opt_out(channel):
    """STOP keywords are SMS-only: an email saying STOP is just a message."""
    receive(channel, mail("STOP", subject="STOP"))
    assert Consent.objects.count() == 0
    assert Message.objects.filter(kind="automatic").count() == 0


def test_a_malformed_mail_is_stored_with_notes_and_the_next_mail_goes_on(channel, settings):
    """Broken MIME, an unknown charset and an attachment over the limit: stored with notes; the next mail is fine."""
    settings.INBOX_EMAIL_MAX_ATTACHMENT_BYTES = 10
    raw = (
        b"From: ivan@example.org\r\nSubject: broken\r\nMessage-ID: <bad1@example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n'
        b"hello \xff\r\n--B\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename=big.pdf\r\n\r\n"
        b"0123456789abcdef\r\n"
    )
    first = receive(channel, raw)
    receive(channel, mail("next", message_id="after@gmail.example"))
    bad = Message.objects.get(email_message_id="bad1@example.org")
    codes = [note["code"] for note in bad.notes]
    assert "unknown_charset" in codes
    assert "attachment_too_large" in codes
    assert "mime_defect" in codes
    assert bad.body == "hello \ufffd"
    assert first.error == ""
    assert Message.objects.filter(email_message_id="after@gmail.example").exists()


def test_unreadable_base64_is_still_a_message_with_a_note(channel):
    """A payload whose raw field is not base64 at all still leaves a message saying so."""
    from trunkline.channels.services import inbound_event_store
    from trunkline.inbox.services.messages import inbound_event_process

    event = inbound_event_store(
        channel=channel, kind="message", event_key="email-sha256:00", payload={"raw": "***", "mail_from": "a@b.example"}
    )
    assert event is not None
    inbound_event_process(event_id=event.pk)
    message = Message.objects.get()
    assert message.notes[0]["code"] in ("raw_unreadable", "no_headers")


def test_attachments_are_stored_under_the_organisation_with_random_names(channel, owner):
    """The file name the sender chose never reaches storage; type, size and Content-ID are kept."""
    from trunkline.channels.tests.test_mail_parse import ATTACHED

    receive(channel, ATTACHED)
    stored = list(MessageAttachment.objects.order_by("id"))
    assert [(a.filename, a.content_type, a.size, a.is_inline) for a in stored] == [
        ("attachment.png", "image/png", 8, True),
        ("рентген.pdf", "application/pdf", 12, False),
        ("big.bin", "application/octet-stream", 3000, False),
    ]
    for attachment in stored:
        assert attachment.file.name
        assert attachment.file.name.startswith(f"inbox/{owner.organization.public_id}/")
        assert "рентген" not in attachment.file.name
    assert stored[1].file.read() == bytes.fromhex("255044462d312e340a25c7ec")


def reject_pdfs(*, filename, content_type, data):
    return "PDFs are refused here." if content_type == "application/pdf" else None


def test_the_virus_scanner_hook_can_refuse_a_file(channel, settings):
    """INBOX_ATTACHMENT_SCANNER names a callable; a refused file is not stored and the message says why."""
    from trunkline.channels.tests.test_mail_parse import ATTACHED

    settings.INBOX_ATTACHMENT_SCANNER = "trunkline.inbox.tests.test_email_inbound.reject_pdfs"
    receive(channel, ATTACHED)
    assert MessageAttachment.objects.filter(content_type="application/pdf").count() == 0
    message = Message.objects.get()
    assert {
        "code": "attachment_rejected",
        "filename": "рентген.pdf",
        "reason": "PDFs are refused here.",
    } in message.notes


@pytest.mark.rule("PT-10.2")
def test_a_bounce_moves_the_original_delivery_to_undelivered_and_is_not_a_message(owner, channel, adapter):
    """A Postfix DSN for our reply: the delivery and message go undelivered with 5.1.1; no message is added."""
    receive(channel, mail())
    ours = reply(owner, Conversation.objects.get())
    delivery_send(delivery_id=ours.delivery.pk)
    receive(channel, bounce_for(ours.email_message_id, action="failed", status="5.1.1"))
    ours.refresh_from_db()
    assert (ours.status, ours.error_code) == (statuses.UNDELIVERED, "5.1.1")
    assert Message.objects.count() == 2
    receive(channel, bounce_for(ours.email_message_id, action="delivered", status="2.0.0", key="late"))
    ours.refresh_from_db()
    assert ours.status == statuses.DELIVERED  # positive evidence wins over an earlier failure (forward-only rule)


def test_email_traffic_is_metered_per_channel_and_day(owner, channel, adapter):
    """Two received and one sent email: the day's usage says 2 received, 1 sent (messages)."""
    receive(channel, mail())
    receive(channel, mail("more", subject="x", message_id="m9@gmail.example"))
    ours = reply(owner, Conversation.objects.first())
    delivery_send(delivery_id=ours.delivery.pk)
    usage = UsageRecord.objects.get(channel=channel)
    assert (usage.received, usage.messages, usage.organization_id) == (2, 1, owner.organization_id)
    assert channel.sender == ADDRESS


def test_a_bounce_for_a_message_we_never_sent_is_recorded_on_the_event_only(channel):
    """A DSN naming an unknown Message-ID: no message, no conversation; the event says why."""
    event = receive(channel, bounce_for("stranger@elsewhere.example", action="failed", status="5.1.1"))
    assert (Message.objects.count(), Conversation.objects.count()) == (0, 0)
    assert event.processed_at is not None
    assert event.error == "Delivery report for a message we did not send: stranger@elsewhere.example"


def test_the_receiver_resolves_a_reply_address_to_the_channel_holding_the_token(owner, channel, adapter):
    """Two channels of one domain: reply+<token>@ belongs to the one whose conversation has the token; else None."""
    from trunkline.inbox.services.email import reply_channel_resolve

    other = email_channel(owner.organization, sender="sales@sofiadental.example")
    receive(channel, mail())
    conversation = Conversation.objects.get()
    reply(owner, conversation)
    conversation.refresh_from_db()
    assert reply_channel_resolve(conversation.reply_token.upper(), [other, channel]) == channel
    assert reply_channel_resolve("0123456789abcdef", [other, channel]) is None
