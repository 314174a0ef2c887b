"""Inbound email from a customer's mailbox over IMAP (aioimaplib): one poller per email channel with an IMAP host.

A sync SELECTs the folder, compares its UIDVALIDITY with the channel's ``ImapCursor``, runs ``UID SEARCH UID
<last+1>:*`` and fetches each new message with ``BODY.PEEK[]`` (nothing is marked read) in UID order. Each message is
stored through ``services.inbound_email_store`` and the cursor advanced to its UID in the same transaction, so a
poller stopped anywhere resumes exactly after the last message it stored. A changed UIDVALIDITY resyncs the whole
folder from UID 1 (event keys turn the messages already stored into no-ops).

Between syncs the poller IDLEs when the server's CAPABILITY lists IDLE (re-issued every ``EMAIL_IMAP_IDLE_SECONDS``,
under RFC 2177's 29 minutes), otherwise it polls every ``EMAIL_IMAP_POLL_SECONDS``. Any failure (connection lost,
timeout, refused login) closes the connection, waits with doubling backoff and reconnects, and the reconnection
starts with a sync, so mail that arrived meanwhile is fetched. One bad message never stops the others: what can be
stored is stored, the problem is logged, and the poller moves on.

Database work runs through ``sync_to_async`` (thread-sensitive); ``ImapSupervisor`` runs a poller per channel and
follows channels being added, changed or disabled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr
from typing import Any, Protocol

import aioimaplib
from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections, transaction

from trunkline.channels import email_policy
from trunkline.channels.models import Channel, ChannelKind, ChannelStatus, ImapCursor, InboundEvent
from trunkline.channels.services import inbound_email_store
from trunkline.core import clock

logger = logging.getLogger(__name__)

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_LITERAL = re.compile(rb"\{(\d+)\}$")
_FETCH_UID = re.compile(rb"UID (\d+)")
_PUSH_CHANGES = (b"EXISTS", b"EXPUNGE", b"RECENT")


class StoreFunction(Protocol):
    def __call__(
        self,
        *,
        channel: Channel,
        raw: bytes,
        source: str,
        mail_from: str = "",
        rcpt_to: Sequence[str] = (),
        ref: str = "",
    ) -> InboundEvent | None: ...


class ImapError(Exception):
    """The server answered NO/BAD, or something the poller cannot use: reconnect with backoff."""


TRANSIENT = (OSError, asyncio.TimeoutError, aioimaplib.AioImapException, ImapError, ssl.SSLError, DatabaseError)


@dataclass(frozen=True)
class ImapAccount:
    channel_id: int
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str

    @classmethod
    def of(cls, channel: Channel) -> ImapAccount:
        settings = channel.settings or {}
        security = str(settings.get("imap_security", "tls"))
        return cls(
            channel_id=channel.pk,
            host=str(settings.get("imap_host", "")),
            port=int(settings.get("imap_port") or (993 if security == "tls" else 143)),
            security=security,
            username=str(settings.get("imap_username", "")),
            password=str(channel.credentials.get("imap_password", "")),
            folder=str(settings.get("imap_folder", "") or "INBOX"),
        )


def envelope_of(raw: bytes) -> tuple[str, list[str]]:
    """The envelope as the delivering server recorded it: Return-Path and Delivered-To (or X-Original-To)."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
        mail_from = parseaddr(str(headers.get("Return-Path", "")))[1]
        delivered = headers.get_all("Delivered-To") or headers.get_all("X-Original-To") or []
        return mail_from, [address for _, address in getaddresses([str(value) for value in delivered]) if address]
    except Exception:  # noqa: BLE001 - an unreadable header block just has no envelope
        return "", []


@dataclass
class PollerStats:
    syncs: list[str] = field(default_factory=list)  # why each sync ran: "connect", "idle", "idle-timeout", "poll"
    fetched: list[int] = field(default_factory=list)  # every UID fetched, in order
    stored: int = 0
    duplicates: int = 0
    failures: int = 0  # consecutive; reset by a successful sync
    connects: int = 0


