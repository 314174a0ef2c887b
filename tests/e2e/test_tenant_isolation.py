"""Walk the OpenAPI schema: every operation needs authentication, and every object of organisation B answers 404 to
organisation A through every endpoint that takes its id, whatever the method."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from trunkline.tenancy.roles import ROLES
from trunkline.testing.factories import api_key_for, member
from trunkline.testing.isolation import OBJECT_MAKERS, PUBLIC_OPERATIONS, VALID_BODIES

pytestmark = pytest.mark.django_db
PARAMETER = re.compile(r"{(\w+)}")


def operations(client: Client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


@pytest.mark.rule("PT-22")
@pytest.mark.parametrize("kind", ["customer", "reseller"])
def test_another_organisations_objects_answer_404_everywhere(kind):
    """Organisation A, holding every scope its admin role has, gets 404 for each object of B on every endpoint."""
    client = Client()
    intruder, victim = member(kind=kind, role="admin"), member(kind=kind, role="admin")
    token = api_key_for(intruder, sorted(ROLES[kind]["admin"]["scopes"]))
    walked = 0
    for path, method, operation in operations(client):
        names = PARAMETER.findall(path)
        if not names:
            continue
        missing = [name for name in names if name not in OBJECT_MAKERS]
        assert not missing, f"{method} {path}: register a maker for {missing} in trunkline.testing.isolation"
        url = path
        for name in names:
            url = url.replace(f"{{{name}}}", str(OBJECT_MAKERS[name](victim)))
        body = VALID_BODIES.get(operation["operationId"], {})
        response = client.generic(
            method, url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code == 404, f"{method} {path} answered {response.status_code}: {response.content!r}"
        assert response.json()["code"] == "not_found"
        walked += 1
    assert walked >= 8  # the foundation alone has this many object endpoints


def test_every_operation_needs_authentication():
    """Without credentials every non-public operation answers 401 with the standard error body."""
    client = Client()
    for path, method, operation in operations(client):
        if operation["operationId"] in PUBLIC_OPERATIONS:
            continue
        url = PARAMETER.sub("00000000-0000-4000-8000-000000000000", path)
        response = client.generic(method, url, "{}", content_type="application/json")
        assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
        assert response.json()["code"] == "authentication_required"


def test_every_operation_is_documented():
    """Each operation has an id, a tag and a documented error response."""
    client = Client()
    for path, method, operation in operations(client):
        assert operation.get("operationId"), f"{method} {path}"
        assert operation.get("tags"), f"{method} {path}"
        assert "401" in operation["responses"] or operation["operationId"] in PUBLIC_OPERATIONS, f"{method} {path}"
