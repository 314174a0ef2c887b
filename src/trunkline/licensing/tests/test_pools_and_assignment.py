"""Pools grow once per paid order; assignment takes one license atomically, within the affiliated cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from trunkline.audit.models import AuditEvent
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.licensing.domain.keys import hash_key, normalize_key
from trunkline.licensing.errors import AffiliateCapExceededError, PoolExhaustedError, TestLicenseRefusedError
from trunkline.licensing.models import EndUserAffiliation, License, LicensingAccount, Pool, PoolCredit
from trunkline.licensing.services import (
    end_user_create,
    end_user_import_run,
    end_user_import_start,
    end_user_update,
    license_assign,
    license_test_assign,
    license_tests_expire,
    policy_for,
    policy_set,
    pool_credit_order,
    pool_test_allotment_grant,
)
from trunkline.licensing.tests.conftest import grow_pool, new_end_user, paid_order
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db


@pytest.mark.rule("RT-3.3")
def test_a_paid_order_grows_the_pool_exactly_once(reseller, product):
    """The same order paid twice (a repeated event) credits the pool once; another order adds its own count.

    The licensing side alone, with stand-in orders (a real order cannot be paid twice); the same rule end to end —
    real order, invoice and payments — is in ``test_commerce_and_billing_events.py``, and every other test grows its
    pool through a real paid order (``grow_pool``)."""
    order = paid_order(reseller.organization, product, 25)
    pool_credit_order(order=order)
    pool_credit_order(order=order)
    pool = Pool.objects.get(organization=reseller.organization, product=product)
    assert (pool.purchased, pool.available) == (25, 25)
    pool_credit_order(order=paid_order(reseller.organization, product, 5))
    pool.refresh_from_db()
    assert pool.purchased == 30
    assert PoolCredit.objects.filter(pool=pool, kind="order").count() == 2


@pytest.mark.rule("RT-4.3")
@pytest.mark.rule("RT-4.4")
def test_assignment_takes_one_license_and_emails_the_key(reseller_ctx, product, django_capture_on_commit_callbacks):
    """One assignment: available drops by one, the key is shown once, stored only hashed, and mailed to the end user."""
    grow_pool(reseller_ctx.organization, product, 3)
    end_user = new_end_user(reseller_ctx)
    with django_capture_on_commit_callbacks(execute=True):
        license, key = license_assign(ctx=reseller_ctx, end_user_id=end_user.public_id, product_id=product.public_id)
    assert Pool.objects.get(organization=reseller_ctx.organization).available == 2
    assert license.key_hash == hash_key(normalize_key(key))
    assert key not in str(License.objects.filter(pk=license.pk).values().get())
    assert [message.to for message in mail.outbox] == [[end_user.email]]
    assert key in mail.outbox[0].body
    event = AuditEvent.objects.get(action="licensing.license_assigned")
    assert key not in str(event.changes)
    assert event.changes["policy"]["affiliated_cap_percent"] == "10.00"


@pytest.mark.rule("RT-4.4")
def test_an_empty_pool_refuses_and_nothing_changes(reseller_ctx, product):
    """With nothing available the assignment fails with licensing.pool_exhausted and no license exists."""
    grow_pool(reseller_ctx.organization, product, 1)
    license_assign(ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id)
    with pytest.raises(PoolExhaustedError) as error:
        license_assign(ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id)
    assert error.value.code == "licensing.pool_exhausted"
    assert License.objects.count() == 1
    assert Pool.objects.get().available == 0


def test_another_resellers_end_user_is_not_found(reseller_ctx, product):
    """A reseller cannot assign to another reseller's end user: 404, and its pool is untouched."""
    grow_pool(reseller_ctx.organization, product, 1)
    stranger = new_end_user(ctx_for(member(kind="reseller")))
    with pytest.raises(NotFoundError):
        license_assign(ctx=reseller_ctx, end_user_id=stranger.public_id, product_id=product.public_id)
    assert Pool.objects.get(organization=reseller_ctx.organization).available == 1


