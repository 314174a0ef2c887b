"""Operator staff act in /ops/ on a reseller's behalf (issue 7, item 9): they create end users and assign End-Point
and Test Licenses through the same services, under the same pool, cap and test rules, audited as themselves."""

from __future__ import annotations

import pytest
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.core.errors import MissingScopeError, NotFoundError
from trunkline.licensing.errors import AffiliateCapExceededError, PoolExhaustedError
from trunkline.licensing.models import EndUser, License, LicenseKind, Pool
from trunkline.licensing.services import (
    end_user_create,
    license_assign,
    license_test_assign,
    pool_test_allotment_grant,
)
from trunkline.licensing.tests.conftest import grow_pool, new_end_user
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return member(kind="operator", role="staff")


def test_staff_create_an_end_user_and_assign_a_license_for_a_reseller(reseller, staff, product):
    """The license comes from the reseller's pool; the audit events name the staff member and the reseller."""
    grow_pool(reseller.organization, product, 2)
    ctx = ctx_for(staff)
    end_user = end_user_create(
        ctx=ctx, name="Ana", email="ana@example.com", is_affiliated=False, organization=reseller.organization
    )
    assert end_user.organization == reseller.organization
    license, key = license_assign(
        ctx=ctx, end_user_id=end_user.public_id, product_id=product.public_id, organization=reseller.organization
    )
    assert key
    assert license.organization == reseller.organization
    assert license.assigned_by == staff.user.email
    pool = Pool.objects.get(organization=reseller.organization, product=product)
    assert (pool.assigned, pool.available) == (1, 1)
    for action in ("licensing.end_user_created", "licensing.license_assigned"):
        event = AuditEvent.objects.get(action=action)
        assert event.actor == staff.user
        assert event.actor_label == staff.user.email
        assert event.organization == reseller.organization


@pytest.mark.rule("RT-4.4")
def test_staff_cannot_oversell_the_pool(reseller, staff, product):
    """The conditional UPDATE holds for staff too: the pool of one gives one license."""
    grow_pool(reseller.organization, product, 1)
    ctx = ctx_for(staff)
    first, second = (new_end_user(ctx_for(reseller), name=name) for name in ("Ana", "Bo"))
    license_assign(
        ctx=ctx, end_user_id=first.public_id, product_id=product.public_id, organization=reseller.organization
    )
    with pytest.raises(PoolExhaustedError):
        license_assign(
            ctx=ctx, end_user_id=second.public_id, product_id=product.public_id, organization=reseller.organization
        )


@pytest.mark.rule("RT-4.10")
def test_staff_are_held_to_the_affiliated_cap(reseller, staff, product):
    """With fewer than ten provided, an affiliated assignment is refused whoever makes it."""
    grow_pool(reseller.organization, product, 5)
    affiliated = new_end_user(ctx_for(reseller), affiliated=True)
    with pytest.raises(AffiliateCapExceededError):
        license_assign(
            ctx=ctx_for(staff),
            end_user_id=affiliated.public_id,
            product_id=product.public_id,
            organization=reseller.organization,
        )
    assert Pool.objects.get(organization=reseller.organization).assigned == 0


@pytest.mark.rule("RT-4.6")
def test_staff_assign_a_test_license_from_the_allotment(reseller, staff, product):
    """A Test License from the reseller's allotment; refused once the end user holds an End-Point License."""
    grow_pool(reseller.organization, product, 1)
    ctx = ctx_for(staff)
    pool_test_allotment_grant(
        ctx=ctx,
        organization_id=reseller.organization.public_id,
        product_id=product.public_id,
        quantity=2,
        reason="Trial",
    )
    end_user = new_end_user(ctx_for(reseller))
    test, _key = license_test_assign(
        ctx=ctx, end_user_id=end_user.public_id, product_id=product.public_id, organization=reseller.organization
    )
    assert test.kind == LicenseKind.TEST
    assert Pool.objects.get(organization=reseller.organization).test_assigned == 1
    assert AuditEvent.objects.get(action="licensing.test_license_assigned").organization == reseller.organization


