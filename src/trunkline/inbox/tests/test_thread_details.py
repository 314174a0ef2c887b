"""MMS media on inbound messages, delivery statuses in the reader's language, and the campaign page that stops
asking for progress once nothing can change."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from trunkline.core import clock
from trunkline.inbox.models import CampaignRecipient, Message
from trunkline.inbox.services.campaigns import campaign_cancel, campaign_start
from trunkline.inbox.services.messages import conversation_reply
from trunkline.inbox.tests.conftest import CUSTOMER, SENDER, hook_url, via_client
from trunkline.inbox.tests.test_campaigns import audience, new_campaign
from trunkline.testing.factories import ctx_for, member


@pytest.fixture
def mms(standin, channel, django_capture_on_commit_callbacks):
    """Deliver a signed inbound MMS in Twilio's wire format (NumMedia, MediaUrlN, MediaContentTypeN)."""

    def send(body: str, media: tuple[str, ...]) -> dict[str, str]:
        params = standin.inbound(sender=CUSTOMER, to=SENDER, body=body, media=media)
        url = hook_url(channel)
        with django_capture_on_commit_callbacks(execute=True):
            assert via_client(Client())(url, params, standin.sign(url, params)) == 200
        return params

    return send


def test_an_inbound_mms_keeps_its_media_as_attachments_and_the_thread_shows_them(admin, mms):
    """Each media item is recorded with its address and type; images show as thumbnails, the rest as links."""
    params = mms("Снимка на зъба", ("image/jpeg", "application/pdf"))
    message = Message.objects.get()
    assert message.attachments == [
        {"url": params["MediaUrl0"], "content_type": "image/jpeg"},
        {"url": params["MediaUrl1"], "content_type": "application/pdf"},
    ]
    assert message.provider_message_id.startswith("MM")
    client = Client()
    client.force_login(admin.user)
    response = client.get(f"/app/inbox/c/{message.conversation.public_id}/")
    html = response.content.decode()
    assert f'<img class="attachment-thumb" src="{params["MediaUrl0"]}"' in html
    assert f'href="{params["MediaUrl1"]}"' in html
    assert "Attachment 2 (application/pdf)" in html
    assert "https:" in response["Content-Security-Policy"].split("img-src")[1].split(";")[0]


def test_media_that_is_not_an_http_address_is_dropped(standin, channel, mms):
    """A media URL that is not http(s) never becomes a link (a signed payload is still not trusted with script)."""
    params = standin.inbound(sender=CUSTOMER, to=SENDER, body="x", media=("image/png",))
    params["MediaUrl0"] = "javascript:alert(1)"
    url = hook_url(channel)
    assert via_client(Client())(url, params, standin.sign(url, params)) == 200
    from trunkline.channels.models import InboundEvent
    from trunkline.inbox.services.messages import inbound_event_process

    inbound_event_process(event_id=InboundEvent.objects.get().pk)
    assert Message.objects.get().attachments == []


def test_delivery_statuses_are_shown_in_the_readers_language(channel, inbound, django_capture_on_commit_callbacks):
    """The thread says "Изпратено"/"Доставено", not the vocabulary's code words, to a Bulgarian agent."""
    inbound("Здравейте")
    conversation = Message.objects.get().conversation
    person = member(role="admin", language="bg", accepted_terms=True, organization=channel.organization)
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation_reply(ctx=ctx_for(person), conversation_id=conversation.public_id, body="Добре")
    Message.objects.filter(pk=reply.pk).update(status="delivered")
    client = Client()
    client.force_login(person.user)
    html = client.get(f"/app/inbox/c/{conversation.public_id}/").content.decode()
    assert 'data-status="delivered">Доставено</span>' in html


def test_campaign_recipients_statuses_are_translated(admin, channel):
    """The recipients table of a campaign names each status in the reader's language."""
    person = member(role="admin", language="bg", accepted_terms=True, organization=channel.organization)
    campaign = new_campaign(admin, channel, audience(admin, 1), is_promotional=False)
    campaign_start(ctx=ctx_for(admin), campaign_id=campaign.public_id, at=clock.now())
    client = Client()
    client.force_login(person.user)
    html = client.get(f"/app/campaigns/{campaign.public_id}/").content.decode()
    recipient = CampaignRecipient.objects.get()
    with translation.override("bg"):
        label = str(recipient.get_status_display())
    with translation.override("en"):
        assert label != str(recipient.get_status_display())
    assert f"<td>{recipient.phone}</td><td>{label}</td>" in html


def test_the_campaign_page_stops_polling_once_the_campaign_is_over(admin, admin_client_for_campaigns, channel):
    """While running the progress partial carries its polling trigger; once cancelled the partial comes back
    without it, so the page stops asking."""
    campaign = new_campaign(admin, channel, audience(admin, 3), is_promotional=False)
    campaign_start(ctx=ctx_for(admin), campaign_id=campaign.public_id, at=clock.now())
    url = f"/app/campaigns/{campaign.public_id}/progress/"
    running = admin_client_for_campaigns.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in running
    assert 'hx-swap="outerHTML"' in running
    campaign_cancel(ctx=ctx_for(admin), campaign_id=campaign.public_id)
    over = admin_client_for_campaigns.get(url).content.decode()
    assert over.startswith('<div id="campaign-progress"')
    assert "hx-trigger" not in over
    assert "hx-trigger" not in admin_client_for_campaigns.get(f"/app/campaigns/{campaign.public_id}/").content.decode()


@pytest.fixture
def admin_client_for_campaigns(admin) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client
