"""The email adapter against real Postfix and Dovecot on loopback: a sent message lands in the recipient's mailbox,
DKIM-signed and verifiable; refusals and lost connections are classified for the outbox."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import make_msgid

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from trunkline.channels.adapters import adapter_for
from trunkline.channels.adapters.base import Outbound, SendError
from trunkline.channels.adapters.email import EmailAdapter
from trunkline.channels.testing_mail import email_channel, free_port, wait_until
from trunkline.inbox.testing import ctx_for
from trunkline.testing.factories import member

pytestmark = [pytest.mark.mail, pytest.mark.django_db]
SUPPORT = "support@sofiadental.test"


@pytest.fixture(scope="module")
def dkim_key() -> tuple[str, bytes]:
    """An RSA key: (private PEM, the DNS TXT record publishing its public half)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


@pytest.fixture
def ctx():
    return ctx_for(member(kind="customer", role="admin", accepted_terms=True))


def reply_mime(*, to: str, subject: str, body: str = "Your appointment is confirmed.\n", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Sofia Dental <{SUPPORT}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="sofiadental.test")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def outbound(mime: bytes, to: str) -> Outbound:
    return Outbound(to=to, body="", sender=SUPPORT, idempotency_key="unused", mime=mime)


def arrived(servers, user: str, subject: str):
    """The message with ``subject`` in ``user``'s mailbox, once Postfix has delivered it."""
    try:
        return wait_until(
            lambda: next((m for m in servers.messages(user) if m["Subject"] == subject), None),
            timeout=30,
            what=f"{subject!r} in {user}",
        )
    except TimeoutError as error:
        raise AssertionError(f"{error}\n{servers.logs()}") from None


def test_a_reply_goes_through_postfix_into_the_end_users_mailbox(mail_servers, ctx):
    """The composed message is relayed as is: envelope from the channel address, the relay's queue id kept."""
    channel = email_channel(ctx, mail_servers, imap=False)
    mime = reply_mime(to="enduser@example.test", subject="Appointment 1", In_Reply_To="<question@example.test>")

    result = adapter_for(channel).send(outbound(mime, "enduser@example.test"))

    message = arrived(mail_servers, "enduser@example.test", "Appointment 1")
    assert message["Return-Path"] == f"<{SUPPORT}>"
    assert message["In-Reply-To"] == "<question@example.test>"
    assert result.status == "accepted"
    assert f"<{result.provider_message_id}>" == message["Message-ID"]
    assert result.raw["queued_as"]
    assert result.raw["queued_as"] in result.raw["reply"]
    assert adapter_for(channel).supports_idempotency_key is False


def test_the_dkim_signature_verifies_with_the_published_key(mail_servers, ctx, dkim_key):
    """DKIM-Signature (relaxed/relaxed) covers From, Subject, Message-ID and List-Unsubscribe-Post, and verifies
    after the trip through Postfix and Dovecot against the TXT record at <selector>._domainkey.<domain>."""
    private, record = dkim_key
    channel = email_channel(ctx, mail_servers, imap=False, dkim=("sofiadental.test", "tl2026", private))
    mime = reply_mime(
        to="enduser@example.test",
        subject="Здравейте — offer",
        List_Unsubscribe="<https://trunkline.test/u/abc>",
        List_Unsubscribe_Post="List-Unsubscribe=One-Click",
    )
    adapter_for(channel).send(outbound(mime, "enduser@example.test"))
    message = arrived(mail_servers, "enduser@example.test", "Здравейте — offer")
    raw = next(raw for _, raw in mail_servers.fetch_all("enduser@example.test") if b"offer" in raw)
    asked: list[bytes] = []

    def dns(name: bytes, timeout: int = 5) -> bytes:
        asked.append(name)
        return record if name == b"tl2026._domainkey.sofiadental.test." else b""

    assert dkim.verify(raw, dnsfunc=dns)
    assert asked == [b"tl2026._domainkey.sofiadental.test."]
    signed = message["DKIM-Signature"].replace("\r\n", "").replace("\n", "").replace(" ", "").replace("\t", "")
    assert "d=sofiadental.test" in signed
    assert "s=tl2026" in signed
    assert "c=relaxed/relaxed" in signed
    assert "list-unsubscribe-post" in signed.split("h=")[1].split(";")[0]
    tampered = raw.replace(b"offer", b"0ffer", 1)
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_an_unknown_recipient_refused_with_5xx_is_terminal(mail_servers, ctx):
    """Postfix refuses the RCPT with 550 5.1.1: not retried."""
    channel = email_channel(ctx, mail_servers, imap=False)
    with pytest.raises(SendError) as error:
        adapter_for(channel).send(outbound(reply_mime(to="x", subject="Lost"), "nobody@example.test"))
    assert error.value.code == "smtp_550"
    assert error.value.retryable is False
    assert error.value.ambiguous is False
    assert "User unknown" in str(error.value)


def test_a_stopped_server_is_retryable(mail_servers):
    """Nothing listens on the port: the message never left, so it is tried again later."""
    adapter = EmailAdapter(host="127.0.0.1", port=free_port(), security="none", envelope_sender=SUPPORT, timeout=5)
    with pytest.raises(SendError) as error:
        adapter.send(outbound(reply_mime(to="x", subject="Later"), "enduser@example.test"))
    assert (error.value.code, error.value.retryable, error.value.ambiguous) == ("connect", True, False)