class ImapPoller:
    """Keeps one channel's folder read into inbound events, for as long as ``run`` runs."""

    def __init__(
        self,
        *,
        channel: Channel,
        store: StoreFunction = inbound_email_store,
        on_stored: Callable[[int, InboundEvent | None], object] | None = None,
        tls_context: ssl.SSLContext | None = None,
        manage_connections: bool = False,
    ) -> None:
        self.channel = channel
        self.account = ImapAccount.of(channel)
        self.store = store
        self.on_stored = on_stored
        self.tls_context = tls_context
        self.manage_connections = manage_connections  # long-running processes: drop stale database connections
        self.stats = PollerStats()
        self.idling = asyncio.Event()  # set while an IDLE is running
        self.synced = asyncio.Event()  # set once a sync has finished
        self._lost = asyncio.Event()
        self._uid_validity = 0

    # --- the loop ------------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Connect, sync, then IDLE or poll until ``stop``; on any failure back off, reconnect and resync."""
        while not stop.is_set():
            try:
                await self._session(stop)
            except Exception as error:  # noqa: BLE001 - whatever failed, the poller reconnects and resyncs
                self.stats.failures += 1
                self.idling.clear()
                wait = email_policy.imap_backoff_seconds(self.stats.failures)
                log = logger.warning if isinstance(error, TRANSIENT) else logger.exception
                log(
                    "imap session failed; reconnecting",
                    extra={"channel": self.account.channel_id, "error": repr(error)[:300], "retry_in": wait},
                )
                await self._note_error(repr(error))
                await _wait(stop, wait)

    async def sync_once(self) -> int:
        """Connect, store every new message, disconnect. Answers how many were stored."""
        before = self.stats.stored
        imap = await self._connect()
        try:
            await self._sync(imap, reason="connect")
        finally:
            await _logout(imap)
        return self.stats.stored - before

    async def _session(self, stop: asyncio.Event) -> None:
        imap = await self._connect()
        try:
            reason = "connect"
            while not stop.is_set():
                await self._sync(imap, reason=reason)
                if imap.has_capability("IDLE") and email_policy.imap_use_idle():
                    reason = await self._idle(imap, stop)
                else:
                    await _wait(stop, email_policy.imap_poll_seconds())
                    reason = "poll"
        finally:
            self.idling.clear()
            await _logout(imap)

    # --- IMAP ----------------------------------------------------------------------------------------------------
    async def _connect(self) -> aioimaplib.IMAP4:
        account = self.account
        timeout = email_policy.imap_timeout_seconds()
        context = self.tls_context or await sync_to_async(email_policy.tls_context)()
        self._lost = asyncio.Event()
        lost = self._lost

        def connection_lost(error: Exception | None) -> None:
            lost.set()

        imap: aioimaplib.IMAP4
        if account.security == "tls":
            imap = aioimaplib.IMAP4_SSL(host=account.host, port=account.port, timeout=timeout, ssl_context=context)
            imap.protocol.conn_lost_cb = connection_lost
        else:
            imap = aioimaplib.IMAP4(host=account.host, port=account.port, timeout=timeout, conn_lost_cb=connection_lost)
        self.stats.connects += 1
        try:
            await imap.wait_hello_from_server()
            if account.security == "starttls":
                await _starttls(imap, context, account.host, timeout)
            response = await imap.login(account.username, account.password)
            _ok(response, "LOGIN")
            response = await imap.select(_quoted(account.folder))
            _ok(response, "SELECT")
        except BaseException:
            _abandon(imap)
            raise
        self._uid_validity = _uid_validity(response)
        return imap

    async def _sync(self, imap: aioimaplib.IMAP4, *, reason: str) -> None:
        self.stats.syncs.append(reason)
        uid_validity = self._uid_validity
        known_validity, last_uid = await sync_to_async(self._cursor_position)()
        if known_validity != uid_validity:
            # First sync: start within the backfill window. A new UIDVALIDITY later: the whole folder again.
            last_uid = await self._first_uid_before_window(imap) if known_validity == 0 else 0
            await sync_to_async(self._cursor_reset)(uid_validity, last_uid, known_validity)
        uids = await _uids(imap, f"UID {last_uid + 1}:*")
        for uid in (uid for uid in uids if uid > last_uid):  # "n:*" answers the last message even when n > it
            raw = await self._fetch(imap, uid)
            self.stats.fetched.append(uid)
            event = await sync_to_async(self._store_and_advance)(uid_validity, uid, raw)
            if self.on_stored is not None:
                self.on_stored(uid, event)
        self.stats.failures = 0
        await sync_to_async(self._synced)()
        self.synced.set()

    async def _first_uid_before_window(self, imap: aioimaplib.IMAP4) -> int:
        """Where a newly connected folder starts: before the first message of the last EMAIL_IMAP_BACKFILL_DAYS days
        (by INTERNALDATE), so connecting a mailbox with years of mail does not import years of conversations."""
        days = email_policy.imap_backfill_days()
        if days < 0:
            return 0
        since = (clock.now() - timedelta(days=days)).date()
        criteria = f"SINCE {since.day}-{_MONTHS[since.month - 1]}-{since.year}"
        in_window = await _uids(imap, criteria)
        if in_window:
            return min(in_window) - 1
        everything = await _uids(imap, "ALL")
        return max(everything, default=0)

    async def _fetch(self, imap: aioimaplib.IMAP4, uid: int) -> bytes | None:
        """The message's bytes; None when it is gone (expunged meanwhile) or the answer holds no body."""
        response = await imap.uid("fetch", str(uid), "(UID BODY.PEEK[])")
        _ok(response, "UID FETCH")
        lines = response.lines
        for index, line in enumerate(lines[:-1]):
            if isinstance(line, bytes) and _LITERAL.search(line):  # literals themselves come as bytearray
                uid_match = _FETCH_UID.search(line)
                if uid_match is None and index + 2 < len(lines):
                    uid_match = _FETCH_UID.search(bytes(lines[index + 2]))
                if uid_match is not None and int(uid_match.group(1)) != uid:
                    continue  # another message's unsolicited FETCH
                return bytes(lines[index + 1])
        return None

    async def _idle(self, imap: aioimaplib.IMAP4, stop: asyncio.Event) -> str:
        """IDLE until the folder changes ("idle"), the IDLE period ends ("idle-timeout") or ``stop``."""
        seconds = email_policy.imap_idle_seconds()
        idle = await imap.idle_start(timeout=seconds)
        self.idling.set()
        reason = "idle-timeout"
        stopped = asyncio.ensure_future(stop.wait())
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            while True:
                push = asyncio.ensure_future(imap.wait_server_push(timeout=seconds + 30))
                done, _ = await asyncio.wait({push, stopped, lost}, return_when=asyncio.FIRST_COMPLETED)
                if lost in done:
                    push.cancel()
                    raise ImapError("The server closed the connection during IDLE.")
                if stopped in done:
                    push.cancel()
                    reason = "stop"
                    break
                lines = push.result()
                if lines == aioimaplib.STOP_WAIT_SERVER_PUSH:
                    break
                if any(change in bytes(line) for line in lines for change in _PUSH_CHANGES):
                    reason = "idle"
                    break
        finally:
            self.idling.clear()
            stopped.cancel()
            lost.cancel()
        imap.idle_done()
        await asyncio.wait_for(idle, email_policy.imap_timeout_seconds())
        return reason

    # --- database (sync, in Django's thread) -----------------------------------------------------------------------
    def _cursor(self, *, lock: bool = False) -> ImapCursor:
        queryset = ImapCursor.objects.select_for_update() if lock else ImapCursor.objects
        cursor = queryset.filter(channel_id=self.account.channel_id, folder=self.account.folder).first()
        if cursor is None:
            cursor, _ = ImapCursor.objects.get_or_create(
                channel_id=self.account.channel_id,
                folder=self.account.folder,
                defaults={"organization_id": self.channel.organization_id},
            )
        return cursor

    def _cursor_position(self) -> tuple[int, int]:
        """(UIDVALIDITY, last UID) as stored; (0, 0) for a folder never read."""
        if self.manage_connections:
            close_old_connections()
        cursor = self._cursor()
        return cursor.uid_validity, cursor.last_uid

    def _cursor_reset(self, uid_validity: int, last_uid: int, known_validity: int) -> None:
        """Start the folder (again) after ``last_uid``: first connection, or a changed UIDVALIDITY."""
        with transaction.atomic():
            cursor = self._cursor(lock=True)
            if cursor.uid_validity != known_validity:
                raise ImapError("The cursor moved under this poller; syncing again.")
            if known_validity:
                logger.warning(
                    "imap uidvalidity changed; resyncing the folder",
                    extra={"channel": self.account.channel_id, "was": known_validity, "now": uid_validity},
                )
            cursor.uid_validity = uid_validity
            cursor.last_uid = last_uid
            cursor.save(update_fields=["uid_validity", "last_uid", "updated_at"])

    def _store_and_advance(self, uid_validity: int, uid: int, raw: bytes | None) -> InboundEvent | None:
        """Store the message and move the cursor past it, in one transaction."""
        if self.manage_connections:
            close_old_connections()
        event = None
        with transaction.atomic():
            cursor = self._cursor(lock=True)
            if cursor.uid_validity != uid_validity or cursor.last_uid >= uid:
                return None  # another poller of the same folder got here first
            if raw is None:
                logger.warning("imap message vanished before it was fetched", extra={"uid": uid})
            else:
                mail_from, rcpt_to = envelope_of(raw)
                ref = f"imap:{self.account.folder}:{uid_validity}:{uid}"
                try:
                    with transaction.atomic():
                        event = self.store(
                            channel=self.channel, raw=raw, source="imap", mail_from=mail_from, rcpt_to=rcpt_to, ref=ref
                        )
                except DatabaseError:
                    raise  # the database is unwell: retry this message after the backoff
                except Exception:  # one bad message never blocks the next
                    logger.exception("imap message could not be stored; skipped", extra={"ref": ref})
                if event is None:
                    self.stats.duplicates += 1
                else:
                    self.stats.stored += 1
            cursor.last_uid = uid
            cursor.save(update_fields=["last_uid", "updated_at"])
        return event

    def _synced(self) -> None:
        ImapCursor.objects.filter(channel_id=self.account.channel_id, folder=self.account.folder).update(
            synced_at=clock.now(), last_error=""
        )

    async def _note_error(self, error: str) -> None:
        with contextlib.suppress(*TRANSIENT):
            await sync_to_async(
                ImapCursor.objects.filter(channel_id=self.account.channel_id, folder=self.account.folder).update
            )(last_error=error[:500])


