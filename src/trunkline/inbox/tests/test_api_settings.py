"""The messaging settings over the API: channels (update, disable, enable), canned replies, contacts and their lists,
webhook endpoints. Each write: success, bad input answered 4xx with its code and nothing changed, the access matrix
(anonymous 401, without the scope 403, another organisation's object 404)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from uuid import uuid4

import pytest
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.channels.models import Channel
from trunkline.inbox.models import CannedReply, Contact, ContactList, WebhookDelivery, WebhookEndpoint
from trunkline.inbox.services.campaigns import contact_list_create
from trunkline.inbox.services.canned import canned_reply_create
from trunkline.inbox.services.contacts import contact_for_phone
from trunkline.inbox.services.webhooks import webhook_endpoint_create
from trunkline.inbox.testing import inbox_object, sms_channel
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import api_key_for, ctx_for, member

PARAMETER = re.compile(r"{(\w+)}")
MISSING = "00000000-0000-4000-8000-000000000000"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api(admin, scopes: list[str]) -> Client:
    """A client that sends an API key of ``admin``'s organisation with ``scopes`` on every request."""
    return Client(headers=bearer(api_key_for(admin, scopes)))


@pytest.mark.rule("PT-22")
@pytest.mark.parametrize(
    ("method", "path", "scope", "body", "ok"),
    [
        ("PATCH", "/api/v1/channels/{channel_id}", "channels:manage", {"name": "Renamed"}, 200),
        ("POST", "/api/v1/channels/{channel_id}/disable", "channels:manage", None, 200),
        ("POST", "/api/v1/channels/{channel_id}/enable", "channels:manage", None, 200),
        ("GET", "/api/v1/canned-replies/{canned_reply_id}", "inbox:read", None, 200),
        ("PATCH", "/api/v1/canned-replies/{canned_reply_id}", "inbox:reply", {"body": "Changed"}, 200),
        ("DELETE", "/api/v1/canned-replies/{canned_reply_id}", "inbox:reply", None, 204),
        ("PATCH", "/api/v1/contacts/{contact_id}", "inbox:reply", {"name": "Ivan"}, 200),
        ("POST", "/api/v1/contact-lists/{contact_list_id}/contacts/{contact_id}", "campaigns:send", None, 200),
        ("DELETE", "/api/v1/contact-lists/{contact_list_id}/contacts/{contact_id}", "campaigns:send", None, 204),
        ("POST", "/api/v1/webhooks/{webhook_id}/disable", "channels:manage", None, 200),
    ],
)
def test_access_matrix(admin, method, path, scope, body, ok):
    """Anonymous 401, without the scope 403, with it 2xx, another organisation's object 404."""

    def endpoint() -> Endpoint:
        url = path
        for name in PARAMETER.findall(path):
            url = url.replace(f"{{{name}}}", str(inbox_object(admin, name)))
        return Endpoint(method, url, scope, body=body, ok=ok)

    check_access_matrix(admin, endpoint, other_scopes=("organization:read", "inbox:read"))


@pytest.mark.parametrize(
    ("method", "scope", "body", "ok"),
    [("GET", "inbox:read", None, 200), ("POST", "inbox:reply", {"shortcut": "hours", "body": "9 to 6."}, 201)],
)
def test_canned_reply_collection_needs_authentication_and_its_scope(admin, method, scope, body, ok):
    """The collection: anonymous 401, without the scope 403, with it 2xx."""
    url = "/api/v1/canned-replies"
    anonymous = Client().generic(method, url, json.dumps(body or {}), content_type="application/json")
    assert anonymous.status_code == 401
    without = api(admin, ["organization:read"]).generic(
        method, url, json.dumps(body or {}), content_type="application/json"
    )
    assert (without.status_code, without.json()["code"]) == (403, "permission_denied")
    allowed = api(admin, [scope])
    response = allowed.get(url) if body is None else allowed.post(url, body, content_type="application/json")
    assert response.status_code == ok


