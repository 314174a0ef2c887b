import re
from datetime import timedelta
from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.test import Client

from trunkline.core import clock
from trunkline.notifications.errors import NoRecipientError
from trunkline.notifications.models import Notice, NoticeStatus
from trunkline.notifications.services import notice_deliver, notice_send
from trunkline.notifications.tasks import notice_retry_due_task
from trunkline.testing.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def organization(**fields):
    return OrganizationFactory.create(email="office@customer.example.com", **fields)


def suspended_notice(org, **kwargs):
    return notice_send(organization=org, kind="organization.suspended", context={"reason": "Unpaid"}, **kwargs)


@pytest.mark.rule("PT-27")
def test_a_notice_goes_to_the_account_email_in_its_language_and_is_logged(django_capture_on_commit_callbacks):
    """The notice is rendered in Bulgarian for a Bulgarian organisation, sent after commit and logged."""
    org = organization(language="bg")
    with django_capture_on_commit_callbacks(execute=True):
        [notice] = suspended_notice(org)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT
    assert [event.status for event in notice.events.all()] == ["queued", "sent"]
    [message] = mail.outbox
    assert message.to == ["office@customer.example.com"]
    assert message.subject == notice.subject
    assert "Причина:" in message.body
    assert message.extra_headers["Message-ID"] == notice.message_id


@pytest.mark.rule("PT-27")
def test_a_notice_counts_as_received_when_acknowledged():
    """The 'I have read this' link records the time and IP once; GET alone records nothing (mail scanners)."""
    org = organization()
    [notice] = suspended_notice(org)
    found = re.search(r"http://127\.0\.0\.1:8000(/notices/read/\S+/)", notice.body)
    assert found is not None
    link = found.group(1)
    client = Client()
    assert client.get(link).status_code == 200
    notice.refresh_from_db()
    assert notice.acknowledged_at is None
    with time_machine.travel("2026-11-24 10:00Z", tick=False):
        client.post(link, REMOTE_ADDR="127.0.0.5")
    with time_machine.travel("2026-11-25 10:00Z", tick=False):
        client.post(link)
    notice.refresh_from_db()
    assert notice.acknowledged_at is not None
    assert notice.acknowledged_at.isoformat() == "2026-11-24T10:00:00+00:00"
    assert notice.acknowledged_ip == "127.0.0.5"
    forged = client.post(link.replace(link.split("/")[3][:5], "AAAAA"))
    assert forged.status_code == 404
    assert "This link is not valid." in forged.content.decode()


def test_a_failing_mail_server_is_retried_with_backoff_then_marked_failed(settings):
    """Transport errors are retried later (not at once); after the last attempt the notice is failed, never lost."""
    settings.NOTICE_MAX_ATTEMPTS = 3
    org = organization()
    [notice] = suspended_notice(org)
    start = clock.now()
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=SMTPServerDisconnected("gone")):
        notice_deliver(notice_id=notice.pk, at=start)
        notice.refresh_from_db()
        assert (notice.status, notice.attempts) == ("queued", 1)
        assert notice.next_attempt_at == start + timedelta(seconds=60)
        notice_deliver(notice_id=notice.pk, at=start + timedelta(seconds=30))  # not yet due
        notice.refresh_from_db()
        assert notice.attempts == 1
        notice_deliver(notice_id=notice.pk, at=start + timedelta(seconds=61))
        notice_deliver(notice_id=notice.pk, at=start + timedelta(seconds=600))
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("failed", 3)
    assert notice.last_error == "SMTPServerDisconnected: gone"
    assert [event.status for event in notice.events.all()] == ["queued", "retry", "retry", "failed"]


def test_the_retry_job_sends_what_is_due_and_nothing_twice():
    """Queued notices whose task was lost are sent by the minute job; a sent notice is never sent again."""
    org = organization()
    suspended_notice(org)  # on_commit never runs inside the test transaction: the task is 'lost'
    assert notice_retry_due_task.call() == 1
    assert notice_retry_due_task.call() == 0
    assert len(mail.outbox) == 1


def test_a_dedupe_key_queues_a_notice_once():
    """A caller that retries with the same key does not mail twice."""
    org = organization()
    assert len(suspended_notice(org, dedupe_key="suspension-1")) == 1
    assert suspended_notice(org, dedupe_key="suspension-1") == []
    assert Notice.objects.filter(organization=org).count() == 1


def test_an_organisation_without_an_email_is_refused_clearly():
    """No account email: a clear error instead of a silent loss."""
    org = OrganizationFactory.create(email="")
    with pytest.raises(NoRecipientError):
        suspended_notice(org)


@pytest.mark.rule("RT-9.1")
def test_a_notice_goes_to_the_address_on_record_and_keeps_it():
    """The notice is addressed to the account email on record when sent; a later change does not rewrite it."""
    org = organization()
    [notice] = suspended_notice(org)
    org.email = "new-office@customer.example.com"
    org.save()
    notice.refresh_from_db()
    assert notice.recipient == "office@customer.example.com"


@pytest.mark.rule("PT-27")
def test_the_delivery_log_is_readable_by_the_organisation_and_operator_staff_only():
    """A customer lists its own notices with their log; another customer sees none; operator staff see them."""
    from trunkline.testing.factories import api_key_for, member

    owner = member(role="admin")
    owner.organization.email = "office@customer.example.com"
    owner.organization.save()
    suspended_notice(owner.organization)
    notice_retry_due_task.call()
    client = Client()
    own = client.get(
        "/api/v1/notices", headers={"Authorization": f"Bearer {api_key_for(owner, ['organization:read'])}"}
    )
    [item] = own.json()["items"]
    assert (item["status"], [event["status"] for event in item["events"]]) == ("sent", ["queued", "sent"])
    stranger = member(role="admin")
    other = client.get(
        "/api/v1/notices", headers={"Authorization": f"Bearer {api_key_for(stranger, ['organization:read'])}"}
    )
    assert other.json()["count"] == 0
    staff = member(kind="operator", role="admin")
    token = api_key_for(staff, ["organization:read", "ops:read"])
    seen = client.get(
        f"/api/v1/notices?organization_id={owner.organization.public_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert [notice["id"] for notice in seen.json()["items"]] == [item["id"]]
