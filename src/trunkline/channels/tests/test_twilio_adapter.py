"""The Twilio adapter against the local stand-in, which speaks Twilio's wire protocol (auth, errors, signatures)."""

from __future__ import annotations

import pytest

from trunkline.channels.adapters.base import Outbound, SendError, WebhookRequest
from trunkline.channels.adapters.twilio import TwilioAdapter, signature
from trunkline.channels.standins.twilio import Chaos, TwilioStandIn


@pytest.fixture
def standin():
    server = TwilioStandIn().start()
    yield server
    server.stop()


def adapter_of(standin: TwilioStandIn, token: str | None = None) -> TwilioAdapter:
    return TwilioAdapter(
        account_sid=standin.account_sid, auth_token=token or standin.auth_token, base_url=standin.base_url
    )


def outbound(key: str = "k1", body: str = "Hello") -> Outbound:
    return Outbound(to="+359888123456", body=body, sender="+359700100200", idempotency_key=key)


def test_signature_matches_twilios_published_test_vector():
    """X-Twilio-Signature over URL + sorted name/value pairs, as in twilio-python's own test."""
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+14158675309"],
        "Digits": ["1234"],
        "From": ["+14158675309"],
        "To": ["+18005551212"],
    }
    assert signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_verify_accepts_the_url_with_or_without_the_default_port():
    """Twilio signs https://host/... or https://host:443/...; both verify, a wrong token does not."""
    adapter = TwilioAdapter(account_sid="AC1", auth_token="12345")
    form = {"Body": ["hi"]}
    signed = signature("12345", "https://example.com:443/hooks/x/", form)
    request = WebhookRequest(urls=("https://example.com/hooks/x/",), headers={"x-twilio-signature": signed}, form=form)
    assert adapter.verify(request)
    assert not TwilioAdapter(account_sid="AC1", auth_token="other").verify(request)
    assert not adapter.verify(WebhookRequest(urls=request.urls, headers={}, form=form))


def test_send_creates_a_message_with_basic_auth(standin):
    """A send answers the provider's SM… id and status; the stand-in saw exactly one message."""
    result = adapter_of(standin).send(outbound(body="€" * 81))
    assert result.provider_message_id.startswith("SM")
    assert len(result.provider_message_id) == 34
    assert result.status == "queued"
    assert result.segments == 2
    assert [message["to"] for message in standin.accepted] == ["+359888123456"]


def test_a_wrong_auth_token_is_a_terminal_error(standin):
    """Twilio's 20003 Authenticate error is not retried."""
    with pytest.raises(SendError) as error:
        adapter_of(standin, token="wrong").send(outbound())
    assert (error.value.code, error.value.retryable) == ("20003", False)
    assert standin.accepted == []


def test_429_is_retryable_with_retry_after(standin):
    """Too many requests: retry, after the seconds the provider asked for."""
    standin.chaos = Chaos(throttle_rate=1.0, retry_after_seconds=7)
    with pytest.raises(SendError) as error:
        adapter_of(standin).send(outbound())
    assert (error.value.code, error.value.retryable, error.value.retry_after) == ("20429", True, 7.0)


def test_5xx_is_retryable_and_the_same_key_never_sends_twice(standin):
    """The answer is lost after the stand-in accepted; the retry with the same key returns the same message."""
    standin.chaos = Chaos(lose_answer_rate=1.0)
    with pytest.raises(SendError) as error:
        adapter_of(standin).send(outbound(key="same"))
    assert (error.value.retryable, error.value.ambiguous) == (True, True)
    standin.chaos = Chaos()
    result = adapter_of(standin).send(outbound(key="same"))
    assert result.provider_message_id == standin.accepted[0]["sid"]
    assert len(standin.accepted) == 1


def test_an_unreachable_provider_is_retryable():
    """Connection refused never reached the provider: retry."""
    adapter = TwilioAdapter(account_sid="AC1", auth_token="t", base_url="http://127.0.0.1:9")
    with pytest.raises(SendError) as error:
        adapter.send(outbound())
    assert (error.value.code, error.value.retryable, error.value.ambiguous) == ("connect", True, False)