# --- helpers ---------------------------------------------------------------------------------------------------------
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


async def _uids(imap: aioimaplib.IMAP4, criteria: str) -> list[int]:
    response = await imap.uid_search(criteria, charset=None)
    _ok(response, "UID SEARCH")
    return sorted({int(token) for line in response.lines[:-1] for token in bytes(line).split() if token.isdigit()})


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _ok(response: Any, command: str) -> None:
    if response.result != "OK":
        text = b" ".join(bytes(line) for line in response.lines if not isinstance(line, bytearray))
        raise ImapError(f"{command} answered {response.result}: {text.decode('utf-8', 'replace')[:200]}")


def _uid_validity(response: Any) -> int:
    for line in response.lines:
        match = _UIDVALIDITY.search(bytes(line))
        if match:
            return int(match.group(1))
    raise ImapError("SELECT answered no UIDVALIDITY.")


def _quoted(folder: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def _starttls(imap: aioimaplib.IMAP4, context: ssl.SSLContext, host: str, timeout: float) -> None:
    """aioimaplib has no STARTTLS: ask for it, then upgrade the transport in place and read CAPABILITY again."""
    if not imap.has_capability("STARTTLS"):
        raise ImapError("The server does not offer STARTTLS.")
    protocol = imap.protocol
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    response = await asyncio.wait_for(protocol.execute(command), timeout)
    _ok(response, "STARTTLS")
    loop = asyncio.get_running_loop()
    protocol.transport = await loop.start_tls(protocol.transport, protocol, context, server_hostname=host)
    await asyncio.wait_for(protocol.capability(), timeout)


async def _logout(imap: aioimaplib.IMAP4) -> None:
    with contextlib.suppress(*TRANSIENT, asyncio.CancelledError):
        if imap.get_state() in ("AUTH", "SELECTED"):
            await asyncio.wait_for(imap.logout(), 5)
    _abandon(imap)


def _abandon(imap: aioimaplib.IMAP4) -> None:
    transport = getattr(imap.protocol, "transport", None)
    if transport is not None:
        transport.close()


# --- every channel ---------------------------------------------------------------------------------------------------
def imap_channels() -> list[Channel]:
    """Active email channels with an IMAP host, in every organisation (the pollers' process is platform-wide)."""
    return [
        channel
        for channel in Channel.objects.filter(kind=ChannelKind.EMAIL, status=ChannelStatus.ACTIVE).order_by("pk")
        if str((channel.settings or {}).get("imap_host", "")).strip()
    ]


def _fingerprint(channel: Channel) -> tuple:
    return (channel.status, repr(sorted((channel.settings or {}).items())), channel.credentials_encrypted)


class ImapSupervisor:
    """One poller per IMAP email channel; every ``EMAIL_IMAP_REFRESH_SECONDS`` it starts pollers for new channels,
    restarts those whose settings changed and stops those of channels disabled or removed. Idle when there are none."""

    def __init__(self, *, store: StoreFunction = inbound_email_store, manage_connections: bool = True) -> None:
        self.store = store
        self.manage_connections = manage_connections
        self.pollers: dict[int, tuple[tuple, ImapPoller, asyncio.Event, asyncio.Task]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.refresh()
                except DatabaseError as error:
                    logger.warning("imap supervisor cannot read channels", extra={"error": repr(error)[:300]})
                await _wait(stop, email_policy.imap_channels_refresh_seconds())
        finally:
            for channel_id in list(self.pollers):
                await self._stop(channel_id)

    async def refresh(self) -> None:
        if self.manage_connections:
            await sync_to_async(close_old_connections)()
        channels = {channel.pk: channel for channel in await sync_to_async(imap_channels)()}
        for channel_id in list(self.pollers):
            fingerprint, _, _, task = self.pollers[channel_id]
            if channel_id not in channels or fingerprint != _fingerprint(channels[channel_id]) or task.done():
                await self._stop(channel_id)
        for channel_id, channel in channels.items():
            if channel_id not in self.pollers:
                poller = ImapPoller(channel=channel, store=self.store, manage_connections=self.manage_connections)
                poller_stop = asyncio.Event()
                task = asyncio.ensure_future(poller.run(poller_stop))
                self.pollers[channel_id] = (_fingerprint(channel), poller, poller_stop, task)
                logger.info("imap poller started", extra={"channel": channel_id, "host": poller.account.host})

    async def _stop(self, channel_id: int) -> None:
        _, _, poller_stop, task = self.pollers.pop(channel_id)
        poller_stop.set()
        try:
            await asyncio.wait_for(task, 10)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
        logger.info("imap poller stopped", extra={"channel": channel_id})
