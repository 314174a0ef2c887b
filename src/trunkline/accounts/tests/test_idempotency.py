import json

import pytest
from django.test import Client

from trunkline.accounts.models import ApiKey, IdempotencyRecord
from trunkline.tenancy.models import Membership
from trunkline.testing.factories import api_key_for, member

pytestmark = pytest.mark.django_db


def post(client: Client, token: str, path: str, body: dict, key: str | None):
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def test_a_retried_post_creates_one_object():
    """The same Idempotency-Key sent three times makes one membership and three identical answers."""
    admin = member(role="admin")
    token = api_key_for(admin, ["members:manage"])
    client = Client()
    body = {"email": "new.agent@example.com", "role": "agent"}
    answers = [post(client, token, "/api/v1/memberships", body, "retry-1") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert Membership.objects.filter(user__email="new.agent@example.com").count() == 1


def test_the_same_key_with_another_body_is_refused():
    """Reusing a key for a different request is a client bug: 422, and nothing is created."""
    admin = member(role="admin")
    token = api_key_for(admin, ["api_keys:manage", "members:read"])
    client = Client()
    assert post(client, token, "/api/v1/api-keys", {"name": "a", "scopes": ["members:read"]}, "k").status_code == 201
    refused = post(client, token, "/api/v1/api-keys", {"name": "b", "scopes": ["members:read"]}, "k")
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency.key_reused"
    assert ApiKey.objects.filter(name="b").count() == 0


def test_keys_are_private_to_each_caller():
    """Two callers using the same key string each get their own object."""
    first, second = member(role="admin"), member(role="admin")
    client = Client()
    for admin in (first, second):
        token = api_key_for(admin, ["members:manage"])
        assert (
            post(
                client, token, "/api/v1/memberships", {"email": "x@example.com", "role": "agent"}, "shared"
            ).status_code
            == 201
        )
    assert Membership.objects.filter(user__email="x@example.com").count() == 2


def test_errors_are_replayed_but_auth_failures_are_not_kept():
    """A 4xx answer is replayed for the same key; a 401 leaves no record so a corrected retry can proceed."""
    admin = member(role="admin")
    token = api_key_for(admin, ["members:manage"])
    client = Client()
    bad = {"email": "not-an-email", "role": "agent"}
    assert post(client, token, "/api/v1/memberships", bad, "bad-1").status_code == 422
    assert post(client, token, "/api/v1/memberships", bad, "bad-1").status_code == 422
    assert IdempotencyRecord.objects.filter(key="bad-1").get().status_code == 422
    assert post(client, "tlk_0000000000_wrong", "/api/v1/memberships", bad, "auth-1").status_code == 401
    assert not IdempotencyRecord.objects.filter(key="auth-1").exists()


def test_an_overlong_key_is_refused():
    """Keys longer than 255 characters are refused before anything runs."""
    admin = member(role="admin")
    token = api_key_for(admin, ["members:manage"])
    response = post(Client(), token, "/api/v1/memberships", {"email": "y@example.com", "role": "agent"}, "k" * 256)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency.key_invalid"
    assert not Membership.objects.filter(user__email="y@example.com").exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_object():
    """Eight simultaneous requests with one key: one membership; every answer is the first result or 'in progress'."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    admin = member(role="admin")
    token = api_key_for(admin, ["members:manage"])
    body = {"email": "racer@example.com", "role": "agent"}

    def attempt(_: int) -> int:
        try:
            return post(Client(), token, "/api/v1/memberships", body, "race-1").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(8)))
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert Membership.objects.filter(user__email="racer@example.com").count() == 1
