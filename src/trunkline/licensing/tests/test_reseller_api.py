"""The licensing endpoints of /api/v1/: the access matrix, query-count guards on lists, and the staff actions."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from trunkline.commerce.models import Product
from trunkline.licensing.models import Pool
from trunkline.licensing.services import license_assign
from trunkline.licensing.tests.conftest import credit_pool_directly, grow_pool, new_end_user
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import api_key_for, ctx_for, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(product):
    reseller = member(kind="reseller", role="admin")
    grow_pool(reseller.organization, product, 50)
    return reseller


def test_the_endpoints_pass_the_access_matrix(owner, product):
    """Anonymous 401, no scope 403, scope 2xx, another reseller 404 — for reads and for assignment."""
    ctx = ctx_for(owner)
    check_access_matrix(owner, lambda: Endpoint("GET", "/api/v1/licensing/pools", "licensing:read"), foreign_status=200)
    check_access_matrix(
        owner,
        lambda: Endpoint("GET", f"/api/v1/licensing/end-users/{new_end_user(ctx).public_id}", "licensing:read"),
    )
    check_access_matrix(
        owner,
        lambda: Endpoint(
            "POST",
            f"/api/v1/licensing/end-users/{new_end_user(ctx).public_id}/licenses",
            "licensing:assign",
            body={"product_id": str(product.public_id)},
            ok=201,
        ),
    )

    def license_endpoint() -> Endpoint:
        license, _key = license_assign(ctx=ctx, end_user_id=new_end_user(ctx).public_id, product_id=product.public_id)
        return Endpoint("GET", f"/api/v1/licensing/licenses/{license.public_id}", "licensing:read")

    check_access_matrix(owner, license_endpoint)


def test_lists_take_a_constant_number_of_queries(owner, product):
    """Listing end users and pools costs the same number of queries for 3 rows as for 30."""
    client = Client()
    token = api_key_for(owner, ["licensing:read"])
    ctx = ctx_for(owner)

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        return len(queries)

    for _ in range(3):
        new_end_user(ctx)
    count("/api/v1/licensing/pools")  # the key's first use also records last_used_at
    few = count("/api/v1/licensing/end-users"), count("/api/v1/licensing/pools")
    for _ in range(27):
        new_end_user(ctx)
    for code in ("P2", "P3"):
        # throw-away products with no price: credited directly, the test is about the list's queries only
        credit_pool_directly(
            owner.organization, Product.objects.create(code=code, name=code, retail_amount=Decimal(1)), 1
        )
    assert (count("/api/v1/licensing/end-users"), count("/api/v1/licensing/pools")) == few


def test_assignment_over_the_api_returns_the_key_once_and_refuses_an_empty_pool(product):
    """201 with the key; with the pool empty, 409 licensing.pool_exhausted in the standard error shape."""
    reseller = member(kind="reseller", role="admin")
    grow_pool(reseller.organization, product, 1)
    ctx = ctx_for(reseller)
    token = api_key_for(reseller, ["licensing:assign", "licensing:read"])
    client = Client()
    first = client.post(
        f"/api/v1/licensing/end-users/{new_end_user(ctx).public_id}/licenses",
        json.dumps({"product_id": str(product.public_id)}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert first.status_code == 201
    assert len(first.json()["key"]) == 29
    second = client.post(
        f"/api/v1/licensing/end-users/{new_end_user(ctx).public_id}/licenses",
        json.dumps({"product_id": str(product.public_id)}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert second.status_code == 409
    assert second.json() == {
        "code": "licensing.pool_exhausted",
        "message": "No End-Point License of this product is available in your pool.",
        "detail": {},
    }


@pytest.mark.rule("RT-4.6")
def test_staff_grant_an_allotment_over_the_api_and_resellers_cannot(owner, product):
    """Operator staff grant Test Licenses with a reason; a reseller calling the same endpoint gets 404."""
    staff = member(kind="operator", role="admin")
    body = json.dumps({"product_id": str(product.public_id), "quantity": 5, "reason": "Trial"})
    path = f"/api/v1/licensing/resellers/{owner.organization.public_id}/test-allotments"
    granted = Client().post(
        path,
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_for(staff, ['ops:manage'])}"},
    )
    assert (granted.status_code, granted.json()["test_allotment"]) == (200, 5)
    refused = Client().post(
        path,
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_for(owner, ['licensing:assign'])}"},
    )
    assert refused.status_code == 404
    assert Pool.objects.get(organization=owner.organization).test_allotment == 5


def _post(path: str, token: str, body: dict | None = None):
    return Client().post(
        path, json.dumps(body or {}), content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.rule("RT-4.4")
def test_staff_act_for_a_reseller_over_the_api_audited_as_themselves(owner, product):
    """With an operator key holding ops:manage, staff create an end user and assign a license for a named reseller:
    the license comes from that reseller's pool and the audit events name the key's staff member and the reseller."""
    from trunkline.audit.models import AuditEvent

    staff = member(kind="operator", role="admin")
    token = api_key_for(staff, ["ops:manage", "ops:read"])
    base = f"/api/v1/licensing/resellers/{owner.organization.public_id}"
    created = _post(f"{base}/end-users", token, {"name": "Ana", "email": "ana@example.com", "is_affiliated": False})
    assert created.status_code == 201, created.content
    end_user_id = created.json()["end_user_id"]
    assigned = _post(f"{base}/end-users/{end_user_id}/licenses", token, {"product_id": str(product.public_id)})
    assert assigned.status_code == 201, assigned.content
    assert len(assigned.json()["key"]) == 29
    listed = Client().get(f"{base}/end-users", headers={"Authorization": f"Bearer {token}"})
    assert [item["name"] for item in listed.json()["items"]] == ["Ana"]
    pool = Pool.objects.get(organization=owner.organization, product=product)
    assert (pool.assigned, pool.available) == (1, 49)
    for action in ("licensing.end_user_created", "licensing.license_assigned"):
        event = AuditEvent.objects.get(action=action)
        assert (event.organization, event.actor, event.api_key_id is not None) == (owner.organization, None, True)
        assert event.actor_label.startswith("api-key:")


def test_a_reseller_can_never_act_for_another_reseller_over_the_api(owner, product):
    """A reseller's key on the on-behalf endpoints — for itself or another reseller — gets 404 and nothing changes;
    staff with only ops:read are refused writes (403); staff naming a customer organisation get 404."""
    other = member(kind="reseller", role="admin")
    grow_pool(other.organization, product, 5)
    victim = new_end_user(ctx_for(other))
    token = api_key_for(owner, ["licensing:assign", "licensing:read"])
    for organization in (other.organization, owner.organization):
        base = f"/api/v1/licensing/resellers/{organization.public_id}"
        body = {"name": "X", "email": "x@example.com", "is_affiliated": False}
        assert _post(f"{base}/end-users", token, body).status_code == 404
        assigned = _post(f"{base}/end-users/{victim.public_id}/licenses", token, {"product_id": str(product.public_id)})
        assert assigned.status_code == 404
        assert Client().get(f"{base}/end-users", headers={"Authorization": f"Bearer {token}"}).status_code == 404
    support = api_key_for(member(kind="operator", role="admin"), ["ops:read"])
    base = f"/api/v1/licensing/resellers/{other.organization.public_id}"
    refused = _post(f"{base}/end-users/{victim.public_id}/licenses", support, {"product_id": str(product.public_id)})
    assert refused.status_code == 403
    customer = member(kind="customer", role="admin")
    staff = api_key_for(member(kind="operator", role="admin"), ["ops:manage", "ops:read"])
    body = {"name": "X", "email": "x@example.com", "is_affiliated": False}
    assert (
        _post(f"/api/v1/licensing/resellers/{customer.organization.public_id}/end-users", staff, body).status_code
        == 404
    )
    assert Pool.objects.get(organization=other.organization).assigned == 0
    assert victim.licenses.count() == 0


def test_a_new_key_is_sent_over_the_api_and_limited_to_three_a_day(
    owner, product, mailoutbox, django_capture_on_commit_callbacks
):
    """Reissue answers the new key once (the old one stops working), emails it, is audited; the fourth within 24
    hours is 429 licensing.key_reissue_limit and changes nothing. Another reseller gets 404; staff may."""
    from trunkline.audit.models import AuditEvent
    from trunkline.licensing.services import activation_validate

    ctx = ctx_for(owner)
    license, first_key = license_assign(ctx=ctx, end_user_id=new_end_user(ctx).public_id, product_id=product.public_id)
    path = f"/api/v1/licensing/licenses/{license.public_id}/key"
    token = api_key_for(owner, ["licensing:assign", "licensing:read"])
    assert _post(path, api_key_for(member(kind="reseller", role="admin"), ["licensing:assign"])).status_code == 404
    mailoutbox.clear()
    keys = []
    staff_token = api_key_for(member(kind="operator", role="admin"), ["ops:manage", "ops:read"])
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            answer = _post(path, token)
            assert answer.status_code == 200, answer.content
            keys.append(answer.json()["key"])
        staff = _post(path, staff_token)
        assert staff.status_code == 200
        refused = _post(path, token)
    assert (refused.status_code, refused.json()["code"]) == (429, "licensing.key_reissue_limit")
    assert len(mailoutbox) == 3
    assert staff.json()["key"] in mailoutbox[-1].body
    assert activation_validate(key=first_key, fingerprint="sha256:" + "1" * 64).code == "not_found"
    assert activation_validate(key=keys[0], fingerprint="sha256:" + "1" * 64).code == "not_found"
    assert AuditEvent.objects.filter(action="licensing.license_key_reissued").count() == 3
