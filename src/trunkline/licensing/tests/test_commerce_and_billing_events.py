"""Licensing wired to the real commerce and billing objects: a fully paid order grows the pool exactly once (RT-3.3);
an overdue penalty disables all licenses and paying it re-enables them (RT-6.4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.billing.services import penalty_raise
from trunkline.billing.tests.factories import billing_world
from trunkline.commerce.services import order_mark_paid
from trunkline.licensing.models import License, LicensingAccount, Pool, PoolCredit
from trunkline.licensing.services import license_assign
from trunkline.licensing.tasks import penalties_enforce_task
from trunkline.licensing.tests.conftest import new_end_user

pytestmark = pytest.mark.django_db
DEVICE = "sha256:" + "d" * 64


@pytest.mark.rule("RT-3.3")
def test_a_partly_paid_order_releases_nothing_and_full_payment_grows_the_pool_once():
    """Half paid: the pool is empty. Fully paid: it holds the order's 10. Marking it paid again adds nothing."""
    world = billing_world()
    proforma = world.invoiced(quantity=10)
    world.pay(proforma, str(proforma.gross_amount / 2))
    assert not Pool.objects.filter(organization=world.reseller.organization).exists()
    world.pay(proforma, str(proforma.gross_amount / 2))
    pool = Pool.objects.get(organization=world.reseller.organization, product=world.product)
    assert (pool.purchased, pool.available) == (10, 10)
    order = proforma.order
    assert order is not None
    order.refresh_from_db()
    order_mark_paid(ctx=None, order=order)
    from trunkline.licensing.services import pool_credit_order

    pool_credit_order(order=order)  # a replayed event: the unique credit per order refuses it
    pool.refresh_from_db()
    assert pool.purchased == 10
    assert PoolCredit.objects.filter(pool=pool, kind="order", order_public_id=order.public_id).count() == 1


@pytest.mark.rule("RT-6.4")
def test_an_overdue_penalty_disables_every_license_and_paying_it_re_enables_them():
    """The job disables all licenses of the reseller once the penalty is past due; full payment brings them back."""
    world = billing_world()
    proforma = world.invoiced(quantity=5)
    world.pay(proforma, str(proforma.gross_amount))
    license, key = license_assign(
        ctx=world.reseller_ctx,
        end_user_id=new_end_user(world.reseller_ctx).public_id,
        product_id=world.product.public_id,
    )
    client = Client()
    activated = client.post(
        "/licensing/v1/activate", {"fingerprint": DEVICE}, content_type="application/json", headers={"License-Key": key}
    )
    assert activated.status_code == 201
    raised_at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    penalty = penalty_raise(
        ctx=world.staff_ctx,
        organization_id=world.reseller.organization.public_id,
        product_id=world.product.public_id,
        licenses=1,
        reason="RT-4.10: affiliated share above the cap",
        at=raised_at,
    )
    with time_machine.travel(raised_at + timedelta(days=1), tick=False):
        assert penalties_enforce_task.call() == {"resellers_disabled": 0}  # not due yet
    with time_machine.travel(datetime.combine(penalty.due_date + timedelta(days=1), datetime.min.time(), UTC)):
        assert penalties_enforce_task.call() == {"resellers_disabled": 1}
        assert penalties_enforce_task.call() == {"resellers_disabled": 0}  # idempotent
        license.refresh_from_db()
        assert license.disabled_at is not None
        validated = client.post(
            "/licensing/v1/validate",
            {"fingerprint": DEVICE},
            content_type="application/json",
            headers={"License-Key": key},
        )
        assert validated.json()["code"] == "disabled"
        world.pay(penalty, str(penalty.gross_amount), received_on=date.today())
    license.refresh_from_db()
    assert license.disabled_at is None
    assert LicensingAccount.objects.get(organization=world.reseller.organization).disabled_at is None
    assert set(
        AuditEvent.objects.filter(action__in=["licensing.licenses_disabled", "licensing.licenses_enabled"]).values_list(
            "action", flat=True
        )
    ) == {"licensing.licenses_disabled", "licensing.licenses_enabled"}
    assert License.objects.filter(disabled_at__isnull=False).count() == 0
