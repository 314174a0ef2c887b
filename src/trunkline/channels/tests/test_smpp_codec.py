"""The SMPP 3.4 codec: PDUs round-trip byte for byte, GSM-7 (packed and unpacked) and UCS-2 parts reassemble to the
original text (escape pairs and surrogate pairs never cut: smpplib's splitter cuts both), receipts parse."""

from __future__ import annotations

import pytest

from trunkline.channels.domain import segments, smpp

LONG_TEXTS = [
    "a" * 152 + "{" + "a" * 152,  # the escape pair would straddle parts 1 and 2 (smpplib puts ESC at the end of part 1)
    "a" * 152 + "€" + "b" * 152 + "[" + "c" * 152 + "]",
    "[]" * 120,
    "€" * 200,
    "a" * 66 + "😀" + "a" * 66,  # the surrogate pair would straddle (smpplib splits d83d | de00)
    "😀" * 100,
    "Здравейте! 👋 " * 30,
    "x" * 160,
    "x" * 161,
]


def pdu_round_trip(pdu: smpp.Pdu) -> smpp.Pdu:
    data = smpp.encode(pdu)
    assert smpp.frame_length(data[:4]) == len(data)
    again = smpp.decode(data)
    assert smpp.encode(again) == data
    return again


def test_bind_transceiver_and_its_response_round_trip():
    """bind_transceiver carries system_id, password, system_type and interface_version 0x34 in the spec's order."""
    bind = smpp.Pdu(
        smpp.BIND_TRANSCEIVER,
        1,
        params={"system_id": "trunkline", "password": "pw", "system_type": "CMT", "interface_version": 0x34},
    )
    data = smpp.encode(bind)
    assert data[:16] == bytes.fromhex("00000025000000090000000000000001")
    assert data[16:] == b"trunkline\x00pw\x00CMT\x00\x34\x00\x00\x00"
    again = pdu_round_trip(bind)
    assert (again.name, again.get("system_id"), again.get("password"), again.get("system_type")) == (
        "bind_transceiver",
        "trunkline",
        "pw",
        "CMT",
    )
    response = pdu_round_trip(bind.response(system_id="SMSC"))
    assert (response.name, response.sequence, response.get("system_id")) == ("bind_transceiver_resp", 1, "SMSC")


def test_an_error_response_has_no_body():
    """§3.3: a response with a command_status other than ESME_ROK is just the 16-octet header."""
    bind = smpp.Pdu(smpp.BIND_TRANSMITTER, 9, params={"system_id": "x", "password": "y"})
    data = smpp.encode(bind.response(smpp.ESME_RINVPASWD))
    assert data == bytes.fromhex("00000010800000020000000e00000009")
    assert smpp.decode(data).status == smpp.ESME_RINVPASWD


def test_submit_sm_and_deliver_sm_round_trip_with_tlvs():
    """Every mandatory field and the TLVs (receipted_message_id, message_state) survive encode → decode."""
    submit = smpp.Pdu(
        smpp.SUBMIT_SM,
        7,
        params={
            "source_addr_ton": 5,
            "source_addr": "Clinic",
            "dest_addr_ton": 1,
            "dest_addr_npi": 1,
            "destination_addr": "359888123456",
            "esm_class": 0x40,
            "registered_delivery": 1,
            "data_coding": 8,
            "short_message": bytes(range(140)),
        },
    )
    again = pdu_round_trip(submit)
    assert again.get("short_message") == bytes(range(140))
    assert (again.get("esm_class"), again.get("data_coding"), again.get("destination_addr")) == (
        0x40,
        8,
        "359888123456",
    )
    deliver = smpp.Pdu(
        smpp.DELIVER_SM,
        3,
        params={"esm_class": 4, "short_message": b"id:1 stat:DELIVRD"},
        tlvs={smpp.TLV_RECEIPTED_MESSAGE_ID: b"1\x00", smpp.TLV_MESSAGE_STATE: b"\x02"},
    )
    assert pdu_round_trip(deliver).tlvs == deliver.tlvs
    assert pdu_round_trip(submit.response(message_id="abc")).get("message_id") == "abc"


@pytest.mark.parametrize("command", [smpp.ENQUIRE_LINK, smpp.UNBIND, smpp.GENERIC_NACK])
def test_bodiless_pdus_round_trip(command):
    """enquire_link, unbind and generic_nack are the header alone; their responses too."""
    pdu = smpp.Pdu(command, 42)
    assert len(smpp.encode(pdu)) == 16
    assert pdu_round_trip(pdu).sequence == 42
    if command != smpp.GENERIC_NACK:
        assert pdu_round_trip(pdu.response()).name.endswith("_resp")


