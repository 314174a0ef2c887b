"""The inbound SMTP receiver, over a real socket on a free port: mail from a representative becomes a ticket."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

import pytest

from trunkline.notifications.models import Notice
from trunkline.support.models import Ticket
from trunkline.support.smtp import support_smtp_controller

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port():
    port = free_port()
    controller = support_smtp_controller(hostname="127.0.0.1", port=port, addresses=["support@example.com"])
    controller.start()
    yield port
    controller.stop()


def message(sender: str, message_id: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "support@example.com", "Calls drop"
    mail["Message-ID"] = message_id
    mail.set_content("All calls drop after 30 seconds.")
    return mail


@pytest.mark.rule("PT-7.4")
def test_mail_over_smtp_opens_a_ticket_and_strangers_get_no_ticket(representative_member, smtp_port):
    """A representative's message is stored as a ticket; a stranger's is accepted, answered, and makes none."""
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(message("maria@vitosha.example.com", "<s1@vitosha.example.com>"))
        client.send_message(message("stranger@elsewhere.example.com", "<s2@elsewhere.example.com>"))
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.representative_name) == ("email", "Maria Petrova")
    assert Notice.objects.filter(kind="support.email_refused", recipient="stranger@elsewhere.example.com").count() == 1


def test_mail_for_another_address_is_refused_at_rcpt(smtp_port):
    """Only the support address is accepted."""
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client, pytest.raises(smtplib.SMTPRecipientsRefused):
        client.sendmail("a@example.com", ["sales@example.com"], b"Subject: x\r\n\r\nhi")
