"""The IMAP poller against real Postfix and Dovecot: mail sent with smtplib lands in Dovecot and is stored exactly once;
a poller stopped mid-batch resumes without fetching anything twice or missing anything; IDLE wakes it without polling;
a dropped connection is reconnected and resynced; a recreated folder (new UIDVALIDITY) is survived; bad mail never
blocks the mail after it.

Each test uses its own mailbox (the servers live for the session; the database does not)."""

from __future__ import annotations

import asyncio
import base64
import uuid

import pytest
from asgiref.sync import async_to_sync

from trunkline.channels.email_imap import ImapPoller
from trunkline.channels.models import ImapCursor, InboundEvent
from trunkline.channels.services import inbound_email_store
from trunkline.channels.testing_mail import email_channel
from trunkline.inbox.testing import ctx_for
from trunkline.testing.factories import member

pytestmark = [pytest.mark.mail, pytest.mark.django_db]
ENDUSER = "enduser@example.test"
PATIENCE = 30  # seconds: a deadline for things that happen in well under a second on an idle machine


@pytest.fixture
def mailbox(mail_servers) -> str:
    return mail_servers.add_user(f"support-{uuid.uuid4().hex[:10]}@sofiadental.test")


@pytest.fixture
def channel(mail_servers, mailbox):
    return email_channel(
        ctx_for(member(kind="customer", role="admin", accepted_terms=True)), mail_servers, address=mailbox
    )


@pytest.fixture
def fast(settings):
    """Short reconnect backoff; polling so rare that only IDLE can explain a prompt pick-up."""
    settings.EMAIL_IMAP_RECONNECT_BASE_SECONDS = 0.2
    settings.EMAIL_IMAP_POLL_SECONDS = 3600
    settings.EMAIL_IMAP_IDLE_SECONDS = 600
    settings.EMAIL_IMAP_TIMEOUT_SECONDS = 10


def raw_message(mail_servers, mailbox: str, subject: str) -> bytes:
    return mail_servers.message(sender=ENDUSER, to=mailbox, subject=subject).as_bytes()


def first_into(future: asyncio.Future):
    """An ``on_stored`` hook resolving ``future`` with the first event stored."""

    def on_stored(uid: int, event: InboundEvent | None) -> None:
        if not future.done():
            future.set_result(event)

    return on_stored


def subjects() -> list[str]:
    found = []
    for event in InboundEvent.objects.order_by("pk"):
        raw = base64.b64decode(event.payload["raw"])
        line = next((ln for ln in raw.split(b"\n") if ln.startswith(b"Subject: ")), b"Subject: ?")
        found.append(line[len(b"Subject: ") :].strip().decode())
    return found


def test_mail_sent_through_postfix_is_stored_once(mail_servers, mailbox, channel):
    """smtplib → Postfix → LMTP → Dovecot → IMAP poller: one event with the envelope Dovecot recorded; a second sync
    fetches nothing."""
    sent = mail_servers.message(sender=ENDUSER, to=mailbox, subject="Toothache")
    mail_servers.send(sent)
    mail_servers.wait_for_messages(mailbox, 1)
    poller = ImapPoller(channel=channel)

    assert async_to_sync(poller.sync_once)() == 1
    assert async_to_sync(poller.sync_once)() == 0

    assert poller.stats.fetched == [1]
    event = InboundEvent.objects.get()
    assert event.event_key == "email:" + sent["Message-ID"].strip("<>")
    assert event.payload["source"] == "imap"
    assert event.payload["mail_from"] == ENDUSER
    assert event.payload["rcpt_to"] == [mailbox]
    assert event.payload["ref"].startswith(f"imap:INBOX:{mail_servers.uid_validity(mailbox)}:1")
    assert b"Subject: Toothache" in base64.b64decode(event.payload["raw"])
    cursor = ImapCursor.objects.get(channel=channel)
    assert (cursor.folder, cursor.last_uid, cursor.uid_validity) == ("INBOX", 1, mail_servers.uid_validity(mailbox))
    assert mail_servers.fetch_all(mailbox)  # still there, and BODY.PEEK left it unread:
    with mail_servers.imap(mailbox) as imap:
        assert imap.uid("SEARCH", "UNSEEN")[1][0] == b"1"


def test_a_poller_stopped_mid_batch_resumes_without_duplicates_or_gaps(mail_servers, mailbox, channel, fast):
    """Six messages; the poller is cancelled right after storing the third. A new poller fetches exactly UIDs 4-6."""
    for number in range(1, 7):
        mail_servers.append(mailbox, raw_message(mail_servers, mailbox, f"Batch {number}"))
    first = ImapPoller(channel=channel)

    async def run_until_third() -> None:
        stop = asyncio.Event()
        task = asyncio.ensure_future(first.run(stop))
        first.on_stored = lambda uid, event: task.cancel() if uid == 3 else None
        with pytest.raises(asyncio.CancelledError):
            await task

    async_to_sync(run_until_third)()
    assert first.stats.fetched == [1, 2, 3]
    assert ImapCursor.objects.get(channel=channel).last_uid == 3

    second = ImapPoller(channel=channel)
    assert async_to_sync(second.sync_once)() == 3
    assert second.stats.fetched == [4, 5, 6]
    assert second.stats.duplicates == 0
    assert subjects() == [f"Batch {number}" for number in range(1, 7)]


