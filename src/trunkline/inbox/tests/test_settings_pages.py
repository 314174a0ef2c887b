"""The messaging settings pages of a customer admin: channels, canned replies, webhooks, contacts; every write through
its service, secrets never shown back, another organisation's objects a 404 (PT-22)."""

from __future__ import annotations

import pytest
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.channels import providers
from trunkline.channels.models import Channel
from trunkline.core import clock
from trunkline.inbox.models import CannedReply, Consent, Contact, ContactList, WebhookDelivery, WebhookEndpoint
from trunkline.inbox.services.campaigns import contact_list_create
from trunkline.inbox.services.canned import canned_reply_create
from trunkline.inbox.services.contacts import consent_grant, consent_opt_out, contact_for_phone
from trunkline.inbox.testing import inbox_object
from trunkline.testing.factories import ctx_for, member

TOKEN = "s3cr3t-auth-token-value"


@pytest.fixture
def admin_client(admin) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client


def connect_form(**overrides) -> dict[str, str]:
    form = {
        "provider": "twilio",
        "name": "Reception SMS",
        "sender": "+359700100300",
        "account_id": "AC" + "1" * 32,
        "auth_token": TOKEN,
        "api_base_url": "",
        "identification_name": "Sofia Dental",
        "identification_contact": "+359 2 123 4567",
        "append_identification": "on",
        "rate_per_second": "5",
        "segment_price": "0.05",
        "expected_daily_segments": "",
        "throttled_rate_per_second": "1",
    }
    form.update(overrides)
    return form


def test_connect_a_twilio_channel_from_its_description(admin, admin_client):
    """The form has Twilio's own fields; connecting stores the token encrypted and the page never shows it again."""
    form_page = admin_client.get("/app/channels/new/?provider=twilio").content.decode()
    assert 'name="account_id"' in form_page
    assert 'name="auth_token"' in form_page
    response = admin_client.post("/app/channels/new/", connect_form())
    channel = Channel.objects.get(name="Reception SMS")
    assert response.status_code == 302
    assert response["Location"] == f"/app/channels/{channel.public_id}/"
    assert channel.credentials == {"auth_token": TOKEN}
    assert channel.expected_daily_segments is None
    edit_page = admin_client.get(response["Location"]).content.decode()
    assert TOKEN not in edit_page
    assert channel.account_id in edit_page
    assert f"/hooks/twilio/{channel.public_id}/" in edit_page
    listing = admin_client.get("/app/channels/").content.decode()
    assert "Reception SMS" in listing
    assert "Active" in listing


def test_the_service_field_errors_are_shown_and_nothing_is_stored(admin_client):
    """A missing token and a bad sender rate answer 422 with the field's error; no channel is made."""
    response = admin_client.post("/app/channels/new/", connect_form(auth_token="", rate_per_second="0"))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_auth_token_error"' in html
    assert 'id="id_rate_per_second_error"' in html
    assert not Channel.objects.exists()


def test_only_connectable_providers_are_offered(admin_client, monkeypatch):
    """The providers with an adapter (SUPPORTED_PROVIDERS) are offered, each with its own fields from its
    description; one without an adapter is not, even by a crafted URL."""
    choice = admin_client.get("/app/channels/new/").content.decode()
    assert 'value="twilio"' in choice
    assert 'value="smpp"' in choice
    assert 'value="smtp"' in choice
    smpp = admin_client.get("/app/channels/new/?provider=smpp").content.decode()
    assert 'name="host"' in smpp
    assert 'name="port"' in smpp
    assert 'type="password" name="password"' in smpp
    email = admin_client.get("/app/channels/new/?provider=smtp").content.decode()
    assert 'name="smtp_host"' in email
    assert 'name="dkim_private_key"' in email
    monkeypatch.setattr(providers, "SUPPORTED_PROVIDERS", frozenset({"twilio"}))
    refused = admin_client.get("/app/channels/new/?provider=smpp").content.decode()
    assert 'name="host"' not in refused
    assert 'value="smpp"' not in refused


def test_an_email_channel_form_leaves_out_the_sms_only_fields(admin_client):
    """Identification, price per segment and expected segments are SMS matters: the email form has none of them (an
    SMS form has all); an email channel connects and saves without them, and a stored value stays as it was."""
    sms = admin_client.get("/app/channels/new/?provider=twilio").content.decode()
    email = admin_client.get("/app/channels/new/?provider=smtp").content.decode()
    for name in providers.SMS_ONLY_FIELDS:
        assert f'name="{name}"' in sms
        assert f'name="{name}"' not in email
    assert 'name="rate_per_second"' in email
    assert "Sender identification" not in email
    form = {
        "provider": "smtp",
        "name": "Support",
        "sender": "support@sofiadental.test",
        "smtp_host": "smtp.sofiadental.test",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "rate_per_second": "5",
        "throttled_rate_per_second": "1",
    }
    response = admin_client.post("/app/channels/new/", form)
    assert response.status_code == 302, response.content.decode()
    channel = Channel.objects.get(name="Support")
    assert (channel.kind, channel.identification_name, channel.segment_price) == ("email", "", 0)
    Channel.objects.filter(pk=channel.pk).update(expected_daily_segments=900, identification_name="Kept")
    edit = admin_client.post(f"/app/channels/{channel.public_id}/", {**form, "name": "Support desk"})
    assert edit.status_code == 302, edit.content.decode()
    channel.refresh_from_db()
    assert (channel.name, channel.expected_daily_segments, channel.identification_name) == ("Support desk", 900, "Kept")


