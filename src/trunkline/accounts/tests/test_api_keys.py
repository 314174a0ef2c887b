import hashlib

import pytest
from django.test import Client

from trunkline.accounts.models import ApiKey
from trunkline.audit.models import AuditEvent
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import api_key_for, member

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_key_grants_exactly_its_scopes():
    """A key with members:read can list members but cannot read the audit trail, though its creator can."""
    admin = member(role="admin")
    token = api_key_for(admin, ["members:read"])
    client = Client()
    assert client.get("/api/v1/memberships", headers=bearer(token)).status_code == 200
    refused = client.get("/api/v1/audit-events", headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "permission_denied",
        "message": "Your role or API key does not include the permission audit:read.",
        "detail": {},
    }


def test_a_revoked_key_gets_401_at_once():
    """Revoking a key through the API makes the very next call with it a 401."""
    admin = member(role="admin")
    manager = api_key_for(admin, ["api_keys:manage"])
    victim = api_key_for(admin, ["members:read"])
    client = Client()
    victim_id = ApiKey.objects.get(prefix=victim.split("_")[1]).public_id
    assert client.get("/api/v1/memberships", headers=bearer(victim)).status_code == 200
    revoked = client.post(f"/api/v1/api-keys/{victim_id}/revoke", headers=bearer(manager))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    after = client.get("/api/v1/memberships", headers=bearer(victim))
    assert after.status_code == 401
    assert after.json()["code"] == "authentication_required"
    again = client.post(f"/api/v1/api-keys/{victim_id}/revoke", headers=bearer(manager))
    assert again.status_code == 409
    assert again.json()["code"] == "accounts.api_key_already_revoked"


def test_the_secret_is_shown_once_and_stored_only_as_a_digest():
    """The create response carries the key; the database holds only its SHA-256; lists never show it."""
    admin = member(role="admin")
    client = Client()
    client.force_login(admin.user)
    created = client.post(
        "/api/v1/api-keys", {"name": "CRM", "scopes": ["members:read"]}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    secret = created.json()["key"]
    stored = ApiKey.objects.get(public_id=created.json()["id"])
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.filter(pk=stored.pk).values().get())
    listed = client.get("/api/v1/api-keys").json()["items"]
    assert "key" not in listed[0]
    assert AuditEvent.objects.filter(action="api_key.created", target_id=str(stored.public_id)).count() == 1


def test_a_key_cannot_hold_more_than_its_creator():
    """An agent cannot mint a key with audit:read, which the agent's role lacks; nothing is created."""
    agent = member(role="agent")
    admin_key = api_key_for(member(role="admin", organization=agent.organization), ["api_keys:manage"])
    client = Client()
    client.force_login(agent.user)
    refused = client.post("/api/v1/api-keys", {"name": "x", "scopes": ["inbox:read"]}, content_type="application/json")
    assert refused.status_code == 403  # agents do not manage keys at all
    client.logout()
    refused = client.post(
        "/api/v1/api-keys",
        {"name": "x", "scopes": ["audit:read"]},
        content_type="application/json",
        headers=bearer(admin_key),
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "accounts.scope_not_grantable"
    assert refused.json()["detail"]["fields"]["scopes"] == [
        "You cannot give an API key a scope you do not hold yourself: audit:read."
    ]
    assert ApiKey.objects.count() == 1


def test_last_use_is_recorded():
    """Each key remembers when and from where it was last used."""
    admin = member(role="admin")
    token = api_key_for(admin, ["members:read"])
    Client().get("/api/v1/memberships", headers=bearer(token), REMOTE_ADDR="127.0.0.9")
    key = ApiKey.objects.get()
    assert key.last_used_at is not None
    assert key.last_used_ip == "127.0.0.9"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer tlk_0123456789_wrong", "Basic dXNlcjpwYXNz", "Bearer "])
def test_malformed_credentials_get_401(header):
    """Garbage, a wrong secret with a plausible prefix, or another scheme: 401 with the standard body."""
    response = Client().get("/api/v1/memberships", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"


def test_access_matrix_for_api_key_revoke():
    """Revoking a key: anonymous 401, without api_keys:manage 403, with it 200, another organisation 404."""
    owner = member(role="admin")

    def endpoint() -> Endpoint:
        target = api_key_for(owner, ["organization:read"])
        key_id = ApiKey.objects.get(prefix=target.split("_")[1]).public_id
        return Endpoint("POST", f"/api/v1/api-keys/{key_id}/revoke", scope="api_keys:manage")

    check_access_matrix(owner, endpoint)
