"""The agent inbox pages: list, conversation, reply and note through the forms, another tenant's conversation 404."""

from __future__ import annotations

import pytest
from django.test import Client

from trunkline.inbox.models import Message
from trunkline.testing.factories import member


@pytest.fixture
def conversation(inbound):
    inbound("Здравейте")
    return Message.objects.get().conversation


@pytest.fixture
def agent_client(admin) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client


def test_the_inbox_lists_the_conversation(agent_client, conversation):
    """The inbox shows the conversation with its preview and a live-update socket token."""
    response = agent_client.get("/app/inbox/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Здравейте" in html
    assert 'data-socket-token="' in html


def test_the_conversation_page_shows_messages_consent_and_composer(agent_client, conversation):
    """The conversation view has the thread, the contact panel and the composer with its segment counter."""
    response = agent_client.get(f"/app/inbox/c/{conversation.public_id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="composer-body"' in html
    assert 'id="segment-counter"' in html
    assert "No consent recorded; not opted out." in html


def test_reply_and_note_from_the_composer(agent_client, conversation, standin, django_capture_on_commit_callbacks):
    """A reply reaches the provider; a note is stored and never sent."""
    url = f"/app/inbox/c/{conversation.public_id}/reply/"
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"body": "Утре в 10:00", "mode": "reply"}, HTTP_HX_REQUEST="true")
        response = agent_client.post(url, {"body": "Called her", "mode": "note"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [sent["body"] for sent in standin.accepted] == ["Утре в 10:00"]
    assert list(Message.objects.filter(direction="outbound").values_list("kind", "body")) == [
        ("message", "Утре в 10:00"),
        ("note", "Called her"),
    ]


def test_a_refused_reply_shows_the_error_and_keeps_the_draft(agent_client, conversation):
    """A promotional reply without identification answers 422 with the message and the draft kept."""
    conversation.channel.identification_name = ""
    conversation.channel.save()
    response = agent_client.post(
        f"/app/inbox/c/{conversation.public_id}/reply/",
        {"body": "Sale!", "mode": "reply", "promotional": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "must carry your identification" in response.content.decode()
    assert "Sale!</textarea>" in response.content.decode()


@pytest.mark.rule("PT-22")
def test_another_organisations_conversation_is_404(conversation):
    """An agent of another organisation gets 404 for this conversation's pages."""
    stranger = member(kind="customer", role="admin", accepted_terms=True)
    client = Client()
    client.force_login(stranger.user)
    assert client.get(f"/app/inbox/c/{conversation.public_id}/").status_code == 404
    assert client.get(f"/app/inbox/c/{conversation.public_id}/thread/").status_code == 404
    assert client.post(f"/app/inbox/c/{conversation.public_id}/reply/", {"body": "x"}).status_code == 404


def test_campaign_pages_create_preview_start_and_report(agent_client, channel):
    """Create a campaign from a CSV, see the preview with cost, start it; the report shows per-recipient status."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from trunkline.inbox.models import Campaign
    from trunkline.inbox.services.campaigns import campaign_tick

    upload = SimpleUploadedFile("patients.csv", b"phone,name\n+359880000001,Ana\nbad,Bob\n", content_type="text/csv")
    response = agent_client.post(
        "/app/campaigns/",
        {
            "name": "Spring",
            "channel": str(channel.public_id),
            "csv_file": upload,
            "body": "20% off",
            "is_promotional": "on",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    page = agent_client.get(response["Location"]).content.decode()
    assert "Row 3: bad is not a valid phone number." in page
    assert "0.05 EUR" in page
    agent_client.post(f"/app/campaigns/{campaign.public_id}/start/")
    campaign_tick(campaign_id=campaign.pk)
    report = agent_client.get(f"/app/campaigns/{campaign.public_id}/progress/").content.decode()
    assert 'value="100"' in report
    assert "+359880000001" in report
