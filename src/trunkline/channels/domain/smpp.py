"""SMPP 3.4 on the wire, pure Python: PDUs (header, mandatory fields, TLVs), GSM-7 and UCS-2 short messages, the
concatenation UDH, and delivery-receipt text.

Our own codec rather than smpplib's: its long-message splitter cuts GSM-7 escape pairs and UTF-16 surrogate pairs
across parts (channels.md §3), and the stand-in SMSC needs the server side too. Parts come from ``segments.split``,
which never cuts either; this module only encodes them.

Spec: SMPP v3.4 Issue 1.2 (§3.2 header, §4 PDUs, §5.3 TLVs, appendix B delivery receipts); GSM 03.38 / 3GPP TS 23.038
(alphabet, packing), TS 23.040 §9.2.3.24 (UDH IEI 0x00 and 0x08).
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from trunkline.channels.domain import segments

# --- command ids (§5.1.2.1) ------------------------------------------------------------------------------------------
GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_TRANSMITTER = 0x00000002
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
BIND_TRANSCEIVER = 0x00000009
ENQUIRE_LINK = 0x00000015
RESPONSE = 0x80000000

COMMAND_NAMES = {
    GENERIC_NACK: "generic_nack",
    BIND_RECEIVER: "bind_receiver",
    BIND_TRANSMITTER: "bind_transmitter",
    SUBMIT_SM: "submit_sm",
    DELIVER_SM: "deliver_sm",
    UNBIND: "unbind",
    BIND_TRANSCEIVER: "bind_transceiver",
    ENQUIRE_LINK: "enquire_link",
}
BINDS = frozenset({BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER})

# --- command_status (§5.1.3) ----------------------------------------------------------------------------------------
ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RTHROTTLED = 0x58
ESME_RUNKNOWNERR = 0xFF

STATUS_NAMES = {
    ESME_ROK: "ESME_ROK",
    ESME_RINVMSGLEN: "ESME_RINVMSGLEN",
    ESME_RINVCMDLEN: "ESME_RINVCMDLEN",
    ESME_RINVCMDID: "ESME_RINVCMDID",
    ESME_RINVBNDSTS: "ESME_RINVBNDSTS",
    ESME_RALYBND: "ESME_RALYBND",
    ESME_RSYSERR: "ESME_RSYSERR",
    ESME_RINVSRCADR: "ESME_RINVSRCADR",
    ESME_RINVDSTADR: "ESME_RINVDSTADR",
    ESME_RBINDFAIL: "ESME_RBINDFAIL",
    ESME_RINVPASWD: "ESME_RINVPASWD",
    ESME_RINVSYSID: "ESME_RINVSYSID",
    ESME_RMSGQFUL: "ESME_RMSGQFUL",
    ESME_RTHROTTLED: "ESME_RTHROTTLED",
    ESME_RUNKNOWNERR: "ESME_RUNKNOWNERR",
}
RETRYABLE_STATUSES = frozenset({ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR})

# --- TLV tags (§5.3.2) ----------------------------------------------------------------------------------------------
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F
TLV_SC_INTERFACE_VERSION = 0x0210
TLV_NETWORK_ERROR_CODE = 0x0423
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_MESSAGE_STATE = 0x0427

MESSAGE_STATES = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD", 7: "UNKNOWN"}
MESSAGE_STATES[8] = "REJECTD"

# esm_class bits (§5.2.12)
ESM_UDHI = 0x40
ESM_TYPE_MASK = 0x3C
ESM_DELIVERY_RECEIPT = 0x04

DATA_CODING_DEFAULT = 0x00  # SMSC default alphabet: GSM-7 at the SMSCs we target
DATA_CODING_LATIN1 = 0x03
DATA_CODING_UCS2 = 0x08

INTERFACE_VERSION = 0x34
HEADER = struct.Struct(">IIII")
MAX_PDU_LENGTH = 64 * 1024


class PduError(ValueError):
    """Bytes that are not a valid SMPP 3.4 PDU (answered with generic_nack ESME_RINVCMDLEN/RINVCMDID)."""

    def __init__(self, message: str, *, status: int = ESME_RINVCMDLEN) -> None:
        super().__init__(message)
        self.status = status


# --- mandatory body layouts (§4) ------------------------------------------------------------------------------------
# ("name", kind): "c" C-octet string, "1" one-octet integer, "sm" short_message preceded by sm_length
_BIND = [
    ("system_id", "c"),
    ("password", "c"),
    ("system_type", "c"),
    ("interface_version", "1"),
    ("addr_ton", "1"),
    ("addr_npi", "1"),
    ("address_range", "c"),
]
_SM = [
    ("service_type", "c"),
    ("source_addr_ton", "1"),
    ("source_addr_npi", "1"),
    ("source_addr", "c"),
    ("dest_addr_ton", "1"),
    ("dest_addr_npi", "1"),
    ("destination_addr", "c"),
    ("esm_class", "1"),
    ("protocol_id", "1"),
    ("priority_flag", "1"),
    ("schedule_delivery_time", "c"),
    ("validity_period", "c"),
    ("registered_delivery", "1"),
    ("replace_if_present_flag", "1"),
    ("data_coding", "1"),
    ("sm_default_msg_id", "1"),
    ("short_message", "sm"),
]
LAYOUTS: dict[int, list[tuple[str, str]]] = {
    BIND_RECEIVER: _BIND,
    BIND_TRANSMITTER: _BIND,
    BIND_TRANSCEIVER: _BIND,
    BIND_RECEIVER | RESPONSE: [("system_id", "c")],
    BIND_TRANSMITTER | RESPONSE: [("system_id", "c")],
    BIND_TRANSCEIVER | RESPONSE: [("system_id", "c")],
    SUBMIT_SM: _SM,
    DELIVER_SM: _SM,
    SUBMIT_SM | RESPONSE: [("message_id", "c")],
    DELIVER_SM | RESPONSE: [("message_id", "c")],
    UNBIND: [],
    UNBIND | RESPONSE: [],
    ENQUIRE_LINK: [],
    ENQUIRE_LINK | RESPONSE: [],
    GENERIC_NACK: [],
}


@dataclass
class Pdu:
    command_id: int
    sequence: int
    status: int = ESME_ROK
    params: dict[str, Any] = field(default_factory=dict)
    tlvs: dict[int, bytes] = field(default_factory=dict)

    @property
    def name(self) -> str:
        base = COMMAND_NAMES.get(self.command_id & ~RESPONSE, hex(self.command_id))
        if self.command_id == GENERIC_NACK:
            return base
        return base + ("_resp" if self.command_id & RESPONSE else "")

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE)

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def response(self, status: int = ESME_ROK, **params: Any) -> Pdu:
        return Pdu(self.command_id | RESPONSE, self.sequence, status, params)


def _cstring(value: str | bytes) -> bytes:
    data = value.encode("latin-1") if isinstance(value, str) else value
    return data + b"\x00"


def encode(pdu: Pdu) -> bytes:
    """The PDU's bytes, header included. Error responses carry no body (§3.3: generic_nack and failed *_resp)."""
    body = bytearray()
    layout = LAYOUTS.get(pdu.command_id)
    if layout is None:
        raise PduError(f"Unknown command {pdu.command_id:#x}", status=ESME_RINVCMDID)
    if not (pdu.is_response and pdu.status != ESME_ROK):
        for name, kind in layout:
            value = pdu.params.get(name)
            if kind == "c":
                body += _cstring(value or "")
            elif kind == "1":
                body.append(int(value or 0) & 0xFF)
            else:
                message = bytes(value or b"")
                if len(message) > 254:
                    raise PduError("short_message longer than 254 octets", status=ESME_RINVMSGLEN)
                body.append(len(message))
                body += message
        for tag, value in pdu.tlvs.items():
            body += struct.pack(">HH", tag, len(value)) + value
    return HEADER.pack(HEADER.size + len(body), pdu.command_id, pdu.status, pdu.sequence) + bytes(body)


