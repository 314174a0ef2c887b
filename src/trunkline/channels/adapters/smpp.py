"""SMS over SMPP 3.4: a small blocking ESME client and the adapter the outbox uses.

Sending (``SmppAdapter.send``): bind if not bound (``bind_transmitter`` by default, see docs/channels/sms.md), then one
``submit_sm`` per part from ``segments.split`` with our own UDH (``05 00 03 ref total seq``), ``data_coding`` 0 (GSM-7)
or 8 (UCS-2), ``registered_delivery`` 1. Each part gets its own ``message_id`` and its own receipts: the result carries
all of them (``part_ids``, in part order; ``provider_message_id`` is the first), and the outbox keeps every one so a
receipt for any part is matched to its part.

Receiving: a long-lived transceiver bind (``trunkline.channels.smpp_session``) turns every ``deliver_sm`` into a stored
inbound event (``deliver_event``); ``SmppAdapter.parse`` turns that stored event into a message or a status report in
the common vocabulary, exactly as the Twilio adapter does for its webhooks. Nothing SMPP arrives over HTTP, so
``verify`` refuses every webhook.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any

from trunkline.channels.adapters.base import (
    InboundMessage,
    Outbound,
    ParsedEvent,
    SendError,
    SendResult,
    StatusReport,
    WebhookRequest,
)
from trunkline.channels.domain import smpp
from trunkline.channels.domain import status as statuses

logger = logging.getLogger(__name__)
DEFAULT_PORT = 2775
BIND_COMMANDS = {
    "transmitter": smpp.BIND_TRANSMITTER,
    "receiver": smpp.BIND_RECEIVER,
    "transceiver": smpp.BIND_TRANSCEIVER,
}


class SmppStatusError(Exception):
    """The SMSC answered a request with a command_status other than ESME_ROK."""

    def __init__(self, pdu: smpp.Pdu) -> None:
        self.status = pdu.status
        super().__init__(f"{pdu.name}: {status_name(pdu.status)}")


class SmppConnectionError(Exception):
    """The connection dropped, or no answer came in time."""


def status_name(status: int) -> str:
    return smpp.STATUS_NAMES.get(status, f"0x{status:08x}")


def address(value: str) -> tuple[int, int, str]:
    """TON, NPI and digits of a phone number or alphanumeric sender: +E.164 → 1/1 (international/ISDN),
    alphanumeric → 5/0."""
    digits = value.removeprefix("+")
    if digits.isdigit():
        return 1, 1, digits
    return 5, 0, value


def phone_of(ton: int, value: str) -> str:
    return f"+{value}" if ton == 1 and value.isdigit() else value


DeliverHandler = Callable[[smpp.Pdu], int]


class SmppClient:
    """One ESME connection. ``call`` sends a request and waits for its response (matched by sequence number); requests
    the SMSC sends meanwhile are answered: ``enquire_link``, ``unbind``, and ``deliver_sm`` through ``on_deliver``
    (which answers the command_status of our ``deliver_sm_resp``)."""

    def __init__(
        self, host: str, port: int, *, timeout: float = 10.0, on_deliver: DeliverHandler | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.on_deliver = on_deliver
        self.sock: socket.socket | None = None
        self.bound = False
        self._sequence = 0
        self._buffer = bytearray()

    # --- connection --------------------------------------------------------------------------------------------------
    def connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer.clear()

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
                self.bound = False

    def next_sequence(self) -> int:
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        return self._sequence

    def write(self, pdu: smpp.Pdu) -> None:
        if self.sock is None:
            raise SmppConnectionError("not connected")
        try:
            self.sock.sendall(smpp.encode(pdu))
        except OSError as error:
            self.close()
            raise SmppConnectionError(str(error)) from error

    def read(self, timeout: float | None = None) -> smpp.Pdu | None:
        """The next PDU, or None when ``timeout`` passes with nothing complete. A closed connection raises."""
        if self.sock is None:
            raise SmppConnectionError("not connected")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if len(self._buffer) >= 4:
                length = smpp.frame_length(bytes(self._buffer[:4]))
                if len(self._buffer) >= length:
                    data = bytes(self._buffer[:length])
                    del self._buffer[:length]
                    return smpp.decode(data)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            except OSError as error:
                self.close()
                raise SmppConnectionError(str(error)) from error
            if not chunk:
                self.close()
                raise SmppConnectionError("the SMSC closed the connection")
            self._buffer += chunk

    def answer(self, pdu: smpp.Pdu) -> None:
        """Answer a request the SMSC sent us."""
        if pdu.command_id == smpp.ENQUIRE_LINK:
            self.write(pdu.response())
        elif pdu.command_id == smpp.UNBIND:
            self.write(pdu.response())
            self.close()
        elif pdu.command_id == smpp.DELIVER_SM:
            status = self.on_deliver(pdu) if self.on_deliver else smpp.ESME_RSYSERR
            self.write(pdu.response(status))
        elif not pdu.is_response:
            self.write(smpp.Pdu(smpp.GENERIC_NACK, pdu.sequence, smpp.ESME_RINVCMDID))

    def call(self, pdu: smpp.Pdu) -> smpp.Pdu:
        """Send a request and wait for its response; raises ``SmppStatusError`` on an error status."""
        pdu.sequence = self.next_sequence()
        self.write(pdu)
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            incoming = self.read(max(remaining, 0))
            if incoming is None:
                raise SmppConnectionError(f"no answer to {pdu.name} in {self.timeout:g} s")
            if incoming.sequence == pdu.sequence and incoming.is_response:
                if incoming.status != smpp.ESME_ROK:
                    raise SmppStatusError(incoming)
                return incoming
            if incoming.is_response:
                continue  # a late answer to something we gave up on
            self.answer(incoming)

    def bind(self, mode: str, *, system_id: str, password: str, system_type: str = "") -> smpp.Pdu:
        if self.sock is None:
            self.connect()
        response = self.call(
            smpp.Pdu(
                BIND_COMMANDS[mode],
                0,
                params={
                    "system_id": system_id,
                    "password": password,
                    "system_type": system_type,
                    "interface_version": smpp.INTERFACE_VERSION,
                },
            )
        )
        self.bound = True
        return response

    def unbind(self) -> None:
        """Unbind politely; an SMSC that closes before its unbind_resp is tolerated (channels.md §3)."""
        if self.sock is None:
            return
        try:
            if self.bound:
                self.call(smpp.Pdu(smpp.UNBIND, 0))
        except (SmppConnectionError, SmppStatusError, smpp.PduError):
            pass
        finally:
            self.close()


class SmppAdapter:
    provider = "smpp"
    supports_idempotency_key = False  # SMPP has no idempotency key: an ambiguous send is never repeated

    def __init__(
        self,
        *,
        host: str,
        port: int = DEFAULT_PORT,
        system_id: str,
        password: str,
        system_type: str = "",
        bind_mode: str = "transmitter",
        gsm7_packed: bool = False,
        dlr_id_format: str = "same",
        registered_delivery: int = 1,
        timeout: float = 10.0,
        store: Callable[[str, str, dict[str, Any]], object] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.system_id = system_id
        self.password = password
        self.system_type = system_type
        self.bind_mode = bind_mode
        self.gsm7_packed = gsm7_packed
        self.dlr_id_format = dlr_id_format
        self.registered_delivery = registered_delivery
        self.store = store
        self.client = SmppClient(host, port, timeout=timeout, on_deliver=self._deliver)

    def _deliver(self, pdu: smpp.Pdu) -> int:
        """A deliver_sm on the sending bind (a transceiver): stored like the session stores it, else refused with
        ESME_RSYSERR so the SMSC delivers it again later."""
        if self.store is None:
            return smpp.ESME_RSYSERR
        payload = deliver_payload(pdu, session=f"send-{id(self.client):x}")
        try:
            parsed = parse_event(payload, packed=self.gsm7_packed, dlr_id_format=self.dlr_id_format)
            self.store(parsed.kind, parsed.event_key, payload)
        except Exception:
            logger.exception("smpp deliver_sm on the sending bind not stored")
            return smpp.ESME_RSYSERR
        return smpp.ESME_ROK

    def close(self) -> None:
        self.client.unbind()

    # --- sending -------------------------------------------------------------------------------------------------
    def _ensure_bound(self) -> None:
        if self.client.bound and self.client.sock is not None:
            return
        self.client.close()
        try:
            self.client.connect()
        except OSError as error:  # never reached the SMSC: safe to retry
            raise SendError(f"Cannot connect: {error}", code="connect", retryable=True) from error
        try:
            self.client.bind(
                self.bind_mode, system_id=self.system_id, password=self.password, system_type=self.system_type
            )
        except SmppStatusError as error:
            self.client.close()
            raise SendError(
                str(error), code=status_name(error.status), retryable=error.status in smpp.RETRYABLE_STATUSES
            ) from error
        except (SmppConnectionError, smpp.PduError) as error:
            self.client.close()
            raise SendError(f"Bind failed: {error}", code="bind", retryable=True) from error

    def send(self, outbound: Outbound) -> SendResult:
        try:
            parts = smpp.encode_parts(
                outbound.body, key=outbound.idempotency_key, packed=self.gsm7_packed, parts=outbound.parts
            )
        except ValueError as error:
            raise SendError(str(error), code="encoding", retryable=False) from error
        self._ensure_bound()
        source_ton, source_npi, source = address(outbound.sender)
        dest_ton, dest_npi, destination = address(outbound.to)
        message_ids: list[str] = []
        for part in parts:
            request = smpp.Pdu(
                smpp.SUBMIT_SM,
                0,
                params={
                    "source_addr_ton": source_ton,
                    "source_addr_npi": source_npi,
                    "source_addr": source,
                    "dest_addr_ton": dest_ton,
                    "dest_addr_npi": dest_npi,
                    "destination_addr": destination,
                    "esm_class": part.esm_class,
                    "registered_delivery": self.registered_delivery,
                    "data_coding": part.data_coding,
                    "short_message": part.short_message,
                },
            )
            try:
                response = self.client.call(request)
            except SmppStatusError as error:
                retryable = error.status in smpp.RETRYABLE_STATUSES
                raise SendError(
                    f"{error} (part {len(message_ids) + 1} of {len(parts)})",
                    code=status_name(error.status),
                    retryable=retryable,
                    ambiguous=retryable and bool(message_ids),  # earlier parts went out: a retry would repeat them
                ) from error
            except (SmppConnectionError, smpp.PduError) as error:
                self.client.close()
                # the submit_sm left: the SMSC may have taken it
                raise SendError(f"No answer: {error}", code="timeout", retryable=True, ambiguous=True) from error
            message_ids.append(str(response.get("message_id", "")))
        return SendResult(
            provider_message_id=message_ids[0],
            status=statuses.ACCEPTED,
            segments=len(parts),
            raw={"message_ids": message_ids},
            part_ids=tuple(message_ids),
        )

    # --- inbound events (stored by the session process) ---------------------------------------------------------
    def verify(self, request: WebhookRequest) -> bool:
        return False  # SMPP events arrive over our own authenticated bind, never as webhooks

    def parse(self, kind: str, request: WebhookRequest) -> ParsedEvent:
        return parse_event(request.form, packed=self.gsm7_packed, dlr_id_format=self.dlr_id_format)


# --- deliver_sm ⇄ stored events -----------------------------------------------------------------------------------


def _value(form: dict[str, Any], name: str) -> str:
    values = form.get(name) or [""]
    return str(values[0])


def deliver_payload(pdu: smpp.Pdu, *, session: str) -> dict[str, list[str]]:
    """A received ``deliver_sm`` as a JSON-able form (values in lists, like a webhook's), bytes in hex."""
    form = {name: [value.hex() if isinstance(value, bytes) else str(value)] for name, value in pdu.params.items()}
    form["session"] = [session]
    form["sequence"] = [str(pdu.sequence)]
    for tag, value in pdu.tlvs.items():
        form[f"tlv_{tag:04x}"] = [value.hex()]
    return form


def is_receipt(pdu_or_form: smpp.Pdu | dict[str, Any]) -> bool:
    if isinstance(pdu_or_form, smpp.Pdu):
        esm_class = int(pdu_or_form.get("esm_class", 0))
    else:
        esm_class = int(_value(pdu_or_form, "esm_class") or 0)
    return esm_class & smpp.ESM_TYPE_MASK == smpp.ESM_DELIVERY_RECEIPT


def parse_event(form: dict[str, Any], *, packed: bool = False, dlr_id_format: str = "same") -> ParsedEvent:
    """A stored ``deliver_sm``: a delivery receipt → ``StatusReport`` (TLVs preferred over the text), otherwise an MO
    message → ``InboundMessage`` (with its concatenation part, when it is one)."""
    data_coding = int(_value(form, "data_coding") or 0)
    esm_class = int(_value(form, "esm_class") or 0)
    short_message = bytes.fromhex(_value(form, "short_message"))
    payload = _value(form, f"tlv_{smpp.TLV_MESSAGE_PAYLOAD:04x}")
    if payload and not short_message:
        short_message = bytes.fromhex(payload)
    text, concat = smpp.decode_short_message(data_coding, esm_class, short_message, packed=packed)
    if esm_class & smpp.ESM_TYPE_MASK == smpp.ESM_DELIVERY_RECEIPT:
        fields = smpp.receipt_fields(text)
        receipted = _value(form, f"tlv_{smpp.TLV_RECEIPTED_MESSAGE_ID:04x}")
        message_id = bytes.fromhex(receipted).rstrip(b"\x00").decode("latin-1") if receipted else ""
        if not message_id:
            message_id = smpp.normalise_message_id(fields.get("id", ""), dlr_id_format)
        state = _value(form, f"tlv_{smpp.TLV_MESSAGE_STATE:04x}")
        stat = smpp.MESSAGE_STATES.get(int(state, 16), "") if state else ""
        stat = stat or fields.get("stat", "").upper()
        network_error = _value(form, f"tlv_{smpp.TLV_NETWORK_ERROR_CODE:04x}")
        error = fields.get("err", "")
        if network_error and not error.strip("0"):
            error = network_error
        error = "" if not error.strip("0") else error
        return ParsedEvent(
            kind="status",
            event_key=f"dlr:{message_id}:{stat}",
            status=StatusReport(
                provider_message_id=message_id,
                status=statuses.SMPP_STAT.get(stat, statuses.UNKNOWN),
                raw_status=stat,
                error_code=error,
                error_message=f"{stat} err:{error}" if error else "",
            ),
        )
    source = phone_of(int(_value(form, "source_addr_ton") or 0), _value(form, "source_addr"))
    destination = phone_of(int(_value(form, "dest_addr_ton") or 0), _value(form, "destination_addr"))
    session, sequence = _value(form, "session"), _value(form, "sequence")
    if concat is not None and concat.total > 1:
        group = f"mo:{source}:{concat.reference}:{concat.total}"
        key = f"{group}:{concat.sequence}:{session}:{sequence}"
        part: tuple[str, int, int] | None = (group, concat.sequence, concat.total)
    else:
        key, part = f"mo:{source}:{session}:{sequence}", None
    return ParsedEvent(
        kind="message",
        event_key=key,
        message=InboundMessage(
            provider_message_id=key,
            sender=source,
            recipient=destination,
            body=text,
            segments=concat.total if concat else 1,
            part=part,
        ),
    )


def adapter_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The adapter's keyword arguments from a channel's (validated) settings."""
    return {
        "host": str(settings.get("host", "")),
        "port": int(settings.get("port", DEFAULT_PORT)),
        "system_type": str(settings.get("system_type", "")),
        "bind_mode": str(settings.get("send_bind", "transmitter")),
        "gsm7_packed": settings.get("gsm7_packing", "unpacked") == "packed",
        "dlr_id_format": str(settings.get("dlr_id_format", "same")),
        "timeout": float(settings.get("response_timeout_seconds", 10)),
    }