def test_an_smpp_channel_shows_the_services_errors_on_its_fields(admin_client):
    """The SMPP settings are checked by channel_create; its errors (settings.*, credentials.*) land on the fields."""
    form = connect_form(
        provider="smpp", host="smsc.example", port="2775", account_id="sofiadental", password="far-too-long"
    )
    form.pop("auth_token")
    response = admin_client.post("/app/channels/new/", form)
    assert response.status_code == 422
    assert 'id="id_password_error"' in response.content.decode()
    assert not Channel.objects.exists()
    form["password"] = "s3cret"
    response = admin_client.post("/app/channels/new/", form)
    channel = Channel.objects.get()
    assert response.status_code == 302
    assert (channel.provider, channel.kind, channel.settings["host"], channel.credentials) == (
        "smpp",
        "sms",
        "smsc.example",
        {"password": "s3cret"},
    )


def test_edit_keeps_the_token_when_left_empty_and_rotates_it_when_given(admin, admin_client, channel):
    """An empty secret field keeps the stored token; a new one replaces it; the audit names the field, not the value."""
    url = f"/app/channels/{channel.public_id}/"
    stored = channel.credentials
    form = connect_form(name="Renamed", auth_token="", account_id=channel.account_id, rate_per_second="7")
    form["api_base_url"] = channel.api_base_url
    assert admin_client.post(url, form).status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.rate_per_second, channel.credentials) == ("Renamed", 7, stored)
    form["auth_token"] = "rotated"
    admin_client.post(url, form)
    channel.refresh_from_db()
    assert channel.credentials == {"auth_token": "rotated"}
    event = AuditEvent.objects.filter(action="channel.updated").order_by("-id")[0]
    assert event.changes["credentials"] == ["auth_token"]
    assert "rotated" not in str(event.changes)


def test_disable_and_enable_a_channel(admin_client, channel):
    """Disabling stops the channel (its webhook answers 404); enabling brings it back."""
    admin_client.post(f"/app/channels/{channel.public_id}/disable/")
    channel.refresh_from_db()
    assert channel.status == "disabled"
    assert Client().post(f"/hooks/twilio/{channel.public_id}/", {"Body": "x"}).status_code == 404
    admin_client.post(f"/app/channels/{channel.public_id}/enable/")
    channel.refresh_from_db()
    assert channel.status == "active"


def test_an_agent_cannot_open_the_channel_settings(admin, channel):
    """Channels need channels:manage: an agent is refused with 403."""
    agent = member(kind="customer", role="agent", accepted_terms=True, organization=admin.organization)
    client = Client()
    client.force_login(agent.user)
    assert client.get("/app/channels/").status_code == 403
    assert client.get(f"/app/channels/{channel.public_id}/").status_code == 403


def test_canned_replies_create_edit_delete(admin, admin_client):
    """A canned reply is created, edited and deleted through the pages; a taken shortcut is a field error."""
    admin_client.post("/app/channels/canned-replies/", {"shortcut": "hours", "body": "We open at 9."})
    reply = CannedReply.objects.get()
    taken = admin_client.post("/app/channels/canned-replies/", {"shortcut": "hours", "body": "Again"})
    assert taken.status_code == 422
    assert "/hours is taken already." in taken.content.decode()
    admin_client.post(f"/app/channels/canned-replies/{reply.public_id}/", {"shortcut": "hours", "body": "From 8."})
    reply.refresh_from_db()
    assert reply.body == "From 8."
    admin_client.post(f"/app/channels/canned-replies/{reply.public_id}/delete/")
    assert not CannedReply.objects.exists()
    assert list(
        AuditEvent.objects.filter(action__startswith="canned_reply.").order_by("id").values_list("action", flat=True)
    ) == [
        "canned_reply.created",
        "canned_reply.updated",
        "canned_reply.deleted",
    ]


