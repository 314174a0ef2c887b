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
from trunkline.licensing.tests.conftest import grow_pool, new_end_user
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
        grow_pool(owner.organization, Product.objects.create(code=code, name=code, retail_amount=Decimal(1)), 1)
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