def test_a_reseller_cannot_pass_another_organisation(reseller, product):
    """Naming another reseller is the 404 of another tenant's objects; naming itself changes nothing."""
    other = member(kind="reseller", role="admin")
    grow_pool(other.organization, product, 5)
    stranger = new_end_user(ctx_for(other))
    ctx = ctx_for(reseller)
    with pytest.raises(NotFoundError):
        end_user_create(
            ctx=ctx, name="Ana", email="ana@example.com", is_affiliated=False, organization=other.organization
        )
    with pytest.raises(NotFoundError):
        license_assign(
            ctx=ctx, end_user_id=stranger.public_id, product_id=product.public_id, organization=other.organization
        )
    with pytest.raises(NotFoundError):
        license_test_assign(
            ctx=ctx, end_user_id=stranger.public_id, product_id=product.public_id, organization=other.organization
        )
    assert EndUser.objects.filter(organization=reseller.organization).count() == 0
    own = end_user_create(
        ctx=ctx, name="Bo", email="bo@example.com", is_affiliated=False, organization=reseller.organization
    )
    assert own.organization == reseller.organization


def test_support_staff_with_only_ops_read_are_refused(reseller, product):
    """The support role sees /ops/ but may not act for a reseller."""
    support = ctx_for(member(kind="operator", role="support"))
    grow_pool(reseller.organization, product, 5)
    end_user = new_end_user(ctx_for(reseller))
    with pytest.raises(MissingScopeError):
        end_user_create(
            ctx=support, name="Ana", email="ana@example.com", is_affiliated=False, organization=reseller.organization
        )
    with pytest.raises(MissingScopeError):
        license_assign(
            ctx=support,
            end_user_id=end_user.public_id,
            product_id=product.public_id,
            organization=reseller.organization,
        )
    assert License.objects.count() == 0


def test_operator_staff_without_an_organisation_are_still_refused(staff, product):
    """Without naming a reseller, staff hold no end users of their own (404), as before."""
    with pytest.raises(NotFoundError):
        end_user_create(ctx=ctx_for(staff), name="Ana", email="ana@example.com", is_affiliated=False)


def test_the_ops_pages_create_an_end_user_and_assign_a_license(reseller, staff, product):
    """From /ops/licensing/resellers/<id>/: add the end user, then assign on its page; the key is shown once."""
    grow_pool(reseller.organization, product, 3)
    client = Client()
    client.force_login(staff.user)
    base = f"/ops/licensing/resellers/{reseller.organization.public_id}/"
    refused = client.post(base, {"action": "create", "name": "Ana", "email": "ana@example.com"})
    assert refused.status_code == 422
    created = client.post(base, {"action": "create", "name": "Ana", "email": "ana@example.com", "affiliation": "no"})
    end_user = EndUser.objects.get(organization=reseller.organization)
    assert created.status_code == 302
    assert created["Location"] == f"{base}end-users/{end_user.public_id}/"
    page = client.get(created["Location"])
    assert page.status_code == 200
    assert "Assign End-Point License" in page.content.decode()
    assigned = client.post(created["Location"], {"product": str(product.public_id), "kind": "regular"})
    assert assigned.status_code == 200
    license = License.objects.get()
    assert assigned.context["new_key"].endswith(license.key_hint.lstrip("…"))
    assert Pool.objects.get(organization=reseller.organization).assigned == 1


def test_the_ops_pages_refuse_support_staff_and_other_resellers_end_users(reseller, product):
    """Support staff see the end user but get no form and a 403 on posting; another reseller's end user is 404."""
    grow_pool(reseller.organization, product, 3)
    end_user = new_end_user(ctx_for(reseller))
    support = member(kind="operator", role="support")
    client = Client()
    client.force_login(support.user)
    url = f"/ops/licensing/resellers/{reseller.organization.public_id}/end-users/{end_user.public_id}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Assign End-Point License" not in page.content.decode()
    refused = client.post(url, {"product": str(product.public_id), "kind": "regular"})
    assert refused.status_code == 403
    created = client.post(
        f"/ops/licensing/resellers/{reseller.organization.public_id}/",
        {"action": "create", "name": "Ana", "email": "ana@example.com", "affiliation": "no"},
    )
    assert created.status_code == 422
    assert License.objects.count() == 0
    assert EndUser.objects.count() == 1
    other = member(kind="reseller")
    wrong = f"/ops/licensing/resellers/{other.organization.public_id}/end-users/{end_user.public_id}/"
    client.force_login(member(kind="operator", role="staff").user)
    assert client.get(wrong).status_code == 404
