"""Fixtures of the inbox tests: a Twilio stand-in on a free port, an SMS channel that talks to it, and webhooks
delivered through Django's test client exactly as the stand-in signs them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import Client

from trunkline.channels.models import Channel
from trunkline.channels.services import channel_create
from trunkline.channels.standins.smpp import SmppStandIn
from trunkline.channels.standins.twilio import TwilioStandIn
from trunkline.tenancy.models import Membership
from trunkline.testing.factories import ctx_for, member

SENDER = "+359700100200"
CUSTOMER = "+359888123456"


@pytest.fixture
def standin():
    server = TwilioStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def admin(db) -> Membership:
    return member(kind="customer", role="admin", accepted_terms=True)


@pytest.fixture
def channel(admin: Membership, standin: TwilioStandIn, settings) -> Channel:
    settings.PUBLIC_URL = "http://testserver"
    return channel_create(
        ctx=ctx_for(admin),
        name="SMS",
        provider="twilio",
        sender=SENDER,
        account_id=standin.account_sid,
        credentials={"auth_token": standin.auth_token},
        api_base_url=standin.base_url,
        identification_name="Sofia Dental",
        identification_contact="+359 2 123 4567",
        retry_base_seconds=30,
        max_attempts=4,
        segment_price=Decimal("0.05"),
    )


def via_client(client: Client) -> Callable[[str, dict[str, str], str], int]:
    """Deliver a stand-in webhook through Django's test client (same URL, same form, same signature)."""

    def transport(url: str, params: dict[str, str], signed: str) -> int:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signed).status_code

    return transport


def hook_url(channel: Channel, kind: str = "") -> str:
    return f"http://testserver/hooks/twilio/{channel.public_id}/" + (f"{kind}/" if kind else "")


@pytest.fixture
def inbound(standin: TwilioStandIn, channel: Channel, django_capture_on_commit_callbacks):
    """Send a signed inbound SMS to the channel's webhook; answers the HTTP status."""
    client = Client()

    def send(body: str, *, sender: str = CUSTOMER, sid: str = "", signature: str = "") -> int:
        params = standin.inbound(sender=sender, to=SENDER, body=body, sid=sid)
        url = hook_url(channel)
        with django_capture_on_commit_callbacks(execute=True):
            return via_client(client)(url, params, signature or standin.sign(url, params))

    return send


@pytest.fixture
def flush(standin: TwilioStandIn, django_capture_on_commit_callbacks):
    """Deliver the stand-in's queued status callbacks to us (order, duplicates as asked)."""
    client = Client()

    def run(**options) -> list[int]:
        with django_capture_on_commit_callbacks(execute=True):
            return standin.flush_callbacks(transport=via_client(client), **options)

    return run


@pytest.fixture
def smsc():
    """The SMPP stand-in SMSC on a free port."""
    server = SmppStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def smpp_channel(admin, smsc) -> Channel:
    """An SMPP channel bound to the stand-in (3 attempts, retries from 30 s)."""
    return channel_create(
        ctx=ctx_for(admin),
        name="SMSC",
        provider="smpp",
        sender=SENDER,
        account_id="trunkline",
        credentials={"password": "standin8"},
        settings={"host": "127.0.0.1", "port": smsc.port, "response_timeout_seconds": 5},
        identification_name="Sofia Dental",
        identification_contact="+359 2 123 4567",
        max_attempts=3,
        retry_base_seconds=30,
    )
