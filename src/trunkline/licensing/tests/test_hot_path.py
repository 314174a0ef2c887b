"""The activation API's hot path (raw SQL): it reaches only outcomes the locked ORM path would reach, writes the
audit event with the activation, stores the policy values it used, and steps aside whenever the license changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trunkline.audit.models import AuditEvent
from trunkline.core import clock
from trunkline.licensing.domain.certificates import fingerprint_hash
from trunkline.licensing.domain.keys import hash_key, normalize_key
from trunkline.licensing.models import Activation, License, LicensingPolicy
from trunkline.licensing.services import (
    activation_activate,
    activation_validate,
    hot_path,
    license_assign,
    licenses_disable_all,
    policy_set,
)
from trunkline.licensing.services.pools import policy_cache, policy_values_for
from trunkline.licensing.tests.conftest import grow_pool, new_end_user

pytestmark = pytest.mark.django_db
DEVICE_A = "sha256:" + "a" * 64
DEVICE_B = "sha256:" + "b" * 64


@pytest.fixture
def key(reseller_ctx, product):
    grow_pool(reseller_ctx.organization, product, 5)
    _license, plaintext = license_assign(
        ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id
    )
    return plaintext


def _bind(key: str, device: str, *, slot: int = 0):
    key_hash = hash_key(normalize_key(key))
    row = hot_path.license_row(key_hash)
    assert row is not None
    return hot_path.activation_bind(
        license=row,
        key_hash=key_hash,
        slot=slot,
        fingerprint_hash=fingerprint_hash(device),
        device_name="Desk",
        product_version="2.1",
        ip="192.0.2.7",
        user_agent="softphone/2.1",
        policy=row.policy(),
        at=clock.now(),
    )


@pytest.mark.rule("RT-1.1.1")
def test_a_first_activation_takes_one_read_and_one_write(key):
    """A first activation is the license read, the policy (cached outside transactions) and one write; no locked
    ORM path and no separate audit statement on PostgreSQL."""
    with CaptureQueriesContext(connection) as queries:
        activation_activate(key=key, fingerprint=DEVICE_A, device_name="Desk")
    statements = [query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]
    writes = [sql for sql in statements if sql.lstrip().upper().startswith(("INSERT", "WITH"))]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 2)
    assert not any("FOR UPDATE" in sql and sql.lstrip().upper().startswith("SELECT") for sql in statements)


@pytest.mark.rule("RT-1.1.1")
def test_the_hot_path_stores_the_policy_and_writes_the_audit_event_with_the_activation(key):
    """The activation row carries the policy values used; its audit event names the device, slot and version."""
    public_id = _bind(key, DEVICE_A)
    activation = Activation.objects.get(public_id=public_id)
    default = LicensingPolicy.objects.get(product__isnull=True, organization__isnull=True)
    assert activation.policy == default.snapshot()
    assert (activation.slot, activation.device_name, activation.product_version, activation.ip) == (
        0,
        "Desk",
        "2.1",
        "192.0.2.7",
    )
    event = AuditEvent.objects.get(action="licensing.license_activated")
    assert event.target_id == str(activation.license.public_id)
    assert event.changes == {"device_name": "Desk", "slot": 0, "version": "2.1"}
    assert (event.ip, event.user_agent, event.organization_id) == (
        "192.0.2.7",
        "softphone/2.1",
        activation.license.organization_id,
    )


@pytest.mark.rule("RT-1.1.1")
def test_the_constraint_refuses_a_second_device_on_the_hot_path_and_nothing_is_written(key):
    """A bind racing into an occupied slot returns None: no activation, no audit event (the locked path refuses)."""
    assert _bind(key, DEVICE_A) is not None
    assert _bind(key, DEVICE_B, slot=0) is None
    assert Activation.objects.count() == 1
    assert AuditEvent.objects.filter(action="licensing.license_activated").count() == 1


@pytest.mark.rule("RT-6.4")
def test_a_license_disabled_after_the_read_is_not_bound(key, reseller_ctx, operator_ctx):
    """The bind re-checks the license under its row lock: disabled between read and write → nothing is written."""
    key_hash = hash_key(normalize_key(key))
    row = hot_path.license_row(key_hash)
    assert row is not None
    licenses_disable_all(ctx=operator_ctx, organization=reseller_ctx.organization, reason="Penalty overdue")
    bound = hot_path.activation_bind(
        license=row,
        key_hash=key_hash,
        slot=0,
        fingerprint_hash=fingerprint_hash(DEVICE_A),
        device_name="",
        product_version="",
        ip=None,
        user_agent="",
        policy=row.policy(),
        at=clock.now(),
    )
    assert bound is None
    assert Activation.objects.count() == 0
    assert activation_validate(key=key, fingerprint=DEVICE_A).code == "disabled"


def test_a_reissued_key_is_not_bound_with_the_old_digest(key):
    """The bind matches the key digest under the lock too: a key replaced after the read binds nothing."""
    key_hash = hash_key(normalize_key(key))
    row = hot_path.license_row(key_hash)
    assert row is not None
    License.objects.filter(pk=row.id).update(key_hash="0" * 64)
    assert _bind_with(row, key_hash) is None


def _bind_with(row, key_hash):
    return hot_path.activation_bind(
        license=row,
        key_hash=key_hash,
        slot=0,
        fingerprint_hash=fingerprint_hash(DEVICE_A),
        device_name="",
        product_version="",
        ip=None,
        user_agent="",
        policy=row.policy(),
        at=clock.now(),
    )


def test_an_expired_test_license_is_not_bound(key):
    """Expired by time (not yet by the job): the hot path steps aside and the locked path answers ``expired``."""
    License.objects.update(expires_at=clock.now() - timedelta(seconds=1))
    row = hot_path.license_row(hash_key(normalize_key(key)))
    assert row is not None
    assert not row.is_usable(clock.now())
    assert _bind_with(row, hash_key(normalize_key(key))) is None


@pytest.mark.django_db(transaction=True)
def test_the_policy_cache_serves_outside_transactions_and_is_cleared_on_change(product, operator_ctx):
    """Outside a transaction the policy comes from memory; saving a policy clears it at once in this process."""
    policy_cache.clear()
    before = policy_values_for(organization_id=0, product_id=product.pk)
    with CaptureQueriesContext(connection) as queries:
        assert policy_values_for(organization_id=0, product_id=product.pk) == before
    assert len(queries.captured_queries) == 0
    policy_set(ctx=operator_ctx, product=product, organization=None, values={"certificate_lifetime_days": 9})
    after = policy_values_for(organization_id=0, product_id=product.pk)
    assert (before["certificate_lifetime_days"], after["certificate_lifetime_days"]) == (30, 9)
    assert after["policy_id"] != before["policy_id"]