def decode(data: bytes) -> Pdu:
    """One whole PDU (its command_length octets) back into a ``Pdu``. Responses with an error may have no body."""
    if len(data) < HEADER.size:
        raise PduError("Shorter than a PDU header")
    length, command_id, status, sequence = HEADER.unpack_from(data)
    if length != len(data):
        raise PduError(f"command_length {length} but {len(data)} octets")
    layout = LAYOUTS.get(command_id)
    if layout is None:
        raise PduError(f"Unknown command {command_id:#x}", status=ESME_RINVCMDID)
    pdu = Pdu(command_id, sequence, status)
    offset = HEADER.size
    if offset == length:
        return pdu
    try:
        for name, kind in layout:
            if kind == "c":
                end = data.index(b"\x00", offset)
                pdu.params[name] = data[offset:end].decode("latin-1")
                offset = end + 1
            elif kind == "1":
                pdu.params[name] = data[offset]
                offset += 1
            else:
                size = data[offset]
                pdu.params[name] = bytes(data[offset + 1 : offset + 1 + size])
                if len(pdu.params[name]) != size:
                    raise PduError("short_message runs past the PDU", status=ESME_RINVMSGLEN)
                offset += 1 + size
        while offset + 4 <= length:
            tag, size = struct.unpack_from(">HH", data, offset)
            pdu.tlvs[tag] = bytes(data[offset + 4 : offset + 4 + size])
            offset += 4 + size
    except (ValueError, IndexError) as error:
        if isinstance(error, PduError):
            raise
        raise PduError(f"Malformed {COMMAND_NAMES.get(command_id & ~RESPONSE, '')} body") from error
    return pdu


