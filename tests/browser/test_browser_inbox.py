"""The agent inbox in a real browser over a real ASGI server: a signed inbound SMS from the Twilio stand-in appears
without a reload (Django Channels), and a reply from the composer reaches the stand-in."""

from __future__ import annotations

import pytest
from asgi_server import asgi_live_server
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from trunkline.channels.services import channel_create
from trunkline.channels.standins.twilio import TwilioStandIn
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db(transaction=True)
expect.set_options(timeout=20_000)  # a loaded CI machine: the live path may take seconds
SENDER = "+359700100200"


@pytest.fixture
def asgi_url(page):
    with asgi_live_server() as url:
        yield url


@pytest.fixture
def standin():
    server = TwilioStandIn().start()
    yield server
    server.stop()


def poll(predicate, seconds: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.browser
@pytest.mark.postgres_only(
    reason="The ASGI server's per-request threads would share SQLite's one in-memory test connection (racy); "
    "CI runs this test on PostgreSQL."
)
def test_an_inbound_sms_appears_live_and_a_reply_reaches_the_provider(page: Page, asgi_url, standin):
    """A signed inbound SMS shows in the open inbox without a reload; the composer counts segments; the reply goes."""
    settings.PUBLIC_URL = asgi_url
    admin = member(kind="customer", role="admin", accepted_terms=True)
    channel = channel_create(
        ctx=ctx_for(admin),
        name="Clinic SMS",
        provider="twilio",
        sender=SENDER,
        account_id=standin.account_sid,
        credentials={"auth_token": standin.auth_token},
        api_base_url=standin.base_url,
        identification_name="Sofia Dental",
        identification_contact="+359 2 123 4567",
    )
    client = Client()
    client.force_login(admin.user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": asgi_url,
            }
        ]
    )
    page.goto(f"{asgi_url}/app/inbox/")
    expect(page.locator("#inbox-live")).to_have_attribute("data-state", "live")
    page.evaluate("window.__same_document = true")

    hook = f"{asgi_url}/hooks/twilio/{channel.public_id}/"
    assert standin.send_inbound(hook, sender="+359888123456", to=SENDER, body="Здравейте, имам ли час утре?") == 200
    item = page.locator(".conversation-item", has_text="Здравейте, имам ли час утре?")
    expect(item).to_be_visible()
    assert page.evaluate("window.__same_document") is True  # no reload

    item.click()
    expect(page.locator(".bubble-inbound .bubble-body")).to_have_text("Здравейте, имам ли час утре?")
    expect(page.locator("#inbox-live")).to_have_attribute("data-state", "live")
    page.locator("#composer-body").fill("Да, в 10:00. Очакваме ви!")
    expect(page.locator("#segment-counter")).to_contain_text("UCS-2 · 1 segment")
    page.locator("#composer-body").fill("a" * 161)
    expect(page.locator("#segment-counter")).to_contain_text("GSM-7 · 2 segments")
    page.locator("#composer-body").fill("Да, в 10:00. Очакваме ви!")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".bubble-outbound .bubble-body")).to_have_text("Да, в 10:00. Очакваме ви!")
    assert poll(lambda: [sent["body"] for sent in standin.accepted] == ["Да, в 10:00. Очакваме ви!"])

    page.evaluate("window.__same_document = true")
    assert standin.send_inbound(hook, sender="+359888123456", to=SENDER, body="Благодаря!") == 200
    expect(page.locator(".bubble-inbound .bubble-body").last).to_have_text("Благодаря!")
    assert page.evaluate("window.__same_document") is True

    bad = standin.send_inbound(hook, sender="+359888123456", to=SENDER, body="forged", signed="AAAA")
    assert bad == 403
    page.goto("about:blank")  # no refresh may still be running when the server and the database go away
