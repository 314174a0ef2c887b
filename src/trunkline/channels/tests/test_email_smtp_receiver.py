"""The inbound SMTP receiver (aiosmtpd) with real clients: smtplib as an end user's mail program, and Postfix relaying
to it as the MX of a domain. Unknown recipients get 550, oversize mail 552, and malformed mail is stored as received
without holding up the next message."""

from __future__ import annotations

import asyncio
import base64
import smtplib
import uuid

import pytest
from asgiref.sync import async_to_sync

from trunkline.channels.email_smtp import EmailReceiver, channel_for_address, smtp_serve
from trunkline.channels.models import ChannelStatus, InboundEvent
from trunkline.channels.testing_mail import email_channel, free_port
from trunkline.inbox.testing import ctx_for
from trunkline.testing.factories import member

pytestmark = pytest.mark.django_db
ENDUSER = "enduser@example.test"
PATIENCE = 30


class _NoServers:
    host = "127.0.0.1"
    smtp_port = 25
    imap_port = 143
    users: dict[str, str] = {}

    def add_user(self, address):
        return address


def channel_at(address: str, servers=None):
    ctx = ctx_for(member(kind="customer", role="admin", accepted_terms=True))
    return email_channel(ctx, servers or _NoServers(), address=address, imap=False)  # type: ignore[arg-type]


def receive(scenario, **receiver_options):
    """Run the receiver on a free loopback port while ``scenario(port)`` runs in a thread (as a client would)."""
    port = free_port()
    receiver = EmailReceiver(**receiver_options)

    async def run():
        server = await smtp_serve(receiver, host="127.0.0.1", port=port)
        try:
            return await asyncio.to_thread(scenario, port)
        finally:
            server.close()
            await server.wait_closed()

    return async_to_sync(run)()


def raw_events():
    return [(event.payload, base64.b64decode(event.payload["raw"])) for event in InboundEvent.objects.order_by("pk")]


def test_a_mail_sent_with_smtplib_is_stored_with_its_envelope():
    channel = channel_at("support@sofiadental.test")
    message = (
        b"From: End User <enduser@example.test>\r\nTo: support@sofiadental.test\r\nSubject: Hi\r\n"
        b"Message-ID: <m1@example.test>\r\n\r\nHello\r\n"
    )

    def scenario(port):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            return client.sendmail(ENDUSER, ["Support@SofiaDental.test"], message)

    assert receive(scenario) == {}
    event = InboundEvent.objects.get()
    assert (event.channel_id, event.event_key) == (channel.pk, "email:m1@example.test")
    assert event.payload["source"] == "smtp"
    assert event.payload["mail_from"] == ENDUSER
    assert event.payload["rcpt_to"] == ["Support@SofiaDental.test"]
    assert event.payload["ref"].startswith("smtp:")
    assert base64.b64decode(event.payload["raw"]) == message


def test_unknown_recipients_are_refused_with_550_and_nothing_is_stored():
    channel_at("support@sofiadental.test")
    disabled = channel_at("old@sofiadental.test")
    disabled.status = ChannelStatus.DISABLED
    disabled.save()

    def scenario(port):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            client.mail(ENDUSER)
            return [client.rcpt(address)[0] for address in ("nobody@sofiadental.test", "old@sofiadental.test")]

    assert receive(scenario) == [550, 550]
    assert not InboundEvent.objects.exists()


def test_a_reply_address_is_accepted_for_the_channel_of_its_domain():
    channel = channel_at("support@sofiadental.test")
    assert channel_for_address("reply+c0ffee@SofiaDental.test") == channel
    assert channel_for_address("reply+c0ffee@elsewhere.test") is None
    other = channel_at("sales@sofiadental.test")
    assert channel_for_address("reply+c0ffee@sofiadental.test") is None  # two channels: refused, never guessed
    picked = channel_for_address("reply+c0ffee@sofiadental.test", resolve_reply=lambda token, candidates: other)
    assert picked == other