def frame_length(header: bytes) -> int:
    """command_length from the first 4 octets; refuses absurd lengths before reading them."""
    (length,) = struct.unpack(">I", header[:4])
    if length < HEADER.size or length > MAX_PDU_LENGTH:
        raise PduError(f"command_length {length} out of range")
    return length


# --- GSM 03.38 ------------------------------------------------------------------------------------------------------
GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION_CODES = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D, "]": 0x3E}
GSM7_EXTENSION_CODES |= {"|": 0x40, "€": 0x65}
ESC = 0x1B
_GSM7_CODE = {char: code for code, char in enumerate(GSM7_TABLE) if code != ESC}
_GSM7_EXTENSION_CHAR = {code: char for char, code in GSM7_EXTENSION_CODES.items()}
assert len(GSM7_TABLE) == 128


def gsm7_septets(text: str) -> bytes:
    """Septet values, one per octet (what most SMSCs take in short_message with data_coding 0); ESC + code for the
    extension table. A character outside both tables raises ValueError (the caller chose the wrong encoding)."""
    out = bytearray()
    for char in text:
        if char in _GSM7_CODE:
            out.append(_GSM7_CODE[char])
        elif char in GSM7_EXTENSION_CODES:
            out += bytes((ESC, GSM7_EXTENSION_CODES[char]))
        else:
            raise ValueError(f"{char!r} is not in the GSM-7 alphabet")
    return bytes(out)


def gsm7_text(septets: bytes) -> str:
    chars: list[str] = []
    escaped = False
    for value in septets:
        value &= 0x7F
        if escaped:
            chars.append(_GSM7_EXTENSION_CHAR.get(value, " "))  # an unknown extension shows as a space (23.038)
            escaped = False
        elif value == ESC:
            escaped = True
        else:
            chars.append(GSM7_TABLE[value])
    return "".join(chars)