def test_malformed_pdus_are_refused():
    """A wrong command_length, an unknown command id, a short_message that runs past the PDU: PduError."""
    with pytest.raises(smpp.PduError):
        smpp.decode(bytes.fromhex("00000011000000150000000000000001"))
    with pytest.raises(smpp.PduError) as error:
        smpp.decode(bytes.fromhex("00000010000000990000000000000001"))
    assert error.value.status == smpp.ESME_RINVCMDID
    truncated = bytearray(smpp.encode(smpp.Pdu(smpp.SUBMIT_SM, 1, params={"short_message": b"hello"})))
    truncated[-6] = 200  # sm_length larger than what follows
    with pytest.raises(smpp.PduError):
        smpp.decode(bytes(truncated))
    with pytest.raises(smpp.PduError):
        smpp.frame_length(b"\x7f\xff\xff\xff")


def test_gsm7_packing_matches_the_23038_example_and_round_trips():
    """ "hellohello" packs to E8329BFD4697D9EC37 (the classic example); a 7-septet text gets a CR, not a stray '@'."""
    assert smpp.gsm7_pack(smpp.gsm7_septets("hellohello")).hex().upper() == "E8329BFD4697D9EC37"
    for text in ["1234567", "12345678", "€uro [x]", "@@@"]:
        assert smpp.gsm7_text(smpp.gsm7_unpack(smpp.gsm7_pack(smpp.gsm7_septets(text)))) == text


def test_udh_concat_headers_parse():
    """IEI 0x00 (8-bit reference) and IEI 0x08 (16-bit reference) both give reference, total and sequence."""
    assert smpp.udh_split(smpp.udh_concat(200, 3, 2) + b"body") == (smpp.Concat(200, 3, 2), b"body")
    assert smpp.udh_split(bytes.fromhex("060804beef0301") + b"x") == (smpp.Concat(0xBEEF, 3, 1), b"x")


@pytest.mark.rule("PT-9.4")
@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("text", LONG_TEXTS)
def test_parts_reassemble_to_the_original_text(text, packed):
    """Every part fits 140 octets when packed (UCS-2) or 153+6 septets; the parts as the handset joins them equal the
    text; their number is what the composer counted and what metering bills."""
    parts = smpp.encode_parts(text, key="delivery-1", packed=packed)
    assert len(parts) == segments.count(text).segments
    joined = ""
    for number, part in enumerate(parts, start=1):
        body, concat = smpp.decode_short_message(part.data_coding, part.esm_class, part.short_message, packed=packed)
        if len(parts) > 1:
            assert concat == smpp.Concat(smpp.reference_for("delivery-1"), len(parts), number)
        if part.data_coding == smpp.DATA_CODING_UCS2 or packed:
            assert len(part.short_message) <= 140
        else:
            assert len(part.short_message) <= 160  # unpacked: one septet per octet
        joined += body
    assert joined == text


@pytest.mark.rule("PT-9.4")
def test_no_part_ends_in_an_escape_or_a_high_surrogate():
    """The exact smpplib failures: part 1 ending in ESC 0x1B, or in the high half of a surrogate pair."""
    gsm = smpp.encode_parts("a" * 152 + "{" + "a" * 152, key="k")
    assert [len(part.short_message) - 6 for part in gsm] == [152, 153, 1]
    assert all(part.short_message[-1] != smpp.ESC for part in gsm)
    ucs2 = smpp.encode_parts("a" * 66 + "😀" + "a" * 66, key="k")
    assert len(ucs2) == 3
    assert all(not 0xD800 <= int.from_bytes(part.short_message[-2:], "big") <= 0xDBFF for part in ucs2)
    assert {part.data_coding for part in ucs2} == {smpp.DATA_CODING_UCS2}


def test_a_delivery_receipt_text_parses():
    """Appendix B: id, sub, dlvrd, submit date, done date, stat, err, text (which may hold spaces)."""
    fields = smpp.receipt_fields(
        "id:0123abc sub:001 dlvrd:001 submit date:2612061200 done date:2612061201 stat:DELIVRD err:000 text:Hello there"
    )
    assert fields == {
        "id": "0123abc",
        "sub": "001",
        "dlvrd": "001",
        "submit date": "2612061200",
        "done date": "2612061201",
        "stat": "DELIVRD",
        "err": "000",
        "text": "Hello there",
    }


def test_receipt_ids_are_normalised_to_the_submit_form():
    """An SMSC that answers hex and reports decimal (or the reverse) is matched with dlr_id_format."""
    assert smpp.normalise_message_id("4097", "dec_to_hex") == "1001"
    assert smpp.normalise_message_id("1001", "hex_to_dec") == "4097"
    assert smpp.normalise_message_id("abc", "dec_to_hex") == "abc"