# --- channels ----------------------------------------------------------------------------------------------------
def test_update_a_channel_changes_only_what_is_sent_and_never_returns_a_secret(admin):
    """Name, rate and a rotated token change; the rest stays; the token is stored, not returned nor audited."""
    channel = sms_channel(admin)
    client = api(admin, ["channels:manage"])
    response = client.patch(
        f"/api/v1/channels/{channel.public_id}",
        {"name": "Reception", "rate_per_second": "2.5", "expected_daily_segments": 500, "auth_token": "rotated-1"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["rate_per_second"], body["expected_daily_segments"]) == ("Reception", 2.5, 500)
    assert (body["sender"], body["identification_name"]) == ("+359700100200", "Org")
    assert "rotated-1" not in response.content.decode()
    assert not {"auth_token", "credentials", "password"} & set(body)
    channel.refresh_from_db()
    assert (channel.name, channel.rate_per_second, channel.credentials) == (
        "Reception",
        Decimal("2.5"),
        {"auth_token": "rotated-1"},
    )
    event = AuditEvent.objects.filter(action="channel.updated").latest("id")
    assert event.changes["credentials"] == ["auth_token"]
    assert "rotated-1" not in str(event.changes)
    back_to_plan = client.patch(
        f"/api/v1/channels/{channel.public_id}", {"expected_daily_segments": None}, content_type="application/json"
    )
    assert back_to_plan.json()["expected_daily_segments"] is None
    untouched = client.patch(f"/api/v1/channels/{channel.public_id}", {}, content_type="application/json")
    assert untouched.json()["name"] == "Reception"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "rate_per_second": "3"}, "name"),
        ({"name": "Kept?", "rate_per_second": "0"}, "rate_per_second"),
        ({"name": "Kept?", "password": "smpp-only"}, "password"),
        ({"name": "Kept?", "segment_price": "-1"}, "segment_price"),
    ],
)
def test_a_bad_channel_update_answers_422_and_changes_nothing(admin, body, field):
    """An empty name, a zero rate, another provider's secret, a negative price: 422 on that field, nothing stored."""
    channel = sms_channel(admin)
    before = (channel.name, channel.rate_per_second, channel.segment_price, channel.credentials_encrypted)
    response = api(admin, ["channels:manage"]).patch(
        f"/api/v1/channels/{channel.public_id}", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_failed"
    assert field in response.json()["detail"]["fields"]
    channel.refresh_from_db()
    assert (channel.name, channel.rate_per_second, channel.segment_price, channel.credentials_encrypted) == before
    assert not AuditEvent.objects.filter(action="channel.updated").exists()


def test_another_providers_secret_is_named_in_the_error(admin):
    """A password on a Twilio channel is refused with a sentence naming the provider."""
    channel = sms_channel(admin)
    response = api(admin, ["channels:manage"]).patch(
        f"/api/v1/channels/{channel.public_id}", {"password": "x"}, content_type="application/json"
    )
    assert response.json()["detail"]["fields"]["password"] == [
        f"A {channel.get_provider_display()} channel has no such secret."
    ]


def test_disable_and_enable_a_channel(admin):
    """Disable stops the channel, enable brings it back; repeating either changes nothing more."""
    channel = sms_channel(admin)
    client = api(admin, ["channels:manage"])
    for action, status in (("disable", "disabled"), ("disable", "disabled"), ("enable", "active")):
        response = client.post(f"/api/v1/channels/{channel.public_id}/{action}")
        assert (response.status_code, response.json()["status"]) == (200, status)
    channel.refresh_from_db()
    assert channel.status == "active"
    assert AuditEvent.objects.filter(action__in=("channel.disabled", "channel.active")).count() == 2


def test_disabling_a_missing_channel_answers_404(admin):
    """An unknown id: 404 not_found, and no channel changes."""
    channel = sms_channel(admin)
    response = api(admin, ["channels:manage"]).post(f"/api/v1/channels/{MISSING}/disable")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert Channel.objects.get(pk=channel.pk).status == "active"


# --- canned replies ----------------------------------------------------------------------------------------------
def test_canned_replies_are_listed_by_page_and_only_ours(admin):
    """The list is paginated, ordered by shortcut on request, and holds none of another organisation's replies."""
    for shortcut in ("hours", "address", "prices"):
        canned_reply_create(ctx=ctx_for(admin), shortcut=shortcut, body=f"About {shortcut}.")
    canned_reply_create(ctx=ctx_for(member(kind="customer", role="admin")), shortcut="theirs", body="Not yours.")
    response = api(admin, ["inbox:read"]).get("/api/v1/canned-replies?page_size=2&ordering=-shortcut")
    body = response.json()
    assert (response.status_code, body["count"], body["pages"]) == (200, 3, 2)
    assert [item["shortcut"] for item in body["items"]] == ["prices", "hours"]
    assert set(body["items"][0]) == {"id", "shortcut", "body"}


def test_create_a_canned_reply_once_with_an_idempotency_key(admin):
    """POSTed twice with one Idempotency-Key: one reply, the same answer."""
    client = api(admin, ["inbox:reply"])
    payload = {"shortcut": "/hours", "body": " We open at 9. "}
    headers = {"Idempotency-Key": "c1"}
    first, second = (
        client.post("/api/v1/canned-replies", payload, content_type="application/json", headers=headers)
        for _ in range(2)
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert (first.json()["shortcut"], first.json()["body"]) == ("hours", "We open at 9.")
    assert CannedReply.objects.filter(organization=admin.organization).count() == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"shortcut": "two words", "body": "x"}, "Use at most 40 letters, digits, hyphens and underscores."),
        ({"shortcut": "hours", "body": "x"}, "/hours is taken already."),
        ({"shortcut": "", "body": "x"}, "Give the reply a shortcut."),
    ],
)
def test_a_bad_canned_reply_answers_422_and_creates_nothing(admin, payload, message):
    """A bad or taken shortcut: 422 with the sentence on the field; nothing is created."""
    canned_reply_create(ctx=ctx_for(admin), shortcut="hours", body="9 to 6.")
    response = api(admin, ["inbox:reply"]).post("/api/v1/canned-replies", payload, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    assert response.json()["detail"]["fields"]["shortcut"] == [message]
    assert CannedReply.objects.count() == 1


def test_update_a_canned_reply_keeps_what_is_not_sent(admin):
    """PATCH the text only: the shortcut stays; PATCH a taken shortcut: 422 and the reply is as it was."""
    reply = canned_reply_create(ctx=ctx_for(admin), shortcut="hours", body="9 to 6.")
    canned_reply_create(ctx=ctx_for(admin), shortcut="address", body="Vitosha 1.")
    client = api(admin, ["inbox:reply"])
    url = f"/api/v1/canned-replies/{reply.public_id}"
    response = client.patch(url, {"body": "8 to 5."}, content_type="application/json")
    assert (response.status_code, response.json()["shortcut"], response.json()["body"]) == (200, "hours", "8 to 5.")
    refused = client.patch(url, {"shortcut": "address", "body": "Changed?"}, content_type="application/json")
    assert (refused.status_code, refused.json()["detail"]["fields"]["shortcut"]) == (
        422,
        ["/address is taken already."],
    )
    reply.refresh_from_db()
    assert (reply.shortcut, reply.body) == ("hours", "8 to 5.")


def test_delete_a_canned_reply(admin):
    """DELETE answers 204; afterwards the reply answers 404."""
    reply = canned_reply_create(ctx=ctx_for(admin), shortcut="hours", body="9 to 6.")
    client = api(admin, ["inbox:reply", "inbox:read"])
    url = f"/api/v1/canned-replies/{reply.public_id}"
    assert client.delete(url).status_code == 204
    assert (client.get(url).status_code, client.delete(url).status_code) == (404, 404)
    assert not CannedReply.objects.exists()


# --- contacts and lists ------------------------------------------------------------------------------------------
def test_update_a_contact(admin):
    """Labels are trimmed, deduplicated and sorted; the name stays when not sent."""
    contact = contact_for_phone(organization=admin.organization, phone="+359888000111", name="Maria")
    labels = {"labels": [" vip ", "dentist", "vip"]}
    response = api(admin, ["inbox:reply"]).patch(
        f"/api/v1/contacts/{contact.public_id}", labels, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["labels"]) == ("Maria", ["dentist", "vip"])
    contact.refresh_from_db()
    assert contact.labels == ["dentist", "vip"]


@pytest.mark.parametrize(
    "payload",
    [{"name": "Ivan", "labels": ["x" * 41]}, {"name": "I" * 201}, {"labels": "vip"}],
)
def test_a_bad_contact_update_answers_422_and_changes_nothing(admin, payload):
    """A label over 40 characters, a name over 200, labels not a list: 422 and the contact is as it was."""
    contact = contact_for_phone(organization=admin.organization, phone="+359888000111", name="Maria")
    response = api(admin, ["inbox:reply"]).patch(
        f"/api/v1/contacts/{contact.public_id}", payload, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
    contact.refresh_from_db()
    assert (contact.name, contact.labels) == ("Maria", [])


def test_add_and_remove_a_contact_on_a_list(admin):
    """Adding twice puts the contact on once; removing takes it off and keeps the contact."""
    contact = contact_for_phone(organization=admin.organization, phone="+359888000111")
    contact_list = contact_list_create(ctx=ctx_for(admin), name="Patients")
    client = api(admin, ["campaigns:send"])
    url = f"/api/v1/contact-lists/{contact_list.public_id}/contacts/{contact.public_id}"
    for _ in range(2):
        response = client.post(url)
        assert (response.status_code, response.json()["name"]) == (200, "Patients")
    assert list(contact_list.contacts.all()) == [contact]
    assert AuditEvent.objects.filter(action="contact_list.contact_added").count() == 1
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 204
    assert not contact_list.contacts.exists()
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_another_organisations_contact_cannot_join_our_list(admin):
    """Our list with another organisation's contact: 404, and the list stays empty. A malformed id: 422."""
    contact_list = contact_list_create(ctx=ctx_for(admin), name="Patients")
    stranger = member(kind="customer", role="admin")
    theirs = contact_for_phone(organization=stranger.organization, phone="+359888000111")
    client = api(admin, ["campaigns:send"])
    response = client.post(f"/api/v1/contact-lists/{contact_list.public_id}/contacts/{theirs.public_id}")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    malformed = client.post(f"/api/v1/contact-lists/{contact_list.public_id}/contacts/not-an-id")
    assert (malformed.status_code, malformed.json()["code"]) == (422, "validation_failed")
    assert not ContactList.objects.get(pk=contact_list.pk).contacts.exists()


# --- webhooks ----------------------------------------------------------------------------------------------------
def test_disable_a_webhook_fails_its_pending_deliveries_and_keeps_the_log(admin):
    """Disabled: is_active false, pending deliveries failed (not retried), the log still listed, no secret shown."""
    endpoint, secret = webhook_endpoint_create(ctx=ctx_for(admin), url="https://example.com/hook")
    WebhookDelivery.objects.create(
        organization=admin.organization, endpoint=endpoint, event="message.created", payload={}
    )
    client = api(admin, ["channels:manage"])
    response = client.post(f"/api/v1/webhooks/{endpoint.public_id}/disable")
    assert (response.status_code, response.json()["is_active"]) == (200, False)
    assert secret not in response.content.decode()
    assert "secret" not in response.json()
    log = client.get(f"/api/v1/webhooks/{endpoint.public_id}/deliveries").json()
    assert (log["count"], log["items"][0]["state"], log["items"][0]["last_error"]) == (
        1,
        "failed",
        "The endpoint was disabled.",
    )


def test_disabling_a_missing_webhook_answers_404(admin):
    """An unknown id: 404 not_found; our endpoint stays active."""
    endpoint, _secret = webhook_endpoint_create(ctx=ctx_for(admin), url="https://example.com/hook")
    response = api(admin, ["channels:manage"]).post(f"/api/v1/webhooks/{uuid4()}/disable")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).is_active


# --- the schema --------------------------------------------------------------------------------------------------
def test_the_new_operations_are_in_the_openapi_schema_and_secrets_are_write_only(db):
    """Each settings write is documented; secrets appear in the update input, never in an output."""
    schema = Client().get("/api/v1/openapi.json").json()
    operations = {op["operationId"] for methods in schema["paths"].values() for op in methods.values()}
    assert {
        "channel_update",
        "channel_disable",
        "channel_enable",
        "canned_reply_list",
        "canned_reply_create",
        "canned_reply_get",
        "canned_reply_update",
        "canned_reply_delete",
        "contact_update",
        "contact_list_contact_add",
        "contact_list_contact_remove",
        "webhook_disable",
        "webhook_delivery_list",
    } <= operations
    components = schema["components"]["schemas"]
    assert "auth_token" in components["ChannelUpdateIn"]["properties"]
    secrets = {"auth_token", "password", "smtp_password", "imap_password", "dkim_private_key", "secret"}
    for name in ("ChannelOut", "CannedReplyOut", "ContactOut", "WebhookOut"):
        assert not secrets & set(components[name]["properties"]), name
