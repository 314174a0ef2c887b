"""The inbound path: verify → store the raw event once → 2xx → process; consent keywords act at once."""

from __future__ import annotations

import pytest
from django.test import Client

from trunkline.channels.models import InboundEvent
from trunkline.inbox.models import Consent, Contact, Conversation, Message
from trunkline.inbox.tests.conftest import CUSTOMER, hook_url


def test_a_signed_inbound_sms_makes_a_contact_a_conversation_and_a_message(inbound):
    """A signed SMS from a new number: 200 with empty TwiML; the contact, conversation and message exist."""
    assert inbound("Здравейте, искам час") == 200
    message = Message.objects.get()
    assert (message.direction, message.body, message.status, message.encoding) == (
        "inbound",
        "Здравейте, искам час",
        "received",
        "ucs2",
    )
    assert message.conversation.contact.phone == CUSTOMER
    assert message.conversation.status == "open"
    assert message.conversation.unread_count == 1
    assert InboundEvent.objects.get().processed_at is not None


def test_a_bad_signature_is_rejected_and_nothing_is_stored(inbound, channel):
    """A forged signature answers 403; no event, contact or message is stored."""
    assert inbound("Hello", signature="bm90IHRoZSBzaWduYXR1cmU=") == 403
    assert (InboundEvent.objects.count(), Contact.objects.count(), Message.objects.count()) == (0, 0, 0)


def test_a_missing_signature_is_rejected(channel):
    """No X-Twilio-Signature at all: 403."""
    response = Client().post(hook_url(channel).removeprefix("http://testserver"), {"MessageSid": "SM1", "Body": "x"})
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0


def test_the_same_webhook_three_times_makes_one_message(inbound):
    """Twilio retries: three deliveries of one MessageSid store one event and one message."""
    assert [inbound("Hi", sid="SM" + "a" * 32) for _ in range(3)] == [200, 200, 200]
    assert (InboundEvent.objects.count(), Message.objects.count()) == (1, 1)


def test_a_second_sms_goes_to_the_same_open_conversation(inbound):
    """Two messages from one number share one conversation."""
    inbound("one")
    inbound("two")
    assert Conversation.objects.count() == 1
    assert list(Message.objects.values_list("body", flat=True)) == ["one", "two"]


@pytest.mark.rule("PT-8.13")
def test_stop_opts_out_at_once_and_start_opts_back_in(inbound, channel):
    """STOP records the opt-out for this channel at once; START clears it; both are in the consent log."""
    inbound("STOP")
    consent = Consent.objects.get()
    assert consent.is_opted_out
    assert consent.channel == channel
    inbound("start")
    consent.refresh_from_db()
    assert not consent.is_opted_out
    assert list(consent.events.values_list("action", flat=True)) == ["opted_out", "opted_in"]


@pytest.mark.rule("PT-8.13")
def test_bulgarian_stop_opts_out(inbound):
    """СТОП opts out like STOP."""
    inbound("СТОП")
    assert Consent.objects.get().is_opted_out


@pytest.mark.rule("PT-8.10")
def test_help_answers_with_the_senders_identification(inbound, standin):
    """HELP gets an automatic reply naming the sender and its contact, sent through the outbox to the provider."""
    inbound("HELP")
    reply = Message.objects.get(kind="automatic")
    assert reply.body == "Sofia Dental, +359 2 123 4567. Reply STOP to opt out, START to opt back in."
    assert [sent["body"] for sent in standin.accepted] == [reply.body]