@pytest.mark.rule("RT-4.10")
def test_affiliate_cap_refuses_the_eleventh_percent(reseller_ctx, product):
    """With 100 licenses provided of which 10 affiliated, the next affiliated assignment is refused, nothing changes."""
    grow_pool(reseller_ctx.organization, product, 120)
    for _ in range(90):
        license_assign(ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id)
    for _ in range(10):
        affiliate = new_end_user(reseller_ctx, affiliated=True)
        license_assign(ctx=reseller_ctx, end_user_id=affiliate.public_id, product_id=product.public_id)
    with pytest.raises(AffiliateCapExceededError) as error:
        license_assign(
            ctx=reseller_ctx,
            end_user_id=new_end_user(reseller_ctx, affiliated=True).public_id,
            product_id=product.public_id,
        )
    assert error.value.code == "licensing.affiliate_cap_exceeded"
    assert error.value.message == (
        "At most 10 % of the End-Point Licenses you provide may go to Affiliated Parties; this assignment would make "
        "it 11 of 101."
    )
    assert Pool.objects.get().available == 20
    account = LicensingAccount.objects.get(organization=reseller_ctx.organization)
    assert (account.provided, account.affiliated) == (100, 10)


@pytest.mark.rule("RT-4.10")
def test_small_numbers_round_down(reseller_ctx, product):
    """With 10 %, an affiliated assignment needs 9 independent ones before it; the 9th-place affiliate is refused."""
    grow_pool(reseller_ctx.organization, product, 20)
    for _ in range(8):
        license_assign(ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id)
    affiliate = new_end_user(reseller_ctx, affiliated=True)
    with pytest.raises(AffiliateCapExceededError):  # 1 of 9 = 11.1 %
        license_assign(ctx=reseller_ctx, end_user_id=affiliate.public_id, product_id=product.public_id)
    license_assign(ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id)
    license_assign(ctx=reseller_ctx, end_user_id=affiliate.public_id, product_id=product.public_id)  # 1 of 10
    assert LicensingAccount.objects.get().affiliated == 1


@pytest.mark.rule("RT-4.11")
@pytest.mark.rule("RT-7.1.2")
def test_the_affiliated_flag_is_required_and_its_history_kept(reseller_ctx):
    """Creating without a choice fails with a field error; each change is recorded with its reason."""
    with pytest.raises(ValidationFailedError) as error:
        end_user_create(ctx=reseller_ctx, name="Ivo", email="ivo@example.com", is_affiliated=None)
    assert list(error.value.fields) == ["is_affiliated"]
    end_user = end_user_create(ctx=reseller_ctx, name="Ivo", email="ivo@example.com", is_affiliated=False)
    end_user_update(
        ctx=reseller_ctx, end_user_id=end_user.public_id, changes={"is_affiliated": True}, reason="Became a partner"
    )
    history = list(EndUserAffiliation.objects.filter(end_user=end_user).values_list("is_affiliated", "reason"))
    assert history == [(False, ""), (True, "Became a partner")]
    from trunkline.licensing.personal_data import PERSONAL_DATA

    assert set(PERSONAL_DATA["licensing.EndUser"]) == {"name", "email", "phone", "address"}
    assert "fingerprint_hash" in PERSONAL_DATA["licensing.Activation"]
    assert "data" in PERSONAL_DATA["licensing.EndUserImport"]


def test_csv_import_creates_valid_rows_and_reports_the_others(reseller_ctx):
    """Two good rows are created; the bad row is reported with its line number and every problem of it."""
    data = (
        b"name,email,phone,address,affiliated,reference\n"
        b"Ana,ana@example.com,+35921234567,Sofia,no,A1\n"
        b",bad-email,,,maybe,\n"
        b"Boris,boris@example.com,,,yes,\n"
    )
    record = end_user_import_run(import_id=end_user_import_start(ctx=reseller_ctx, data=data).pk)
    assert (record.rows_total, record.rows_done, record.created) == (3, 3, 2)
    assert record.errors == [
        {
            "row": 3,
            "message": "name: Give the end user's name.; "
            "email: Give a valid email address; the license key is sent there.; "
            "affiliated: Choose whether the end user is an Affiliated Party or an independent third party.",
        }
    ]


# --- Test Licenses (RT-4.6) ----------------------------------------------------------------------------------------


@pytest.fixture
def allotment(operator_ctx, reseller_ctx, product):
    return pool_test_allotment_grant(
        ctx=operator_ctx,
        organization_id=reseller_ctx.organization.public_id,
        product_id=product.public_id,
        quantity=10,
        reason="Trial for a new reseller",
    )


