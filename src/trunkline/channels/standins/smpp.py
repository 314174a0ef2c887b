"""A local stand-in SMSC speaking SMPP 3.4 (asyncio, 127.0.0.1), for tests, the demo data and ``bin/run``.

It checks ``system_id``/``password`` on every bind (ESME_RINVSYSID / ESME_RINVPASWD), refuses ``submit_sm`` before a
bind (ESME_RINVBNDSTS), answers ``submit_sm`` with a hex ``message_id``, answers ``enquire_link`` and ``unbind``, and
sends delivery receipts (``deliver_sm`` esm_class 0x04, the appendix-B text plus the ``receipted_message_id``,
``message_state`` and ``network_error_code`` TLVs) and MO messages (split with a UDH like a handset's) to a bound
receiver or transceiver of the same ``system_id``, keeping them until one binds and resending those whose
``deliver_sm_resp`` never came. Chaos: throttle (ESME_RTHROTTLED) or system-error (ESME_RSYSERR) rates, a delay before
answering, dropping the connection after taking a ``submit_sm`` (the ambiguous case), receipts held back to be
flushed reversed, shuffled or duplicated, and chosen parts of long messages failing (``part_stats``).

Tests call its methods (they are thread-safe); alone it reads commands from stdin:
``python -m trunkline.channels.standins.smpp --port 2775`` then e.g. ``mo +359888123456 +359700100200 Hello``,
``receipts reversed dup``, ``throttle 0.3``, ``drop``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import secrets
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trunkline.channels.domain import segments, smpp

SMSC_ID = "TrunklineSMSC"
STATE_CODES = {name: code for code, name in smpp.MESSAGE_STATES.items()}


@dataclass
class Chaos:
    throttle_rate: float = 0.0  # submit_sm → ESME_RTHROTTLED
    syserr_rate: float = 0.0  # submit_sm → ESME_RSYSERR
    delay_seconds: float = 0.0  # before answering submit_sm
    drop_after_submit: int = 0  # take this many submit_sm, then close the connection each time without answering


@dataclass
class Submitted:
    system_id: str
    message_id: str
    source: str
    destination: str
    data_coding: int
    esm_class: int
    short_message: bytes
    registered_delivery: int


@dataclass
class _Session:
    writer: asyncio.StreamWriter
    system_id: str = ""
    mode: int = 0
    sequence: int = 0
    outstanding: dict[int, smpp.Pdu] = field(default_factory=dict)

    @property
    def receives(self) -> bool:
        return self.mode in (smpp.BIND_RECEIVER, smpp.BIND_TRANSCEIVER)

    @property
    def transmits(self) -> bool:
        return self.mode in (smpp.BIND_TRANSMITTER, smpp.BIND_TRANSCEIVER)


@dataclass
class SmppStandIn:
    accounts: dict[str, str] = field(default_factory=lambda: {"trunkline": "standin8"})
    seed: int = 7
    chaos: Chaos = field(default_factory=Chaos)
    auto_receipts: bool = True  # a receipt for every submit_sm that asked for one
    receipt_stats: tuple[str, ...] = ("DELIVRD",)  # the receipts each submit_sm gets, in this order
    part_stats: dict[int, tuple[str, ...]] = field(default_factory=dict)  # part N of a long message gets these instead
    hold_receipts: bool = False  # keep receipts until flush_receipts()
    gsm7_packed: bool = False
    submitted: list[Submitted] = field(default_factory=list)
    binds: int = 0
    enquire_link_responses: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 (chaos, not crypto)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._sessions: list[_Session] = []
        self._queued: list[tuple[str, smpp.Pdu]] = []  # (system_id, deliver_sm) waiting for a receiver
        self._held: list[tuple[str, smpp.Pdu]] = []
        self._counter = 0x1000
        self.port = 0

    # --- life cycle ----------------------------------------------------------------------------------------------
    def start(self, port: int = 0) -> SmppStandIn:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", port))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="smpp-standin", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop = None

    async def _shutdown(self) -> None:
        for session in list(self._sessions):
            session.writer.close()
        if self._server is not None:
            self._server.close()

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        assert self._loop is not None, "start() the stand-in first"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # --- control (thread-safe) --------------------------------------------------------------------------------------
    def send_mo(
        self,
        *,
        sender: str,
        to: str,
        text: str,
        system_id: str = "",
        parts: tuple[str, ...] = (),
        only: tuple[int, ...] = (),
        key: str = "",
    ) -> int:
        """A handset's message to ``to``, split and UDH-headed as a phone does; answers the number of deliver_sm.
        ``only`` sends just those part numbers (1-based; a late or lost part), ``key`` fixes the UDH reference."""
        encoded = smpp.encode_parts(text, key=key or secrets.token_hex(8), packed=self.gsm7_packed, parts=parts)
        if only:
            encoded = [part for number, part in enumerate(encoded, start=1) if number in only]
        pdus = [
            smpp.Pdu(
                smpp.DELIVER_SM,
                0,
                params={
                    "source_addr_ton": 1,
                    "source_addr_npi": 1,
                    "source_addr": sender.removeprefix("+"),
                    "dest_addr_ton": 1 if to.removeprefix("+").isdigit() else 5,
                    "dest_addr_npi": 1,
                    "destination_addr": to.removeprefix("+"),
                    "esm_class": part.esm_class,
                    "data_coding": part.data_coding,
                    "short_message": part.short_message,
                },
            )
            for part in encoded
        ]
        self._call(self._route_all(system_id or next(iter(self.accounts)), pdus))
        return len(pdus)

    def send_receipt(self, message_id: str, stat: str, *, err: str = "000", system_id: str = "") -> None:
        """A receipt for ``message_id`` now (e.g. ``UNDELIV`` with ``err`` 001), whatever the automatic ones do."""
        submitted = next((s for s in self.submitted if s.message_id == message_id), None)
        owner = system_id or (submitted.system_id if submitted else next(iter(self.accounts)))
        pdu = self._receipt(message_id, stat, err, submitted)
        self._call(self._route_all(owner, [pdu]))

    def flush_receipts(self, *, order: str = "as_sent", duplicate: bool = False) -> int:
        """Send the held receipts ``as_sent``, ``reversed`` or ``shuffled``, twice each when ``duplicate``."""
        held, self._held = list(self._held), []
        if order == "reversed":
            held.reverse()
        elif order == "shuffled":
            self._random.shuffle(held)
        if duplicate:
            held = [item for item in held for _ in (0, 1)]
        for owner, pdu in held:
            copy = smpp.Pdu(pdu.command_id, 0, params=dict(pdu.params), tlvs=dict(pdu.tlvs))
            self._call(self._route_all(owner, [copy]))
        return len(held)

    def drop_connections(self) -> int:
        """Close every session without unbinding, as a network failure would."""
        return int(self._call(self._drop()))

    def enquire(self) -> int:
        """Send enquire_link on every bound session; their answers count in ``enquire_link_responses``."""
        return int(self._call(self._enquire()))

    def bound_sessions(self) -> int:
        return sum(1 for session in self._sessions if session.mode)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def texts(self) -> list[str]:
        """The submitted messages as a handset shows them: parts joined by their UDH reference, in order."""
        groups: dict[tuple[str, int, int], dict[int, str]] = {}
        order: list[tuple[str, int, int]] = []
        for number, item in enumerate(self.submitted):
            text, concat = smpp.decode_short_message(
                item.data_coding, item.esm_class, item.short_message, packed=self.gsm7_packed
            )
            key = (item.destination, concat.reference, concat.total) if concat else (item.destination, -number, 1)
            if key not in groups:
                groups[key] = {}
                order.append(key)
            groups[key][concat.sequence if concat else 1] = text
        return ["".join(groups[key][index] for index in sorted(groups[key])) for key in order]

    # --- the protocol --------------------------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(writer)
        self._sessions.append(session)
        try:
            while True:
                header = await reader.readexactly(4)
                length = smpp.frame_length(header)
                data = header + await reader.readexactly(length - 4)
                try:
                    pdu = smpp.decode(data)
                except smpp.PduError as error:
                    sequence = int.from_bytes(data[12:16], "big") if len(data) >= 16 else 0
                    await self._write(session, smpp.Pdu(smpp.GENERIC_NACK, sequence, error.status))
                    continue
                if not await self._handle(session, pdu):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, smpp.PduError):
            pass
        finally:
            self._sessions.remove(session)
            for pdu in session.outstanding.values():  # never acknowledged: the SMSC delivers it again later
                self._queued.append((session.system_id, pdu))
            writer.close()

    async def _write(self, session: _Session, pdu: smpp.Pdu) -> None:
        session.writer.write(smpp.encode(pdu))
        await session.writer.drain()

    async def _handle(self, session: _Session, pdu: smpp.Pdu) -> bool:
        command = pdu.command_id
        if command in smpp.BINDS:
            await self._bind(session, pdu)
        elif command == smpp.ENQUIRE_LINK:
            await self._write(session, pdu.response())
        elif command == smpp.ENQUIRE_LINK | smpp.RESPONSE:
            self.enquire_link_responses += 1
        elif command == smpp.UNBIND:
            await self._write(session, pdu.response())
            return False
        elif command == smpp.DELIVER_SM | smpp.RESPONSE:
            sent = session.outstanding.pop(pdu.sequence, None)
            if sent is not None and pdu.status != smpp.ESME_ROK:
                self._queued.append((session.system_id, sent))
        elif command == smpp.SUBMIT_SM:
            return await self._submit(session, pdu)
        elif command == smpp.GENERIC_NACK or pdu.is_response:
            pass
        else:
            await self._write(session, smpp.Pdu(smpp.GENERIC_NACK, pdu.sequence, smpp.ESME_RINVCMDID))
        return True

    async def _bind(self, session: _Session, pdu: smpp.Pdu) -> None:
        system_id = str(pdu.get("system_id", ""))
        if session.mode:
            status = smpp.ESME_RALYBND
        elif system_id not in self.accounts:
            status = smpp.ESME_RINVSYSID
        elif self.accounts[system_id] != pdu.get("password"):
            status = smpp.ESME_RINVPASWD
        else:
            status = smpp.ESME_ROK
        if status != smpp.ESME_ROK:
            await self._write(session, pdu.response(status))
            return
        session.system_id, session.mode = system_id, pdu.command_id
        self.binds += 1
        await self._write(session, pdu.response(system_id=SMSC_ID))
        await self._flush_queued()

    async def _submit(self, session: _Session, pdu: smpp.Pdu) -> bool:
        if not session.transmits:
            await self._write(session, pdu.response(smpp.ESME_RINVBNDSTS))
            return True
        if self.chaos.delay_seconds:
            await asyncio.sleep(self.chaos.delay_seconds)
        roll = self._random.random()
        if roll < self.chaos.throttle_rate:
            await self._write(session, pdu.response(smpp.ESME_RTHROTTLED))
            return True
        if roll - self.chaos.throttle_rate < self.chaos.syserr_rate:
            await self._write(session, pdu.response(smpp.ESME_RSYSERR))
            return True
        destination = str(pdu.get("destination_addr", ""))
        if not destination:
            await self._write(session, pdu.response(smpp.ESME_RINVDSTADR))
            return True
        self._counter += 1
        message_id = format(self._counter, "x")
        item = Submitted(
            system_id=session.system_id,
            message_id=message_id,
            source=str(pdu.get("source_addr", "")),
            destination=destination,
            data_coding=int(pdu.get("data_coding", 0)),
            esm_class=int(pdu.get("esm_class", 0)),
            short_message=bytes(pdu.get("short_message", b"")),
            registered_delivery=int(pdu.get("registered_delivery", 0)),
        )
        self.submitted.append(item)
        if self.chaos.drop_after_submit > 0:
            self.chaos.drop_after_submit -= 1
            return False  # taken, never answered: the ESME cannot know
        await self._write(session, pdu.response(message_id=message_id))
        if self.auto_receipts and item.registered_delivery & 0x01:
            _, concat = smpp.decode_short_message(
                item.data_coding, item.esm_class, item.short_message, packed=self.gsm7_packed
            )
            stats = self.part_stats.get(concat.sequence, self.receipt_stats) if concat else self.receipt_stats
            receipts = [
                self._receipt(message_id, stat, "000" if stat in ("DELIVRD", "ENROUTE", "ACCEPTD") else "001", item)
                for stat in stats
            ]
            if self.hold_receipts:
                self._held.extend((session.system_id, receipt) for receipt in receipts)
            else:
                await self._route_all(session.system_id, receipts)
        return True

    def _receipt(self, message_id: str, stat: str, err: str, item: Submitted | None) -> smpp.Pdu:
        now = datetime.now(UTC).strftime("%y%m%d%H%M")
        text = smpp.receipt_text(message_id=message_id, stat=stat, err=err, submitted=now, done=now)
        septets = smpp.gsm7_septets(text)
        tlvs = {
            smpp.TLV_RECEIPTED_MESSAGE_ID: message_id.encode() + b"\x00",
            smpp.TLV_MESSAGE_STATE: bytes((STATE_CODES.get(stat, 7),)),
        }
        if err.strip("0"):
            tlvs[smpp.TLV_NETWORK_ERROR_CODE] = bytes((3,)) + int(err).to_bytes(2, "big")
        return smpp.Pdu(
            smpp.DELIVER_SM,
            0,
            params={
                "source_addr_ton": 1,
                "source_addr_npi": 1,
                "source_addr": item.destination if item else "",
                "dest_addr_ton": 5 if item and not item.source.isdigit() else 1,
                "dest_addr_npi": 0,
                "destination_addr": item.source if item else "",
                "esm_class": smpp.ESM_DELIVERY_RECEIPT,
                "data_coding": smpp.DATA_CODING_DEFAULT,
                "short_message": smpp.gsm7_pack(septets) if self.gsm7_packed else septets,
            },
            tlvs=tlvs,
        )

    async def _route_all(self, system_id: str, pdus: list[smpp.Pdu]) -> None:
        self._queued.extend((system_id, pdu) for pdu in pdus)
        await self._flush_queued()

    async def _flush_queued(self) -> None:
        waiting, self._queued = self._queued, []
        for system_id, pdu in waiting:
            receiver = next((s for s in self._sessions if s.system_id == system_id and s.receives), None)
            if receiver is None:
                self._queued.append((system_id, pdu))
                continue
            receiver.sequence += 1
            pdu.sequence = receiver.sequence
            receiver.outstanding[pdu.sequence] = pdu
            try:
                await self._write(receiver, pdu)
            except ConnectionError:
                receiver.outstanding.pop(pdu.sequence, None)
                self._queued.append((system_id, pdu))

    async def _drop(self) -> int:
        sessions = list(self._sessions)
        for session in sessions:
            transport = session.writer.transport
            if transport is not None:
                transport.abort()
        return len(sessions)

    async def _enquire(self) -> int:
        count = 0
        for session in list(self._sessions):
            if session.mode:
                session.sequence += 1
                with contextlib.suppress(ConnectionError):
                    await self._write(session, smpp.Pdu(smpp.ENQUIRE_LINK, session.sequence))
                    count += 1
        return count


def control(standin: SmppStandIn, line: str) -> str:
    """One stdin command of the stand-alone stand-in."""
    line = line.strip()
    words = line.split()
    if not words:
        return ""
    match words[0]:
        case "mo" if len(words) >= 4:
            sent = standin.send_mo(sender=words[1], to=words[2], text=line.split(maxsplit=3)[3])
            return f"sent {sent} deliver_sm"
        case "receipts":
            order = words[1] if len(words) > 1 else "as_sent"
            return f"flushed {standin.flush_receipts(order=order, duplicate='dup' in words)}"
        case "hold":
            standin.hold_receipts = not standin.hold_receipts
            return f"hold receipts: {standin.hold_receipts}"
        case "fail" if len(words) >= 2:
            standin.part_stats[int(words[1])] = (words[2] if len(words) > 2 else "UNDELIV",)
            return f"part {words[1]} of long messages: {standin.part_stats[int(words[1])][0]}"
        case "throttle":
            standin.chaos.throttle_rate = float(words[1])
            return "ok"
        case "syserr":
            standin.chaos.syserr_rate = float(words[1])
            return "ok"
        case "drop":
            return f"dropped {standin.drop_connections()}"
        case "segments":
            return str(segments.count(line.split(maxsplit=1)[1]))
    return (
        "commands: mo FROM TO TEXT | receipts [reversed|shuffled] [dup] | hold | fail PART [STAT] | throttle R"
        " | syserr R | drop"
    )


def main() -> None:  # pragma: no cover - a manual tool
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=2775)
    parser.add_argument("--system-id", default="trunkline")
    parser.add_argument("--password", default="standin8")
    parser.add_argument("--packed", action="store_true", help="GSM-7 packed 8-in-7 in short_message")
    args = parser.parse_args()
    standin = SmppStandIn(accounts={args.system_id: args.password}, gsm7_packed=args.packed).start(args.port)
    print(f"SMPP stand-in SMSC on 127.0.0.1:{standin.port} (system_id {args.system_id})", flush=True)  # noqa: T201
    try:
        for line in sys.stdin:
            print(control(standin, line), flush=True)  # noqa: T201
        while True:  # stdin closed (e.g. under honcho): keep serving
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
