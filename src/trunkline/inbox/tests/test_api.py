"""The inbox API: access matrix per endpoint, replies with Idempotency-Key, signed outbound webhooks, export."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from trunkline.inbox.models import Message, WebhookDelivery
from trunkline.inbox.services.webhooks import webhook_deliver, webhook_endpoint_create
from trunkline.inbox.testing import inbox_object
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import api_key_for, ctx_for


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.rule("PT-22")
@pytest.mark.parametrize(
    ("method", "path", "scope", "ok"),
    [
        ("GET", "/api/v1/conversations/{conversation_id}", "inbox:read", 200),
        ("GET", "/api/v1/conversations/{conversation_id}/messages", "inbox:read", 200),
        ("GET", "/api/v1/contacts/{contact_id}", "inbox:read", 200),
        ("GET", "/api/v1/channels/{channel_id}", "inbox:read", 200),
        ("GET", "/api/v1/campaigns/{campaign_id}", "inbox:read", 200),
        ("GET", "/api/v1/webhooks/{webhook_id}/deliveries", "channels:manage", 200),
        ("POST", "/api/v1/campaigns/{campaign_id}/cancel", "campaigns:send", 200),
    ],
)
def test_access_matrix(admin, method, path, scope, ok):
    """Anonymous 401, without the scope 403, with it 2xx, another organisation's object 404."""
    name = path.split("{")[1].split("}")[0]

    def endpoint() -> Endpoint:
        return Endpoint(method, path.replace(f"{{{name}}}", str(inbox_object(admin, name))), scope, ok=ok)

    check_access_matrix(admin, endpoint, other_scopes=("organization:read", "inbox:read"))


def test_reply_over_the_api_with_an_idempotency_key(admin, inbound, standin, django_capture_on_commit_callbacks):
    """POST a reply twice with one Idempotency-Key: one message, one send, the same answer."""
    inbound("Hello")
    conversation = Message.objects.get().conversation
    token = api_key_for(admin, ["inbox:reply", "inbox:read"])
    client = Client()
    url = f"/api/v1/conversations/{conversation.public_id}/messages"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            url, {"body": "Hi!"}, content_type="application/json", headers={**bearer(token), "Idempotency-Key": "k-1"}
        )
        second = client.post(
            url, {"body": "Hi!"}, content_type="application/json", headers={**bearer(token), "Idempotency-Key": "k-1"}
        )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert len(standin.accepted) == 1


def test_a_refused_promotional_reply_answers_the_error_shape(admin, inbound):
    """Without sender identification the API answers 422 with the stable code."""
    inbound("Hello")
    conversation = Message.objects.get().conversation
    conversation.channel.identification_name = ""
    conversation.channel.save()
    response = Client().post(
        f"/api/v1/conversations/{conversation.public_id}/messages",
        {"body": "Sale", "is_promotional": True},
        content_type="application/json",
        headers=bearer(api_key_for(admin, ["inbox:reply"])),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "inbox.sender_identification_missing"


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = 503 if len(receiver.received) <= receiver.fail_first else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/trunkline"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_outbound_webhooks_are_signed_and_retried(admin, inbound, django_capture_on_commit_callbacks):
    """message.created reaches the customer's endpoint signed with HMAC-SHA256; a 503 is retried with backoff."""
    receiver = Receiver(fail_first=1)
    try:
        _endpoint, secret = webhook_endpoint_create(ctx=ctx_for(admin), url=receiver.url, events=["message.created"])
        inbound("Hello")
        delivery = WebhookDelivery.objects.get()
        assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
        delivery = webhook_deliver(webhook_delivery_id=delivery.pk, at=delivery.next_attempt_at)
        assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 204)
        headers, body = receiver.received[-1]
        timestamp, signature = (part.split("=", 1)[1] for part in headers["X-Trunkline-Signature"].split(","))
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signature, expected)
        payload = json.loads(body)
        assert (payload["event"], payload["data"]["body"], headers["X-Trunkline-Event"]) == (
            "message.created",
            "Hello",
            "message.created",
        )
    finally:
        receiver.stop()


@pytest.mark.rule("PT-4.1")
@pytest.mark.rule("PT-22")
def test_export_contains_all_conversations_and_nothing_of_others(admin, inbound, channel):
    """The export holds this organisation's contacts, consent and messages, and no other organisation's."""
    inbound("Hello")
    inbound("STOP")
    other = __import__("trunkline.testing.factories", fromlist=["member"]).member(kind="customer", role="admin")
    inbox_object(other, "conversation_id")
    response = Client().get("/api/v1/inbox/export", headers=bearer(api_key_for(admin, ["inbox:read"])))
    assert response.status_code == 200
    data = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert [contact["phone"] for contact in data["contacts"]] == ["+359888123456"]
    assert data["contacts"][0]["consents"][0]["opted_out_at"] is not None
    assert [message["body"] for message in data["conversations"][0]["messages"]] == ["Hello", "STOP"]
    assert len(data["conversations"]) == 1
