"""The SMPP adapter and session against the local stand-in SMSC, which speaks SMPP 3.4 on a real socket."""

from __future__ import annotations

import threading

import pytest

from trunkline.channels.adapters.base import Outbound, SendError
from trunkline.channels.adapters.smpp import SmppAdapter, deliver_payload, parse_event
from trunkline.channels.domain import smpp
from trunkline.channels.smpp_session import SmppSession
from trunkline.channels.standins.smpp import Chaos, SmppStandIn

PASSWORD = "standin8"


@pytest.fixture
def smsc():
    server = SmppStandIn().start()
    yield server
    server.stop()


def adapter_of(smsc: SmppStandIn, password: str = PASSWORD) -> SmppAdapter:
    return SmppAdapter(host="127.0.0.1", port=smsc.port, system_id="trunkline", password=password, timeout=5)


def outbound(body: str = "Hello", key: str = "k1", sender: str = "+359700100200") -> Outbound:
    return Outbound(to="+359888123456", body=body, sender=sender, idempotency_key=key)


class Events(list):
    def __call__(self, kind: str, key: str, payload: dict) -> bool:
        self.append((kind, key, payload))
        return True


def session_of(smsc: SmppStandIn, store: Events, **options) -> SmppSession:
    return SmppSession(
        host="127.0.0.1", port=smsc.port, system_id="trunkline", password=PASSWORD, store=store, timeout=5, **options
    )


def poll_until(session: SmppSession, condition, rounds: int = 50) -> None:
    for _ in range(rounds):
        if condition():
            return
        session.poll(0.2)
    assert condition()


def test_a_long_message_is_submitted_in_parts_the_handset_joins(smsc):
    """Three submit_sm with our UDH; the stand-in joins them to the text; every part's id comes back, the first part's
    as the provider id."""
    text = "a" * 152 + "€" + "b" * 160
    adapter = adapter_of(smsc)
    result = adapter.send(outbound(text))
    adapter.close()
    assert smsc.texts() == [text]
    assert [item.esm_class for item in smsc.submitted] == [0x40, 0x40, 0x40]
    assert result.segments == 3
    assert result.provider_message_id == smsc.submitted[0].message_id
    assert result.raw["message_ids"] == [item.message_id for item in smsc.submitted]
    assert result.part_ids == tuple(item.message_id for item in smsc.submitted)
    assert (smsc.submitted[0].source, smsc.submitted[0].destination) == ("359700100200", "359888123456")


def test_an_alphanumeric_sender_goes_as_ton_5_and_a_batch_reuses_one_bind(smsc):
    """Two sends on one adapter bind once (the outbox's batch); an alphanumeric sender is sent as is."""
    adapter = adapter_of(smsc)
    adapter.send(outbound("Здравейте 👋", key="a", sender="Clinic"))
    adapter.send(outbound("Hi", key="b", sender="Clinic"))
    adapter.close()
    assert smsc.binds == 1
    assert [item.source for item in smsc.submitted] == ["Clinic", "Clinic"]
    assert smsc.texts() == ["Здравейте 👋", "Hi"]
    assert smsc.submitted[0].data_coding == smpp.DATA_CODING_UCS2


def test_a_wrong_password_is_terminal(smsc):
    """bind answered ESME_RINVPASWD: not retried, the code kept."""
    with pytest.raises(SendError) as error:
        adapter_of(smsc, password="wrong").send(outbound())
    assert (error.value.code, error.value.retryable) == ("ESME_RINVPASWD", False)
    assert smsc.submitted == []


@pytest.mark.parametrize(
    ("chaos", "code"), [(Chaos(throttle_rate=1.0), "ESME_RTHROTTLED"), (Chaos(syserr_rate=1.0), "ESME_RSYSERR")]
)
def test_throttling_and_system_errors_are_retryable(smsc, chaos, code):
    """ESME_RTHROTTLED and ESME_RSYSERR: retry later; nothing was taken, so not ambiguous."""
    smsc.chaos = chaos
    with pytest.raises(SendError) as error:
        adapter_of(smsc).send(outbound())
    assert (error.value.code, error.value.retryable, error.value.ambiguous) == (code, True, False)


def test_an_invalid_destination_is_terminal_with_its_code(smsc):
    """Any other command_status is final, with the status name as the code."""
    with pytest.raises(SendError) as error:
        adapter_of(smsc).send(Outbound(to="", body="x", sender="Clinic", idempotency_key="k"))
    assert (error.value.code, error.value.retryable) == ("ESME_RINVDSTADR", False)


