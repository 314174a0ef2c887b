"""The SMTP relay stand-in the demo's email channel sends through: the email adapter's real SMTP conversation with
it, its Postfix-shaped answer, and the message kept as sent."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.utils import make_msgid

from trunkline.channels.adapters.base import Outbound
from trunkline.channels.adapters.email import EmailAdapter
from trunkline.channels.standins.smtp import RelayStandIn


def test_the_adapter_sends_through_the_stand_in_and_the_message_is_kept(tmp_path):
    relay = RelayStandIn(folder=tmp_path)
    port = relay.start()
    try:
        mime = EmailMessage()
        mime["From"] = "Sofia Dental <info@sofiadental.example>"
        mime["To"] = "maria@example.test"
        mime["Subject"] = "Re: Час за преглед"
        mime["Message-ID"] = message_id = make_msgid(domain="sofiadental.example")
        mime.set_content("Записах ви за сряда, 9:30.\n")
        adapter = EmailAdapter(
            host="127.0.0.1", port=port, security="none", envelope_sender="info@sofiadental.example", timeout=5
        )
        result = adapter.send(
            Outbound(
                to="maria@example.test",
                body="",
                sender="info@sofiadental.example",
                idempotency_key="k",
                mime=mime.as_bytes(),
            )
        )
    finally:
        relay.stop()
    (accepted,) = relay.accepted
    assert accepted.rcpt_to == ("maria@example.test",)
    assert accepted.mail_from == "info@sofiadental.example"
    assert result.provider_message_id == message_id.strip("<>")
    assert accepted.queue_id in str(result.raw)
    (kept,) = tmp_path.glob("*.eml")
    assert message_from_bytes(kept.read_bytes())["Message-ID"] == message_id