@pytest.mark.rule("RT-4.6")
def test_a_test_license_expires_exactly_fourteen_days_after_assignment(reseller_ctx, product, allotment):
    """Valid 14 days from assignment; the job marks it expired then, and it never returns to the allotment."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    license, _key = license_test_assign(
        ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id, at=at
    )
    assert license.expires_at == at + timedelta(days=14)
    assert license_tests_expire(at=at + timedelta(days=14) - timedelta(seconds=1)) == 0
    assert license_tests_expire(at=at + timedelta(days=14)) == 1
    license.refresh_from_db()
    assert (license.status, license.expired_at) == ("expired", at + timedelta(days=14))
    assert Pool.objects.get().test_available == 9


@pytest.mark.rule("RT-4.6")
def test_the_third_test_occasion_is_refused(reseller_ctx, product, allotment):
    """Two occasions are allowed per end user; the third is refused and takes nothing from the allotment."""
    end_user = new_end_user(reseller_ctx)
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC)):
        license_test_assign(ctx=reseller_ctx, end_user_id=end_user.public_id, product_id=product.public_id)
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC)):
        license_test_assign(ctx=reseller_ctx, end_user_id=end_user.public_id, product_id=product.public_id)
    with time_machine.travel(datetime(2026, 6, 1, tzinfo=UTC)), pytest.raises(TestLicenseRefusedError) as error:
        license_test_assign(ctx=reseller_ctx, end_user_id=end_user.public_id, product_id=product.public_id)
    assert error.value.detail == {"reason": "occasions_used", "occasions": 2}
    assert Pool.objects.get().test_assigned == 2


@pytest.mark.rule("RT-4.6")
def test_no_test_license_while_a_regular_one_is_held(reseller_ctx, product, allotment):
    """An end user holding an End-Point License is refused a Test License."""
    grow_pool(reseller_ctx.organization, product, 1)
    end_user = new_end_user(reseller_ctx)
    license_assign(ctx=reseller_ctx, end_user_id=end_user.public_id, product_id=product.public_id)
    with pytest.raises(TestLicenseRefusedError) as error:
        license_test_assign(ctx=reseller_ctx, end_user_id=end_user.public_id, product_id=product.public_id)
    assert error.value.detail == {"reason": "holds_regular_license"}


@pytest.mark.rule("RT-4.6")
def test_a_regular_assignment_expires_active_test_licenses_at_once(reseller_ctx, product, allotment):
    """The moment an End-Point License is assigned, the end user's active Test License is expired."""
    grow_pool(reseller_ctx.organization, product, 1)
    end_user = new_end_user(reseller_ctx)
    test, _ = license_test_assign(ctx=reseller_ctx, end_user_id=end_user.public_id, product_id=product.public_id)
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    license_assign(ctx=reseller_ctx, end_user_id=end_user.public_id, product_id=product.public_id, at=at)
    test.refresh_from_db()
    assert (test.status, test.expired_at, test.expired_reason) == ("expired", at, "regular_assigned")


@pytest.mark.rule("RT-4.6")
def test_only_staff_grant_allotments_with_a_reason(reseller_ctx, operator_ctx, product):
    """A reseller cannot grant itself Test Licenses; staff must give a reason."""
    from trunkline.core.errors import MissingScopeError

    with pytest.raises(MissingScopeError):
        pool_test_allotment_grant(
            ctx=reseller_ctx,
            organization_id=reseller_ctx.organization.public_id,
            product_id=product.public_id,
            quantity=5,
            reason="x",
        )
    with pytest.raises(ValidationFailedError):
        pool_test_allotment_grant(
            ctx=operator_ctx,
            organization_id=reseller_ctx.organization.public_id,
            product_id=product.public_id,
            quantity=5,
            reason=" ",
        )


def test_policy_is_data_with_reseller_overrides(operator_ctx, reseller_ctx, product):
    """A reseller override changes only that reseller's numbers and is used by the next decision."""
    assert policy_for(reseller=reseller_ctx.organization, product=product).test_validity_days == 14
    policy_set(
        ctx=operator_ctx, product=product, organization=reseller_ctx.organization, values={"test_validity_days": 30}
    )
    assert policy_for(reseller=reseller_ctx.organization, product=product).test_validity_days == 30
    other = member(kind="reseller").organization
    assert policy_for(reseller=other, product=product).test_validity_days == 14