def test_idle_picks_up_a_new_message_without_polling(mail_servers, mailbox, channel, fast):
    """While the poller IDLEs (polling once an hour), a mail delivered by Postfix is stored within moments."""
    poller = ImapPoller(channel=channel)

    async def scenario() -> None:
        stop = asyncio.Event()
        stored = asyncio.get_running_loop().create_future()
        poller.on_stored = first_into(stored)
        task = asyncio.ensure_future(poller.run(stop))
        try:
            await asyncio.wait_for(poller.idling.wait(), PATIENCE)
            message = mail_servers.message(sender=ENDUSER, to=mailbox, subject="While idling")
            await asyncio.to_thread(mail_servers.send, message)
            assert await asyncio.wait_for(stored, PATIENCE) is not None
        finally:
            stop.set()
            await asyncio.wait_for(task, PATIENCE)

    async_to_sync(scenario)()
    assert poller.stats.syncs[:2] == ["connect", "idle"]
    assert poller.stats.connects == 1
    assert subjects() == ["While idling"]


def test_a_dropped_connection_is_reconnected_and_resynced(mail_servers, mailbox, channel, fast):
    """Dovecot drops the IDLE session; mail arriving meanwhile is fetched by the resync after the reconnection."""
    poller = ImapPoller(channel=channel)

    async def scenario() -> None:
        stop = asyncio.Event()
        stored = asyncio.get_running_loop().create_future()
        poller.on_stored = first_into(stored)
        task = asyncio.ensure_future(poller.run(stop))
        try:
            await asyncio.wait_for(poller.idling.wait(), PATIENCE)
            await asyncio.to_thread(mail_servers.kick, mailbox)
            await asyncio.to_thread(mail_servers.append, mailbox, raw_message(mail_servers, mailbox, "After the drop"))
            assert await asyncio.wait_for(stored, PATIENCE) is not None
        finally:
            stop.set()
            await asyncio.wait_for(task, PATIENCE)

    async_to_sync(scenario)()
    assert poller.stats.connects >= 2
    assert subjects() == ["After the drop"]
    assert ImapCursor.objects.get(channel=channel).last_uid == 1


def test_polling_when_idle_is_not_used(mail_servers, mailbox, channel, settings):
    """Without IDLE the poller syncs every EMAIL_IMAP_POLL_SECONDS."""
    settings.EMAIL_IMAP_IDLE = False
    settings.EMAIL_IMAP_POLL_SECONDS = 0.2
    poller = ImapPoller(channel=channel)

    async def scenario() -> None:
        stop = asyncio.Event()
        stored = asyncio.get_running_loop().create_future()
        poller.on_stored = first_into(stored)
        task = asyncio.ensure_future(poller.run(stop))
        try:
            await asyncio.wait_for(poller.synced.wait(), PATIENCE)
            await asyncio.to_thread(mail_servers.append, mailbox, raw_message(mail_servers, mailbox, "Polled"))
            await asyncio.wait_for(stored, PATIENCE)
        finally:
            stop.set()
            await asyncio.wait_for(task, PATIENCE)

    async_to_sync(scenario)()
    assert poller.stats.syncs[0] == "connect"
    assert set(poller.stats.syncs[1:]) == {"poll"}
    assert subjects() == ["Polled"]


def test_a_new_uidvalidity_resyncs_the_folder_without_duplicates(mail_servers, mailbox):
    """The folder is deleted and recreated (new UIDVALIDITY, UIDs from 1 again) with the two old messages and a new
    one: the poller starts the folder over and stores only the new message."""
    mail_servers.create_folder(mailbox, "Support")
    old = [raw_message(mail_servers, mailbox, f"Old {number}") for number in (1, 2)]
    for raw in old:
        mail_servers.append(mailbox, raw, folder="Support")
    ctx = ctx_for(member(kind="customer", role="admin", accepted_terms=True))
    channel = email_channel(ctx, mail_servers, address=mailbox, folder="Support")
    assert async_to_sync(ImapPoller(channel=channel).sync_once)() == 2
    before = ImapCursor.objects.get(channel=channel)

    mail_servers.delete_folder(mailbox, "Support")
    mail_servers.create_folder(mailbox, "Support")
    for raw in [*old, raw_message(mail_servers, mailbox, "New 3")]:
        mail_servers.append(mailbox, raw, folder="Support")
    poller = ImapPoller(channel=channel)
    assert async_to_sync(poller.sync_once)() == 1

    after = ImapCursor.objects.get(channel=channel)
    assert after.uid_validity != before.uid_validity
    assert after.uid_validity == mail_servers.uid_validity(mailbox, "Support")
    assert after.last_uid == 3
    assert poller.stats.fetched == [1, 2, 3]
    assert poller.stats.duplicates == 2
    assert subjects() == ["Old 1", "Old 2", "New 3"]