def gsm7_pack(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets 8-in-7, least significant bit first, after ``fill_bits`` (to align after a UDH). When the last
    octet would leave 7 spare bits a CR is packed there, so the receiver does not read a trailing '@'
    (23.038 §6.1.2.1)."""
    bits = fill_bits + 7 * len(septets)
    if bits % 8 == 1:
        septets += b"\r"
        bits += 7
    value = 0
    for index, septet in enumerate(septets):
        value |= (septet & 0x7F) << (fill_bits + 7 * index)
    return value.to_bytes((bits + 7) // 8, "little")


def gsm7_unpack(data: bytes, fill_bits: int = 0) -> bytes:
    value = int.from_bytes(data, "little")
    count = (len(data) * 8 - fill_bits) // 7
    septets = bytes((value >> (fill_bits + 7 * index)) & 0x7F for index in range(count))
    if septets.endswith(b"\r") and fill_bits + 7 * count == len(data) * 8:
        septets = septets[:-1]  # the CR a packer added in 7 spare bits
    return septets


# --- concatenation UDH (TS 23.040 §9.2.3.24.1 and .8) --------------------------------------------------------------
@dataclass(frozen=True)
class Concat:
    reference: int
    total: int
    sequence: int


def udh_concat(reference: int, total: int, sequence: int) -> bytes:
    """``05 00 03 ref total seq``: IEI 0x00, 8-bit reference."""
    return bytes((5, 0x00, 3, reference & 0xFF, total, sequence))


def udh_split(short_message: bytes) -> tuple[Concat | None, bytes]:
    """The concatenation header (IEI 0x00 or 0x08) of a UDHI short message, and what follows the UDH."""
    if not short_message:
        return None, b""
    length = short_message[0]
    header, rest = short_message[1 : 1 + length], short_message[1 + length :]
    concat = None
    offset = 0
    while offset + 2 <= len(header):
        iei, size = header[offset], header[offset + 1]
        value = header[offset + 2 : offset + 2 + size]
        if iei == 0x00 and size == 3:
            concat = Concat(value[0], value[1], value[2])
        elif iei == 0x08 and size == 4:
            concat = Concat(value[0] << 8 | value[1], value[2], value[3])
        offset += 2 + size
    return concat, rest


@dataclass(frozen=True)
class Part:
    data_coding: int
    esm_class: int
    short_message: bytes


def reference_for(key: str) -> int:
    """The 8-bit concatenation reference of a message: stable per idempotency key, so a retry reuses it."""
    return hashlib.sha256(key.encode()).digest()[0]


def encode_parts(text: str, *, key: str, packed: bool = False, parts: tuple[str, ...] = ()) -> list[Part]:
    """The ``submit_sm`` payloads of ``text``: data_coding 0 (GSM-7, one septet per octet unless ``packed``) or 8
    (UCS-2 big-endian), split by ``segments.split`` (never inside an escape or surrogate pair), with a UDH when there
    is more than one part."""
    encoding = segments.encoding_of(text)
    chunks = list(parts) or segments.split(text, encoding) or [""]
    total = len(chunks)
    reference = reference_for(key)
    result: list[Part] = []
    for number, chunk in enumerate(chunks, start=1):
        udh = udh_concat(reference, total, number) if total > 1 else b""
        if encoding == segments.GSM7:
            septets = gsm7_septets(chunk)
            if packed:
                fill = (7 - (len(udh) * 8) % 7) % 7 if udh else 0
                body = gsm7_pack(septets, fill)
            else:
                body = septets
            coding = DATA_CODING_DEFAULT
        else:
            body = chunk.encode("utf-16-be")
            coding = DATA_CODING_UCS2
        result.append(Part(coding, ESM_UDHI if udh else 0, udh + body))
    return result


def decode_short_message(
    data_coding: int, esm_class: int, short_message: bytes, *, packed: bool = False
) -> tuple[str, Concat | None]:
    """The text of a received ``short_message`` (or ``message_payload``) and its concatenation header, if any."""
    concat = None
    body = short_message
    fill = 0
    if esm_class & ESM_UDHI:
        concat, body = udh_split(short_message)
        if packed:
            fill = (7 - ((short_message[0] + 1) * 8) % 7) % 7
    coding = data_coding & 0xFF
    if coding == DATA_CODING_UCS2:
        text = body.decode("utf-16-be", errors="replace")
    elif coding == DATA_CODING_LATIN1:
        text = body.decode("latin-1")
    elif coding in (DATA_CODING_DEFAULT, 0x01) or coding & 0xF0 == 0xF0:
        text = gsm7_text(gsm7_unpack(body, fill) if packed else body)
    else:
        text = body.decode("latin-1", errors="replace")
    return text, concat


# --- delivery receipts (appendix B) ---------------------------------------------------------------------------------
_RECEIPT_FIELD = re.compile(r"(id|sub|dlvrd|submit date|done date|stat|err|text):", re.IGNORECASE)


def receipt_fields(text: str) -> dict[str, str]:
    """``id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`` as a dict (keys lower-case). Tolerant of
    missing fields and of ``text:`` containing spaces (it is always last)."""
    found = list(_RECEIPT_FIELD.finditer(text))
    fields: dict[str, str] = {}
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        value = text[match.end() : end]
        name = match.group(1).lower()
        fields[name] = value if name == "text" else value.strip()
    return fields


def receipt_text(*, message_id: str, stat: str, err: str = "000", submitted: str = "", done: str = "") -> str:
    delivered = "001" if stat == "DELIVRD" else "000"
    return (
        f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{submitted} done date:{done} "
        f"stat:{stat} err:{err} text:"
    )


def normalise_message_id(value: str, fmt: str) -> str:
    """A receipt's id in the form ``submit_sm_resp`` gave: SMSCs answer hex and report decimal, or the reverse.
    ``fmt``: "same", "dec_to_hex" (receipt decimal, submit hex) or "hex_to_dec"."""
    try:
        if fmt == "dec_to_hex":
            return format(int(value, 10), "x")
        if fmt == "hex_to_dec":
            return str(int(value, 16))
    except ValueError:
        return value
    return value
