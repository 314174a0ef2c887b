"""One function stores inbound email from IMAP and from the SMTP receiver: keyed by Message-ID (or the bytes' digest),
kept as received, stored once."""

from __future__ import annotations

import base64
import hashlib

import pytest

from trunkline.channels.domain.email import event_key_for, message_id_normalise
from trunkline.channels.models import InboundEvent
from trunkline.channels.services import inbound_email_store
from trunkline.channels.testing_mail import email_channel
from trunkline.inbox.testing import ctx_for
from trunkline.testing.factories import member

pytestmark = pytest.mark.django_db

RAW = (
    b"From: enduser@example.test\r\nTo: support@sofiadental.test\r\nMessage-ID:\r\n <Abc.1@Example.TEST>\r\n\r\nHi\r\n"
)


class _NoServers:
    """Enough of MailServers for ``email_channel`` without running them (nothing is sent here)."""

    host = "127.0.0.1"
    smtp_port = 25
    imap_port = 143
    users = {"support@sofiadental.test": "pw"}

    def add_user(self, address):
        return address


@pytest.fixture
def channel():
    return email_channel(ctx_for(member(kind="customer", role="admin", accepted_terms=True)), _NoServers())  # type: ignore[arg-type]


def test_message_ids_are_normalised_to_one_form():
    assert message_id_normalise(" <Abc.1@Example.TEST> ") == "Abc.1@Example.TEST"
    assert message_id_normalise("<a@b.test> (comment) <c@d.test>") == "a@b.test"
    assert message_id_normalise("bare@Host.Test") == "bare@Host.Test"
    assert message_id_normalise("") == ""


def test_a_message_is_stored_with_the_payload_contract(channel):
    event = inbound_email_store(
        channel=channel,
        raw=RAW,
        source="smtp",
        mail_from="enduser@example.test",
        rcpt_to=["support@sofiadental.test"],
        ref="receiver:1",
    )
    assert event is not None
    event.refresh_from_db()
    assert (event.kind, event.event_key) == ("message", "email:Abc.1@Example.TEST")
    assert event.organization_id == channel.organization_id
    assert event.payload == {
        "source": "smtp",
        "raw": base64.b64encode(RAW).decode(),
        "mail_from": "enduser@example.test",
        "rcpt_to": ["support@sofiadental.test"],
        "ref": "receiver:1",
    }


def test_the_same_message_from_imap_after_smtp_is_a_duplicate(channel):
    assert inbound_email_store(channel=channel, raw=RAW, source="smtp") is not None
    assert inbound_email_store(channel=channel, raw=RAW.replace(b"Hi", b"Hi again"), source="imap") is None
    assert InboundEvent.objects.count() == 1


def test_without_a_message_id_the_digest_of_the_bytes_is_the_key(channel):
    raw = b"From: a@example.test\r\nSubject: no id\r\n\r\nbody\r\n"
    event = inbound_email_store(channel=channel, raw=raw, source="imap")
    assert event is not None
    assert event.event_key == "email-sha256:" + hashlib.sha256(raw).hexdigest()
    assert inbound_email_store(channel=channel, raw=raw, source="imap") is None


def test_malformed_bytes_are_stored_as_received():
    """Not even headers: a key from the digest, the bytes kept exactly."""
    raw = b"\xff\xfe\x00garbage without headers\x00"
    assert event_key_for(raw).startswith("email-sha256:")
    assert event_key_for(b"Message-ID: <" + b"x" * 300 + b"@a.test>\r\n\r\n").startswith("email-id-sha256:")


def test_an_unknown_source_is_a_programming_error(channel):
    with pytest.raises(ValueError, match="Unknown inbound email source"):
        inbound_email_store(channel=channel, raw=RAW, source="pop3")
