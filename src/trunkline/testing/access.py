"""The access matrix every endpoint must pass: anonymous, member without the scope, member with it, and a member
of another organisation asking for this organisation's object."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.test import Client

from trunkline.tenancy.models import Membership
from trunkline.testing.factories import api_key_for, member


@dataclass
class Endpoint:
    method: str
    path: str  # with the object's id filled in
    scope: str
    body: dict[str, Any] | None = None
    ok: int = 200


def call(client: Client, endpoint: Endpoint, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = json.dumps(endpoint.body) if endpoint.body is not None else ""
    return client.generic(endpoint.method, endpoint.path, data=data, content_type="application/json", headers=headers)


def check_access_matrix(
    owner: Membership,
    make_endpoint: Callable[[], Endpoint],
    *,
    other_scopes: tuple[str, ...] = ("organization:read",),
    foreign_status: int = 404,
) -> None:
    """Assert 401 / 403 / 2xx / 404 for the four callers. ``make_endpoint`` builds a fresh target for each call so
    writes (revoke, delete) can be repeated."""
    client = Client()
    endpoint = make_endpoint()
    anonymous = call(client, endpoint)
    assert anonymous.status_code == 401, (endpoint.path, anonymous.content)
    assert anonymous.json()["code"] == "authentication_required"

    without = [scope for scope in other_scopes if scope != endpoint.scope] or ["organization:read"]
    no_scope = call(client, endpoint, api_key_for(owner, without))
    assert no_scope.status_code == 403, (endpoint.path, no_scope.content)
    assert no_scope.json()["code"] == "permission_denied"

    endpoint = make_endpoint()
    allowed = call(client, endpoint, api_key_for(owner, [endpoint.scope]))
    assert allowed.status_code == endpoint.ok, (endpoint.path, allowed.content)

    stranger = member(kind=owner.organization.kind, role="admin")
    endpoint = make_endpoint()
    foreign = call(client, endpoint, api_key_for(stranger, [endpoint.scope]))
    assert foreign.status_code == foreign_status, (endpoint.path, foreign.content)
