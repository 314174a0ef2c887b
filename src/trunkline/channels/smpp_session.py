"""The long-lived SMPP bind of one channel: bind as transceiver, answer the SMSC's ``enquire_link``, send our own on
an interval, reconnect with exponential backoff after a drop, and hand every ``deliver_sm`` (MO message or delivery
receipt) to ``store`` before answering it, so an event the SMSC got ESME_ROK for is never lost.

``store(kind, event_key, payload)`` keeps the raw event (``inbox`` passes one that stores it once per key and enqueues
its processing). It runs in the thread that runs the session; the management command ``smpp_sessions`` runs one
thread per active SMPP channel. Tests drive ``connect``/``poll`` step by step.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from trunkline.channels.adapters.smpp import (
    SmppClient,
    SmppConnectionError,
    SmppStatusError,
    deliver_payload,
    parse_event,
    status_name,
)
from trunkline.channels.domain import smpp

logger = logging.getLogger(__name__)

Store = Callable[[str, str, dict[str, Any]], object]


class SmppSession:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        system_id: str,
        password: str,
        store: Store,
        system_type: str = "",
        gsm7_packed: bool = False,
        dlr_id_format: str = "same",
        enquire_link_seconds: float = 30.0,
        timeout: float = 10.0,
        reconnect_base_seconds: float = 1.0,
        reconnect_max_seconds: float = 60.0,
        name: str = "",
    ) -> None:
        self.system_id = system_id
        self.password = password
        self.system_type = system_type
        self.store = store
        self.gsm7_packed = gsm7_packed
        self.dlr_id_format = dlr_id_format
        self.enquire_link_seconds = enquire_link_seconds
        self.reconnect_base_seconds = reconnect_base_seconds
        self.reconnect_max_seconds = reconnect_max_seconds
        self.name = name or f"{host}:{port}"
        self.client = SmppClient(host, port, timeout=timeout, on_deliver=self._deliver)
        self.session_id = ""
        self.connects = 0
        self.failures = 0  # consecutive failed connects, for the backoff
        self._last_activity = time.monotonic()

    # --- steps ---------------------------------------------------------------------------------------------------
    @property
    def bound(self) -> bool:
        return self.client.bound and self.client.sock is not None

    def connect(self) -> None:
        """Connect and bind as transceiver. Raises ``SmppConnectionError``/``SmppStatusError``/``OSError``."""
        self.client.close()
        self.client.connect()
        try:
            self.client.bind(
                "transceiver", system_id=self.system_id, password=self.password, system_type=self.system_type
            )
        except Exception:
            self.client.close()
            raise
        self.session_id = secrets.token_hex(6)
        self.connects += 1
        self.failures = 0
        self._last_activity = time.monotonic()
        logger.info("smpp bound", extra={"smpp": self.name, "session": self.session_id})

    def poll(self, timeout: float) -> smpp.Pdu | None:
        """Read and answer one PDU from the SMSC (None when none came within ``timeout``)."""
        pdu = self.client.read(timeout)
        if pdu is not None:
            self._last_activity = time.monotonic()
            self.client.answer(pdu)
        return pdu

    def keepalive(self, *, force: bool = False) -> bool:
        """Send enquire_link when the link was idle for the interval; a missing answer raises SmppConnectionError."""
        if not force and time.monotonic() - self._last_activity < self.enquire_link_seconds:
            return False
        self.client.call(smpp.Pdu(smpp.ENQUIRE_LINK, 0))
        self._last_activity = time.monotonic()
        return True

    def backoff_seconds(self) -> float:
        return min(self.reconnect_base_seconds * 2 ** max(0, self.failures - 1), self.reconnect_max_seconds)

    def close(self) -> None:
        self.client.unbind()

    def _deliver(self, pdu: smpp.Pdu) -> int:
        """Store a deliver_sm before we acknowledge it; a failure answers ESME_RSYSERR so the SMSC resends later."""
        payload = deliver_payload(pdu, session=self.session_id)
        try:
            parsed = parse_event(payload, packed=self.gsm7_packed, dlr_id_format=self.dlr_id_format)
            self.store(parsed.kind, parsed.event_key, payload)
        except Exception:
            logger.exception("smpp deliver_sm not stored", extra={"smpp": self.name})
            return smpp.ESME_RSYSERR
        return smpp.ESME_ROK

    # --- the loop ------------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: stay bound, answer the SMSC, keep the link alive, reconnect after drops."""
        while not stop.is_set():
            if not self.bound:
                try:
                    self.connect()
                except SmppStatusError as error:
                    self.failures += 1
                    logger.error(
                        "smpp bind refused",
                        extra={"smpp": self.name, "status": status_name(error.status)},
                    )
                    stop.wait(self.backoff_seconds())
                    continue
                except (OSError, SmppConnectionError, smpp.PduError) as error:
                    self.failures += 1
                    logger.warning("smpp connect failed", extra={"smpp": self.name, "error": str(error)})
                    stop.wait(self.backoff_seconds())
                    continue
            try:
                idle = time.monotonic() - self._last_activity
                self.poll(max(0.05, min(1.0, self.enquire_link_seconds - idle)))
                self.keepalive()
            except (SmppConnectionError, SmppStatusError, smpp.PduError) as error:
                logger.warning("smpp session dropped", extra={"smpp": self.name, "error": str(error)})
                self.client.close()
                self.failures += 1
                stop.wait(self.backoff_seconds())
        self.close()
