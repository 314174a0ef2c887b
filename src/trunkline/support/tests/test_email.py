"""Email intake: representatives' emails become tickets or replies; anyone else is answered politely (PT-7.4)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from trunkline.notifications.models import Notice
from trunkline.support.models import Ticket, TicketMessage
from trunkline.support.services import ticket_from_email, ticket_staff_reply

from .conftest import sofia

pytestmark = pytest.mark.django_db


def raw(sender="Maria Petrova <maria@vitosha.example.com>", subject="Calls drop", body="All calls drop.", **headers):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", "<m1@vitosha.example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


@pytest.mark.rule("PT-7.4")
def test_a_representatives_email_opens_a_ticket(representative_member):
    """The sender is on the agreement: a Medium ticket by email, with the body as description and attachments kept."""
    message = raw()
    message.add_attachment(b"log line", maintype="text", subtype="plain", filename="pbx.log")
    result = ticket_from_email(message.as_bytes(), at=sofia(2026, 11, 23, 10, 0))
    assert result.outcome == "opened"
    ticket = result.ticket
    assert ticket is not None
    assert (ticket.channel, ticket.priority, ticket.subject, ticket.representative_name) == (
        "email",
        "medium",
        "Calls drop",
        "Maria Petrova",
    )
    first = ticket.messages.get()
    assert first.body == "All calls drop."
    assert first.message_id == "<m1@vitosha.example.com>"
    assert [(a.name, a.content) for a in first.attachments.all()] == [("pbx.log", b"log line")]


@pytest.mark.rule("PT-7.4")
def test_a_stranger_gets_a_polite_answer_and_no_ticket(representative_member, django_capture_on_commit_callbacks):
    """Not a representative: no ticket; one automatic answer through the notices service."""
    with django_capture_on_commit_callbacks(execute=True):
        result = ticket_from_email(raw(sender="someone@elsewhere.example.com").as_bytes())
    assert result.outcome == "refused"
    assert Ticket.objects.count() == 0
    [answer] = Notice.objects.filter(kind="support.email_refused")
    assert answer.recipient == "someone@elsewhere.example.com"
    assert answer.subject == "Re: Calls drop"
    assert "authorised representatives" in answer.body


def test_robots_are_not_answered(representative_member):
    """An automatic message from a non-representative is dropped without an answer (no mail loops)."""
    result = ticket_from_email(raw(sender="mailer-daemon@elsewhere.example.com").as_bytes())
    assert result.outcome == "refused"
    result = ticket_from_email(raw(sender="x@elsewhere.example.com", Auto_Submitted="auto-replied").as_bytes())
    assert result.outcome == "refused"
    assert Notice.objects.count() == 0


def test_replies_thread_by_in_reply_to_by_our_notice_and_by_token(
    representative_member, staff_ctx, django_capture_on_commit_callbacks
):
    """A reply naming the first message, one naming our answer's Message-ID, and one with [TL#n] join the ticket."""
    ticket = ticket_from_email(raw().as_bytes(), at=sofia(2026, 11, 23, 10, 0)).ticket
    assert ticket is not None
    second = raw(
        subject="Re: Calls drop", message_id="<m2@vitosha.example.com>", In_Reply_To="<m1@vitosha.example.com>"
    )
    assert ticket_from_email(second.as_bytes()).outcome == "replied"
    with django_capture_on_commit_callbacks(execute=True):
        ticket_staff_reply(ctx=staff_ctx, ticket_id=ticket.public_id, body="Which trunk?")
    answer = Notice.objects.get(kind="support.ticket_reply")
    assert answer.message_id
    third = raw(subject="Re: answer", message_id="<m3@vitosha.example.com>", References=answer.message_id)
    assert ticket_from_email(third.as_bytes()).ticket == ticket
    fourth = raw(subject=f"More {ticket.reference}", message_id="<m4@vitosha.example.com>")
    assert ticket_from_email(fourth.as_bytes()).ticket == ticket
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.filter(ticket=ticket, is_staff=False).count() == 4


def test_the_same_message_twice_is_stored_once(representative_member):
    """Delivery retried by the mail server: one ticket."""
    assert ticket_from_email(raw().as_bytes()).outcome == "opened"
    assert ticket_from_email(raw().as_bytes()).outcome == "duplicate"
    assert Ticket.objects.count() == 1