def test_a_4xx_refusal_is_retryable(mail_servers):
    """A relay deferring the recipient (450) is asked again later."""
    adapter = EmailAdapter(
        host="127.0.0.1", port=mail_servers.tempfail_smtp_port, security="none", envelope_sender=SUPPORT, timeout=10
    )
    with pytest.raises(SendError) as error:
        adapter.send(outbound(reply_mime(to="x", subject="Deferred"), "enduser@example.test"))
    assert (error.value.code, error.value.retryable, error.value.ambiguous) == ("smtp_450", True, False)


def test_no_answer_after_data_is_ambiguous_and_the_mail_may_still_arrive(mail_servers):
    """The relay got the whole message but its answer came too late: ambiguous — and indeed it was delivered, which
    is why an ambiguous email is never sent again."""
    adapter = EmailAdapter(
        host="127.0.0.1", port=mail_servers.slow_smtp_port, security="none", envelope_sender=SUPPORT, timeout=1
    )
    with pytest.raises(SendError) as error:
        adapter.send(outbound(reply_mime(to="x", subject="Slow relay"), "enduser@example.test"))
    assert (error.value.code, error.value.retryable, error.value.ambiguous) == ("timeout", True, True)
    assert arrived(mail_servers, "enduser@example.test", "Slow relay")["Subject"] == "Slow relay"


def test_authenticated_submission(mail_servers, ctx):
    """With a user name the adapter logs in (AUTH PLAIN, checked by Dovecot) before sending."""
    channel = email_channel(ctx, mail_servers, imap=False, login=True)
    adapter_for(channel).send(outbound(reply_mime(to="x", subject="With login"), "enduser@example.test"))
    assert arrived(mail_servers, "enduser@example.test", "With login")
    assert "sasl_username=support@sofiadental.test" in (mail_servers.postfix_dir / "maillog").read_text()


def test_a_wrong_password_is_terminal(mail_servers):
    adapter = EmailAdapter(
        host="127.0.0.1",
        port=mail_servers.smtp_port,
        security="none",
        envelope_sender=SUPPORT,
        username=SUPPORT,
        password="wrong",
        timeout=10,
    )
    with pytest.raises(SendError) as error:
        adapter.send(outbound(reply_mime(to="x", subject="Bad login"), "enduser@example.test"))
    assert (error.value.code, error.value.retryable) == ("smtp_535", False)


def test_a_message_without_message_id_gets_one_from_the_channels_domain(mail_servers):
    """The result's provider message id is the Message-ID that was actually sent."""
    adapter = EmailAdapter(host="127.0.0.1", port=mail_servers.smtp_port, security="none", envelope_sender=SUPPORT)
    mime = b"From: support@sofiadental.test\nTo: enduser@example.test\nSubject: No id\n\nHello\n"
    result = adapter.send(outbound(mime, "enduser@example.test"))
    message = arrived(mail_servers, "enduser@example.test", "No id")
    assert result.provider_message_id.endswith("@sofiadental.test")
    assert message["Message-ID"] == f"<{result.provider_message_id}>"


@pytest.mark.parametrize(("security", "port"), [("starttls", "smtp_port"), ("tls", "smtps_port")])
def test_tls_to_the_relay_verifies_its_certificate(mail_servers, settings, security, port):
    """STARTTLS and implicit TLS: the relay's certificate is checked against the trusted CAs (here the test CA,
    given as EMAIL_TLS_CA_FILE); the login then travels encrypted."""
    from trunkline.channels import email_policy

    settings.EMAIL_TLS_CA_FILE = str(mail_servers.ca_file)
    adapter = EmailAdapter(
        host="127.0.0.1",
        port=getattr(mail_servers, port),
        security=security,
        envelope_sender=SUPPORT,
        username=SUPPORT,
        password=mail_servers.users[SUPPORT],
        tls_context=email_policy.tls_context(),
    )
    subject = f"Over {security}"
    adapter.send(outbound(reply_mime(to="x", subject=subject), "enduser@example.test"))
    message = arrived(mail_servers, "enduser@example.test", subject)
    received = " ".join(str(header) for header in message.get_all("Received"))
    assert "using TLS" in received
    assert "with ESMTPSA" in received  # Postfix: ESMTP, Secure (TLS), Authenticated


@pytest.mark.parametrize(("security", "port"), [("starttls", "smtp_port"), ("tls", "smtps_port")])
def test_an_untrusted_certificate_is_refused_and_terminal(mail_servers, security, port):
    """Without the test CA the certificate cannot be verified: nothing is sent, and retrying would not help."""
    adapter = EmailAdapter(
        host="127.0.0.1", port=getattr(mail_servers, port), security=security, envelope_sender=SUPPORT
    )
    with pytest.raises(SendError) as error:
        adapter.send(outbound(reply_mime(to="x", subject="Untrusted"), "enduser@example.test"))
    assert (error.value.code, error.value.retryable) == ("tls", False)
    assert "certificate verify failed" in str(error.value)
