"""Keep a transceiver bind to the SMSC of every active SMPP channel (one thread each): answer and send enquire_link,
reconnect with backoff, store every deliver_sm (MO messages, delivery receipts) as an inbound event. Channels added,
changed or disabled are picked up every ``INBOX_SMPP_RESCAN_SECONDS``. Outbound sends do not use these binds: the
task worker binds per batch (docs/channels/sms.md)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from trunkline.channels.models import Channel, ChannelStatus, Provider
from trunkline.channels.smpp_session import Store
from trunkline.inbox import policy
from trunkline.inbox.smpp import smpp_session_for

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the long-lived SMPP sessions (one transceiver bind per active SMPP channel)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Start the sessions, scan once, stop (a smoke test).")

    def handle(self, *args: Any, **options: Any) -> None:
        running: dict[int, tuple[str, threading.Event, threading.Thread]] = {}
        stop_all = threading.Event()
        try:
            while not stop_all.is_set():
                wanted = {
                    channel.pk: channel
                    for channel in Channel.objects.filter(provider=Provider.SMPP, status=ChannelStatus.ACTIVE)
                }
                for channel_id in list(running):
                    version, stop, thread = running[channel_id]
                    channel = wanted.get(channel_id)
                    if channel is None or _version(channel) != version or not thread.is_alive():
                        stop.set()
                        thread.join(15)
                        del running[channel_id]
                for channel_id, channel in wanted.items():
                    if channel_id not in running:
                        stop = threading.Event()
                        session = smpp_session_for(channel)
                        session.store = _with_fresh_connection(session.store)
                        thread = threading.Thread(target=session.run, args=(stop,), name=f"smpp-{channel_id}")
                        thread.daemon = True
                        thread.start()
                        running[channel_id] = (_version(channel), stop, thread)
                        self.stdout.write(f"SMPP session for channel {channel_id} ({channel.settings.get('host')})")
                if options["once"]:
                    break
                stop_all.wait(policy.smpp_rescan_seconds())
                close_old_connections()  # between scans: the connection may have died or outlived CONN_MAX_AGE
        except KeyboardInterrupt:
            pass
        finally:
            for _version_key, stop, _thread in running.values():
                stop.set()
            for _version_key, _stop, thread in running.values():
                thread.join(15)


def _with_fresh_connection(store: Store) -> Store:
    """A long-lived thread drops database connections that died or outlived CONN_MAX_AGE before each store."""

    def wrapped(kind: str, event_key: str, payload: dict[str, Any]) -> object:
        close_old_connections()
        return store(kind, event_key, payload)

    return wrapped


def _version(channel: Channel) -> str:
    return f"{channel.updated_at.isoformat()}:{channel.account_id}:{channel.credentials_encrypted[-16:]}"
