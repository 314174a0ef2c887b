"""Inbound email reaches processing: the IMAP command and the SMTP receiver store through ``inbound_email_accept``,
which has the channel's events processed (``inbound_events_process_task``) once the event is committed — only for a
new event, and only when no processing is already waiting for the channel."""

from __future__ import annotations

import asyncio
import io
import smtplib
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from trunkline.channels.email_smtp import EmailReceiver, smtp_serve
from trunkline.channels.models import InboundEvent
from trunkline.channels.testing_mail import email_channel, free_port
from trunkline.inbox.email_intake import inbound_email_accept
from trunkline.inbox.testing import ctx_for
from trunkline.testing.factories import member

pytestmark = pytest.mark.django_db
TASK = "trunkline.inbox.tasks.inbound_events_process_task"


def queued_channel_ids() -> list[int]:
    return [row.args_kwargs["kwargs"]["channel_id"] for row in DBTaskResult.objects.filter(task_path=TASK)]


@pytest.mark.task_queue
@pytest.mark.mail
def test_the_imap_command_stores_new_mail_and_queues_its_processing(mail_servers, django_capture_on_commit_callbacks):
    mailbox = mail_servers.add_user(f"desk-{uuid.uuid4().hex[:8]}@sofiadental.test")
    email_channel(ctx_for(member(kind="customer", role="admin", accepted_terms=True)), mail_servers, address=mailbox)
    mail_servers.send(mail_servers.message(sender="enduser@example.test", to=mailbox, subject="Via IMAP"))
    mail_servers.wait_for_messages(mailbox, 1)

    out, again = io.StringIO(), io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("email_imap", "--once", stdout=out)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("email_imap", "--once", stdout=again)

    event = InboundEvent.objects.get()
    assert out.getvalue() == "1 new messages\n"
    assert again.getvalue() == "0 new messages\n"
    assert queued_channel_ids() == [event.channel_id]


@pytest.mark.task_queue
def test_the_smtp_receiver_queues_processing_once_per_new_message(django_capture_on_commit_callbacks):
    class NoServers:
        host, smtp_port, imap_port, users = "127.0.0.1", 25, 143, {}

        def add_user(self, address):
            return address

    ctx = ctx_for(member(kind="customer", role="admin", accepted_terms=True))
    email_channel(ctx, NoServers(), imap=False)  # type: ignore[arg-type]
    port = free_port()
    message = b"Subject: hi\r\nMessage-ID: <twice@example.test>\r\n\r\nHello\r\n"

    async def run():
        server = await smtp_serve(EmailReceiver(store=inbound_email_accept), host="127.0.0.1", port=port)
        try:

            def send_twice():
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                    client.sendmail("enduser@example.test", ["support@sofiadental.test"], message)
                    client.sendmail("enduser@example.test", ["support@sofiadental.test"], message)

            await asyncio.to_thread(send_twice)
        finally:
            server.close()
            await server.wait_closed()

    with django_capture_on_commit_callbacks(execute=True):
        async_to_sync(run)()
    assert queued_channel_ids() == [InboundEvent.objects.get().channel_id]


def test_an_email_channel_is_connected_through_the_api_and_its_secrets_stay_hidden():
    """POST /api/v1/channels with provider smtp: settings checked field by field, secrets stored encrypted only."""
    import json

    from django.test import Client

    from trunkline.channels.models import Channel
    from trunkline.testing.factories import api_key_for

    admin = member(kind="customer", role="admin", accepted_terms=True)
    headers = {"Authorization": f"Bearer {api_key_for(admin, ['channels:manage'])}"}
    body = {
        "name": "Support",
        "provider": "smtp",
        "sender": "support@sofiadental.test",
        "smtp_password": "smtp-secret",
        "imap_password": "imap-secret",
        "settings": {
            "smtp_host": "smtp.sofiadental.test",
            "smtp_port": 587,
            "smtp_username": "support@sofiadental.test",
            "imap_host": "imap.sofiadental.test",
            "imap_port": 993,
            "imap_username": "support@sofiadental.test",
        },
    }
    response = Client().post("/api/v1/channels", json.dumps(body), content_type="application/json", headers=headers)
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "email"
    assert "secret" not in response.content.decode()
    channel = Channel.objects.get()
    assert channel.credentials == {"smtp_password": "smtp-secret", "imap_password": "imap-secret"}
    assert channel.settings["imap_folder"] == "INBOX"

    body["settings"] = {"smtp_host": "smtp.sofiadental.test", "smtp_port": 0, "smtp_security": "ssl"}
    response = Client().post("/api/v1/channels", json.dumps(body), content_type="application/json", headers=headers)
    assert response.status_code == 422
    assert sorted(response.json()["detail"]["fields"]) == ["settings.smtp_port", "settings.smtp_security"]
    assert Channel.objects.count() == 1