def test_a_drop_after_the_submit_left_is_ambiguous(smsc):
    """The SMSC took the submit_sm and the connection dropped before its answer: retryable but ambiguous."""
    smsc.chaos = Chaos(drop_after_submit=1)
    adapter = adapter_of(smsc)
    with pytest.raises(SendError) as error:
        adapter.send(outbound())
    assert (error.value.code, error.value.retryable, error.value.ambiguous) == ("timeout", True, True)
    assert len(smsc.submitted) == 1
    assert adapter.send(outbound(key="next")).provider_message_id  # binds again
    assert smsc.binds == 2


def test_an_unreachable_smsc_is_retryable_and_not_ambiguous():
    """Connection refused never reached the SMSC."""
    adapter = SmppAdapter(host="127.0.0.1", port=9, system_id="x", password="y")
    with pytest.raises(SendError) as error:
        adapter.send(outbound())
    assert (error.value.code, error.value.retryable, error.value.ambiguous) == ("connect", True, False)


def test_webhooks_are_never_accepted_for_smpp():
    """SMPP events come over our own bind; an HTTP post to /hooks/smpp/... fails verification."""
    from trunkline.channels.adapters.base import WebhookRequest

    adapter = SmppAdapter(host="127.0.0.1", system_id="x", password="y")
    assert not adapter.verify(WebhookRequest(urls=("http://x/",), headers={}, form={}))


def receipt_form(stat: str, *, tlvs: bool = True, err: str = "000", message_id: str = "1a2b") -> dict:
    text = smpp.receipt_text(message_id=message_id, stat=stat, err=err)
    pdu = smpp.Pdu(
        smpp.DELIVER_SM,
        5,
        params={"esm_class": smpp.ESM_DELIVERY_RECEIPT, "data_coding": 0, "short_message": smpp.gsm7_septets(text)},
    )
    if tlvs:
        state = {value: key for key, value in smpp.MESSAGE_STATES.items()}[stat]
        pdu.tlvs = {
            smpp.TLV_RECEIPTED_MESSAGE_ID: message_id.encode() + b"\x00",
            smpp.TLV_MESSAGE_STATE: bytes([state]),
        }
    return deliver_payload(pdu, session="s1")


@pytest.mark.parametrize(
    ("stat", "common"),
    [
        ("DELIVRD", "delivered"),
        ("UNDELIV", "undelivered"),
        ("EXPIRED", "undelivered"),
        ("DELETED", "undelivered"),
        ("REJECTD", "failed"),
        ("ENROUTE", "queued"),
        ("ACCEPTD", "queued"),
        ("UNKNOWN", "unknown"),
    ],
)
@pytest.mark.parametrize("tlvs", [True, False])
def test_receipts_map_to_the_common_vocabulary(stat, common, tlvs):
    """message_state TLV or the text's stat: the same common status; the event key is id + stat."""
    parsed = parse_event(receipt_form(stat, tlvs=tlvs, err="000" if common == "delivered" else "001"))
    assert parsed.kind == "status"
    assert parsed.status is not None
    assert (parsed.status.provider_message_id, parsed.status.status, parsed.status.raw_status) == ("1a2b", common, stat)
    assert parsed.event_key == f"dlr:1a2b:{stat}"
    assert parsed.status.error_code == ("" if common == "delivered" else "001")


def test_a_decimal_receipt_id_matches_a_hex_submit_id():
    """dlr_id_format=dec_to_hex: receipt id 4097 is the message 1001 (text only, no TLV)."""
    parsed = parse_event(receipt_form("DELIVRD", tlvs=False, message_id="4097"), dlr_id_format="dec_to_hex")
    assert parsed.status is not None
    assert parsed.status.provider_message_id == "1001"


def test_the_session_stores_receipts_before_acknowledging_them(smsc):
    """A send, then the receipt arrives on the session's transceiver bind and is stored by id and stat."""
    store = Events()
    session = session_of(smsc, store)
    session.connect()
    adapter = adapter_of(smsc)
    result = adapter.send(outbound())
    adapter.close()
    poll_until(session, lambda: store)
    assert [(kind, key) for kind, key, _payload in store] == [("status", f"dlr:{result.provider_message_id}:DELIVRD")]
    session.close()