def test_a_webhook_shows_its_secret_once_and_its_delivery_log(admin, admin_client):
    """Creating shows the signing secret once; the log shows status, attempts, response code, next retry; disabling
    stops pending retries."""
    response = admin_client.post(
        "/app/channels/webhooks/", {"url": "https://crm.example/hooks", "events": ["message.created"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    html = response.content.decode()
    assert 'id="created-secret"' in html
    assert "whsec_" in html
    assert "whsec_" not in admin_client.get("/app/channels/webhooks/").content.decode()
    WebhookDelivery.objects.create(
        organization=admin.organization,
        endpoint=endpoint,
        event="message.created",
        payload={},
        attempts=2,
        last_status_code=503,
        next_attempt_at=clock.now(),
    )
    log = admin_client.get(f"/app/channels/webhooks/{endpoint.public_id}/").content.decode()
    assert "HTTP 503" in log
    assert "Retrying" in log
    assert "<td>2</td>" in log
    admin_client.post(f"/app/channels/webhooks/{endpoint.public_id}/disable/")
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert WebhookDelivery.objects.get().state == "failed"


def test_contacts_search_and_the_contact_page(admin, admin_client, channel):
    """The list finds a contact by name; its page shows identities, consent per channel with source and time,
    edits name and labels, and adds it to a list."""
    contact = contact_for_phone(organization=admin.organization, phone="+359888555111", name="Мария Петрова")
    contact_for_phone(organization=admin.organization, phone="+359888555222", name="Other")
    consent_grant(ctx=ctx_for(admin), contact_id=contact.public_id, channel_id=channel.public_id, source="Paper form")
    consent_opt_out(contact=contact, channel=channel, source="sms:SM1:STOP")
    listing = admin_client.get("/app/contacts/?q=Мария").content.decode()
    assert "Мария Петрова" in listing
    assert "Other" not in listing
    page = admin_client.get(f"/app/contacts/{contact.public_id}/").content.decode()
    assert "+359888555111" in page
    assert "Paper form" in page
    assert "sms:SM1:STOP" in page
    assert "Opted out" in page
    admin_client.post(f"/app/contacts/{contact.public_id}/", {"name": "Мария П.", "labels": "vip, patient, vip"})
    contact.refresh_from_db()
    assert (contact.name, contact.labels) == ("Мария П.", ["patient", "vip"])
    contact_list = contact_list_create(ctx=ctx_for(admin), name="Spring")
    admin_client.post(f"/app/contacts/{contact.public_id}/lists/add/", {"contact_list": str(contact_list.public_id)})
    assert list(contact.lists.values_list("name", flat=True)) == ["Spring"]
    assert Consent.objects.get().opted_out_source == "sms:SM1:STOP"


@pytest.mark.rule("PT-22")
def test_another_organisations_settings_objects_are_404(admin, admin_client):
    """Every settings page and action with another organisation's channel, reply, webhook, contact or list is 404,
    and nothing of theirs changes."""
    other = member(kind="customer", role="admin", accepted_terms=True)
    channel_id = inbox_object(other, "channel_id")
    contact_id = inbox_object(other, "contact_id")
    webhook_id = inbox_object(other, "webhook_id")
    list_id = inbox_object(other, "contact_list_id")
    reply = canned_reply_create(ctx=ctx_for(other), shortcut="theirs", body="Their text")
    gets = [
        f"/app/channels/{channel_id}/",
        f"/app/channels/canned-replies/{reply.public_id}/",
        f"/app/channels/webhooks/{webhook_id}/",
        f"/app/contacts/{contact_id}/",
    ]
    for url in gets:
        assert admin_client.get(url).status_code == 404, url
    posts = [
        (f"/app/channels/{channel_id}/", connect_form(name="Hijacked")),
        (f"/app/channels/{channel_id}/disable/", {}),
        (f"/app/channels/canned-replies/{reply.public_id}/", {"shortcut": "x", "body": "y"}),
        (f"/app/channels/canned-replies/{reply.public_id}/delete/", {}),
        (f"/app/channels/webhooks/{webhook_id}/disable/", {}),
        (f"/app/contacts/{contact_id}/", {"name": "Hijacked"}),
        (f"/app/contacts/{contact_id}/lists/add/", {"contact_list": str(list_id)}),
    ]
    for url, data in posts:
        assert admin_client.post(url, data).status_code == 404, url
    own_contact = contact_for_phone(organization=admin.organization, phone="+359888555333")
    response = admin_client.post(f"/app/contacts/{own_contact.public_id}/lists/add/", {"contact_list": str(list_id)})
    assert response.status_code == 404
    assert Channel.objects.get(public_id=channel_id).status == "active"
    assert Channel.objects.get(public_id=channel_id).name == "SMS"
    assert CannedReply.objects.get(pk=reply.pk).body == "Their text"
    assert WebhookEndpoint.objects.get(public_id=webhook_id).is_active
    assert Contact.objects.get(public_id=contact_id).name == ""
    assert not ContactList.objects.get(public_id=list_id).contacts.exists()
    listing = admin_client.get("/app/contacts/").content.decode()
    assert str(contact_id) not in listing
    assert "theirs" not in admin_client.get("/app/channels/canned-replies/").content.decode()
    assert str(channel_id) not in admin_client.get("/app/channels/").content.decode()


def test_the_pages_are_in_bulgarian(channel):
    """Every settings page renders in Bulgarian for a user who chose it."""
    person = member(role="admin", language="bg", accepted_terms=True, organization=channel.organization)
    client = Client()
    client.force_login(person.user)
    admin = person
    contact = contact_for_phone(organization=admin.organization, phone="+359888555444")
    pages = {
        "/app/channels/": "Канали",
        f"/app/channels/{channel.public_id}/": "Идентификация",
        "/app/channels/canned-replies/": "Готови отговори",
        "/app/channels/webhooks/": "Уебкукички",
        "/app/contacts/": "Контакти",
        f"/app/contacts/{contact.public_id}/": "Съгласие по канали",
    }
    for url, words in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert words in response.content.decode(), url