def test_oversize_mail_is_refused_with_552(settings):
    """Announced too big (SIZE) or sent too big (DATA): 552 either way, and nothing stored."""
    settings.EMAIL_INBOUND_MAX_BYTES = 2000
    channel_at("support@sofiadental.test")
    big = b"Subject: big\r\n\r\n" + (b"x" * 98 + b"\r\n") * 50

    def scenario(port):
        codes = []
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            try:
                client.sendmail(ENDUSER, ["support@sofiadental.test"], big)  # smtplib announces SIZE=...
            except smtplib.SMTPSenderRefused as error:
                codes.append(error.smtp_code)
            client.rset()
            client.mail(ENDUSER)  # no SIZE announced: refused once the data goes over
            client.rcpt("support@sofiadental.test")
            codes.append(client.data(big)[0])
        return codes

    assert receive(scenario) == [552, 552]
    assert not InboundEvent.objects.exists()


def test_malformed_mail_is_stored_as_received_and_the_next_mail_too():
    """Broken MIME, an unknown charset, NULs and 8-bit junk: stored byte for byte (key from the digest); the good
    message right after it in the same session is stored too."""
    channel_at("support@sofiadental.test")
    malformed = (
        b"Subject: =?x-unknown?Q?=FF=FE?=\r\nContent-Type: multipart/mixed; boundary=\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n--\r\n\xff\xfe\x00\x01 not base64 !!\r\n"
    )
    good = b"Subject: fine\r\nMessage-ID: <fine@example.test>\r\n\r\nAll good\r\n"

    def scenario(port):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail(ENDUSER, ["support@sofiadental.test"], malformed)
            client.sendmail(ENDUSER, ["support@sofiadental.test"], good)

    receive(scenario)
    assert [raw for _, raw in raw_events()] == [malformed, good]
    assert [event.event_key[:13] for event in InboundEvent.objects.order_by("pk")] == ["email-sha256:", "email:fine@ex"]


def test_a_failing_store_answers_451_and_the_receiver_keeps_going():
    """A message that cannot be stored is not acknowledged (the sender keeps it and retries); the next one is."""
    channel_at("support@sofiadental.test")
    from trunkline.channels.services import inbound_email_store

    def store(**kwargs):
        if b"poison" in kwargs["raw"]:
            raise RuntimeError("a bug")
        return inbound_email_store(**kwargs)

    def scenario(port):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            client.mail(ENDUSER)
            client.rcpt("support@sofiadental.test")
            first = client.data(b"Subject: poison\r\n\r\nx\r\n")[0]
            client.sendmail(ENDUSER, ["support@sofiadental.test"], b"Subject: next\r\n\r\ny\r\n")
            return first

    assert receive(scenario, store=store) == 451
    assert [raw for _, raw in raw_events()] == [b"Subject: next\r\n\r\ny\r\n"]


@pytest.mark.mail
def test_postfix_relays_a_domain_to_the_receiver_as_its_mx(mail_servers):
    """The end user writes through Postfix to an address whose domain is routed to the receiver (as MX would)."""
    domain = f"in-{uuid.uuid4().hex[:8]}.sofiadental.test"
    channel = channel_at(f"help@{domain}")
    port = free_port()

    async def run():
        stored = asyncio.get_running_loop().create_future()
        receiver = EmailReceiver(on_stored=lambda event: None if stored.done() else stored.set_result(event))
        server = await smtp_serve(receiver, host="127.0.0.1", port=port)
        try:
            await asyncio.to_thread(mail_servers.route_domain, domain, port)
            message = mail_servers.message(sender=ENDUSER, to=f"help@{domain}", subject="Via MX")
            await asyncio.to_thread(mail_servers.send, message)
            await asyncio.wait_for(stored, PATIENCE)
        finally:
            server.close()
            await server.wait_closed()

    async_to_sync(run)()
    event = InboundEvent.objects.get()
    assert event.channel_id == channel.pk
    assert event.payload["rcpt_to"] == [f"help@{domain}"]
    assert b"by mail.trunkline.test (Postfix)" in base64.b64decode(event.payload["raw"])