def test_a_failed_store_is_answered_with_an_error_and_delivered_again(smsc):
    """The store raised: deliver_sm_resp ESME_RSYSERR, and the SMSC delivers it again (at-least-once)."""
    calls: list[str] = []

    def flaky(kind: str, key: str, payload: dict) -> bool:
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("database away")
        return True

    session = session_of(smsc, flaky)  # type: ignore[arg-type]
    session.connect()
    smsc.send_mo(sender="+359888123456", to="+359700100200", text="Hi")
    poll_until(session, lambda: len(calls) == 1)
    smsc.drop_connections()  # the SMSC retries unacknowledged or refused deliveries on the next bind
    session.client.close()
    session.connect()
    poll_until(session, lambda: len(calls) == 2)
    assert calls[0].startswith("mo:+359888123456:")
    session.close()


def test_the_session_answers_enquire_link_and_sends_its_own(smsc):
    """The SMSC's enquire_link is answered; keepalive sends one after the idle interval (forced here)."""
    session = session_of(smsc, Events(), enquire_link_seconds=5)
    session.connect()
    assert smsc.enquire() == 1
    poll_until(session, lambda: smsc.enquire_link_responses == 1)
    assert session.keepalive(force=True)
    assert not session.keepalive()  # just now: not idle
    session.close()


def test_the_session_reconnects_after_a_drop_and_resumes(smsc):
    """The SMSC drops the connection; run() binds again after its backoff and gets what was queued meanwhile."""
    store = Events()
    session = session_of(smsc, store, reconnect_base_seconds=0.05, reconnect_max_seconds=0.1)
    stop = threading.Event()
    thread = threading.Thread(target=session.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert smsc.wait_for(lambda: smsc.bound_sessions() == 1)
        smsc.drop_connections()
        smsc.send_mo(sender="+359888123456", to="+359700100200", text="after the drop")
        assert smsc.wait_for(lambda: session.connects >= 2 and len(store) == 1)
        assert parse_event(store[0][2]).message.body == "after the drop"  # type: ignore[union-attr]
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_a_refused_bind_backs_off_exponentially(smsc):
    """A wrong password on the session: the waits double up to the maximum."""
    session = SmppSession(
        host="127.0.0.1",
        port=smsc.port,
        system_id="trunkline",
        password="wrong",
        store=Events(),
        reconnect_base_seconds=1,
        reconnect_max_seconds=5,
    )
    waits = []
    for _ in range(5):
        with pytest.raises(Exception, match="ESME_RINVPASWD"):
            session.connect()
        session.failures += 1
        waits.append(session.backoff_seconds())
    assert waits == [1, 2, 4, 5, 5]


def test_a_concatenated_mo_message_parses_as_parts_of_one_group(smsc):
    """A handset's long message arrives as UDH parts: same group, numbered 1..n, texts joining to the whole."""
    store = Events()
    session = session_of(smsc, store)
    session.connect()
    text = "Искам да преместя часа си за петък сутринта, ако е възможно. Благодаря! " * 2
    sent = smsc.send_mo(sender="+359888123456", to="+359700100200", text=text)
    poll_until(session, lambda: len(store) == sent)
    messages = [parse_event(payload).message for _kind, _key, payload in store]
    assert sent == 3
    assert {message.part[0] for message in messages} == {messages[0].part[0]}  # type: ignore[union-attr,index]
    assert "".join(message.body for message in messages) == text  # type: ignore[union-attr]
    assert messages[0].sender == "+359888123456"  # type: ignore[union-attr]
    session.close()


def test_a_transceiver_send_bind_stores_what_the_smsc_delivers_to_it(smsc):
    """send_bind=transceiver and no session bound: the receipt arrives on the sending bind and is stored, not lost."""
    store = Events()
    adapter = SmppAdapter(
        host="127.0.0.1",
        port=smsc.port,
        system_id="trunkline",
        password=PASSWORD,
        bind_mode="transceiver",
        store=store,
    )
    first = adapter.send(outbound(key="a"))
    adapter.send(outbound(key="b"))  # the receipt of the first arrives while this one waits for its answer
    adapter.close()
    assert ("status", f"dlr:{first.provider_message_id}:DELIVRD") in [(kind, key) for kind, key, _p in store]


def test_the_stand_alone_stand_in_takes_commands(smsc):
    """The stdin commands of ``python -m trunkline.channels.standins.smpp``."""
    from trunkline.channels.standins.smpp import control

    assert control(smsc, "throttle 0.5\n") == "ok"
    assert smsc.chaos.throttle_rate == 0.5
    assert control(smsc, "hold") == "hold receipts: True"
    assert control(smsc, "receipts reversed dup") == "flushed 0"
    assert control(smsc, "mo +359888123456 +359700100200 Hello there\n") == "sent 1 deliver_sm"
    assert control(smsc, "nonsense").startswith("commands:")