def test_bad_mail_never_blocks_the_mail_after_it(mail_servers, mailbox, channel):
    """Broken bytes are stored as received (keyed by their digest); a message whose storing fails is logged and
    skipped; the good message after both is stored and the cursor is past all three."""
    broken = (
        b"Subject: =?koi8-r?B?broken\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n\xff\xfe\x00 no headers end"
    )
    mail_servers.append(mailbox, broken)
    mail_servers.append(mailbox, raw_message(mail_servers, mailbox, "Explodes"))
    mail_servers.append(mailbox, raw_message(mail_servers, mailbox, "Fine"))

    def store(**kwargs):
        if b"Subject: Explodes" in kwargs["raw"]:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "a parser bug")
        return inbound_email_store(**kwargs)

    poller = ImapPoller(channel=channel, store=store)
    assert async_to_sync(poller.sync_once)() == 2

    events = list(InboundEvent.objects.order_by("pk"))
    assert events[0].event_key.startswith("email-sha256:")
    assert base64.b64decode(events[0].payload["raw"]) == mail_servers.fetch_all(mailbox)[0][1]  # byte for byte
    assert b"Subject: Fine" in base64.b64decode(events[1].payload["raw"])
    assert ImapCursor.objects.get(channel=channel).last_uid == 3


@pytest.mark.parametrize(("security", "port"), [("tls", "imaps_port"), ("starttls", "imap_port")])
def test_imap_over_tls_verifies_the_servers_certificate(mail_servers, mailbox, settings, security, port):
    """Implicit TLS (993-style) and STARTTLS (which aioimaplib lacks; the poller upgrades the connection itself)."""
    settings.EMAIL_TLS_CA_FILE = str(mail_servers.ca_file)
    mail_servers.append(mailbox, raw_message(mail_servers, mailbox, f"Over {security}"))
    ctx = ctx_for(member(kind="customer", role="admin", accepted_terms=True))
    channel = email_channel(ctx, mail_servers, address=mailbox)
    channel.settings.update({"imap_security": security, "imap_port": getattr(mail_servers, port)})
    channel.save()
    assert async_to_sync(ImapPoller(channel=channel).sync_once)() == 1
    assert subjects() == [f"Over {security}"]
    logins = [line for line in (mail_servers.dovecot_dir / "dovecot.log").read_text().splitlines() if "Login:" in line]
    assert any(f"user=<{mailbox}>" in line and ", TLS," in line for line in logins)


@pytest.mark.parametrize(("security", "port"), [("tls", "imaps_port"), ("starttls", "imap_port")])
def test_imap_with_an_untrusted_certificate_stores_nothing(mail_servers, mailbox, channel, security, port):
    import ssl

    channel.settings.update({"imap_security": security, "imap_port": getattr(mail_servers, port)})
    channel.save()
    mail_servers.append(mailbox, raw_message(mail_servers, mailbox, "Never read"))
    with pytest.raises(ssl.SSLCertVerificationError):
        async_to_sync(ImapPoller(channel=channel).sync_once)()
    assert not InboundEvent.objects.exists()


def test_a_newly_connected_mailbox_is_read_from_the_backfill_window_only(mail_servers, mailbox, channel, settings):
    """Years of old mail are not imported: the first sync starts at the first message of the last 30 days; a new
    message later is fetched as usual."""
    import time

    settings.EMAIL_IMAP_BACKFILL_DAYS = 30
    year = 365 * 24 * 3600
    for number in (1, 2):
        mail_servers.append(mailbox, raw_message(mail_servers, mailbox, f"Old {number}"), when=time.time() - 3 * year)
    mail_servers.append(mailbox, raw_message(mail_servers, mailbox, "Recent"))
    poller = ImapPoller(channel=channel)
    assert async_to_sync(poller.sync_once)() == 1
    assert poller.stats.fetched == [3]

    mail_servers.append(mailbox, raw_message(mail_servers, mailbox, "Next"))
    assert async_to_sync(poller.sync_once)() == 1
    assert subjects() == ["Recent", "Next"]


def test_with_nothing_in_the_window_the_first_sync_starts_after_the_newest(mail_servers, mailbox, channel, settings):
    import time

    settings.EMAIL_IMAP_BACKFILL_DAYS = 0
    mail_servers.append(mailbox, raw_message(mail_servers, mailbox, "Yesterday"), when=time.time() - 2 * 86400)
    poller = ImapPoller(channel=channel)
    assert async_to_sync(poller.sync_once)() == 0
    assert ImapCursor.objects.get(channel=channel).last_uid == 1
    settings.EMAIL_IMAP_BACKFILL_DAYS = -1  # changes nothing once the folder is known
    assert async_to_sync(poller.sync_once)() == 0
