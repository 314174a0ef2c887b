"""The activation API at /licensing/v1/: signed certificates and responses, one device, weekly resets, disable-all,
termination."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.licensing import signing
from trunkline.licensing.domain.certificates import (
    body_digest,
    certificate_verify,
    fingerprint_hash,
    signing_string,
)
from trunkline.licensing.models import Activation, Pool, Reset
from trunkline.licensing.services import (
    activation_offline_create,
    license_assign,
    license_reset_override,
    license_test_assign,
    licenses_disable_all,
    pool_test_allotment_grant,
)
from trunkline.licensing.tests.conftest import grow_pool, new_end_user
from trunkline.tenancy.services import organization_terminate

pytestmark = pytest.mark.django_db
DEVICE_A = "sha256:" + "a" * 64
DEVICE_B = "sha256:" + "b" * 64
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 11:00 in Sofia


def call(client: Client, path: str, key: str | None, body: dict | None = None, method: str = "post"):
    headers = {"License-Key": key} if key else {}
    return client.generic(
        method.upper(),
        f"/licensing/v1/{path}",
        data=__import__("json").dumps(body or {}),
        content_type="application/json",
        headers=headers,
    )


def verify_signed(response, method: str = "post") -> None:
    """The response's signature verifies with the vendor's public key over target, host, date and digest."""
    header = response["Trunkline-Signature"]
    fields = dict(part.strip().split("=", 1) for part in header.split(", "))
    signature = base64.b64decode(fields["signature"].strip('"'))
    assert response["Digest"] == body_digest(response.content)
    message = signing_string(
        method=method,
        target=response.wsgi_request.get_full_path(),
        host="testserver",
        date=response["Date"],
        digest=response["Digest"],
    )
    signing.public_key().verify(signature, message)


@pytest.fixture
def key(reseller_ctx, product):
    grow_pool(reseller_ctx.organization, product, 5)
    _license, plaintext = license_assign(
        ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id
    )
    return plaintext


@pytest.mark.rule("RT-1.1.1")
def test_activation_binds_one_device_and_returns_a_verifiable_certificate(key, product):
    """Activate returns a signed certificate naming the device; the same device again is idempotent; another device
    is refused with already_active_on_another_device."""
    client = Client()
    first = call(client, "activate", key, {"fingerprint": DEVICE_A, "device_name": "Office PC", "nonce": 7})
    assert first.status_code == 201, first.content
    verify_signed(first)
    body = first.json()
    assert body["nonce"] == 7
    payload = certificate_verify(body["certificate"], signing.public_key())
    assert payload["fingerprint_hash"] == fingerprint_hash(DEVICE_A)
    assert (payload["type"], payload["product"], payload["entitlements"]["updates"]) == ("regular", "EPL-PRO", True)
    again = call(client, "activate", key, {"fingerprint": DEVICE_A})
    assert again.status_code == 201
    assert again.json()["activation_id"] == body["activation_id"]
    other = call(client, "activate", key, {"fingerprint": DEVICE_B})
    assert other.status_code == 409
    assert other.json()["code"] == "already_active_on_another_device"
    verify_signed(other)
    assert Activation.objects.filter(ended_at__isnull=True).count() == 1


@pytest.mark.rule("RT-1.1.1")
def test_the_database_refuses_a_second_device_even_without_the_code(key):
    """The partial unique constraint stops a second live activation of the license (no read-then-write race)."""
    call(Client(), "activate", key, {"fingerprint": DEVICE_A})
    live = Activation.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Activation.objects.create(
            license=live.license, slot=0, fingerprint_hash="x" * 64, activated_at=live.activated_at
        )


def test_validate_answers_valid_or_a_code(key):
    """Valid on the bound device; not_activated_on_this_device elsewhere; not_found for an unknown well-formed key."""
    client = Client()
    call(client, "activate", key, {"fingerprint": DEVICE_A})
    valid = call(client, "validate", key, {"fingerprint": DEVICE_A, "nonce": 1})
    assert (valid.status_code, valid.json()["valid"], valid.json()["code"]) == (200, True, "valid")
    verify_signed(valid)
    assert call(client, "validate", key, {"fingerprint": DEVICE_B}).json()["code"] == "not_activated_on_this_device"
    from trunkline.licensing.domain.keys import generate_key

    assert call(client, "validate", generate_key(), {"fingerprint": DEVICE_A}).json()["code"] == "not_found"
    assert call(client, "validate", "ABCDE-FGHJK", {"fingerprint": DEVICE_A}).json()["code"] == "key_invalid"
    assert call(client, "validate", None, {"fingerprint": DEVICE_A}).status_code == 401


@pytest.mark.rule("RT-4.5")
def test_a_second_reset_in_the_same_iso_week_is_refused_until_monday_in_sofia(key):
    """Reset once, activate elsewhere, reset again the same week → reset_limit_reached; from Monday 00:00 Sofia it
    works again. The license never returns to the pool."""
    client = Client()
    with time_machine.travel(MONDAY, tick=False):
        call(client, "activate", key, {"fingerprint": DEVICE_A})
        first = call(client, "reset", key, {})
        assert first.status_code == 200, first.content
        assert first.json()["next_reset_at"] == "2026-11-29T22:00:00Z"
        assert call(client, "activate", key, {"fingerprint": DEVICE_B}).status_code == 201
    with time_machine.travel(datetime(2026, 11, 29, 21, 59, tzinfo=UTC), tick=False):  # Sunday 23:59 in Sofia
        second = call(client, "reset", key, {})
        assert second.status_code == 409
        assert second.json()["code"] == "reset_limit_reached"
        assert second.json()["detail"]["next_reset_at"] == "2026-11-29T22:00:00+00:00"
    with time_machine.travel(datetime(2026, 11, 29, 22, 0, tzinfo=UTC), tick=False):  # Monday 00:00 in Sofia
        assert call(client, "reset", key, {}).status_code == 200
    assert Reset.objects.filter(by="end_user").count() == 2
    assert Pool.objects.get().assigned == 1


@pytest.mark.rule("RT-4.5")
def test_the_database_allows_one_end_user_reset_per_week(key):
    """A second end-user reset row for the same license and week is refused by the unique constraint."""
    client = Client()
    with time_machine.travel(MONDAY, tick=False):
        call(client, "activate", key, {"fingerprint": DEVICE_A})
        call(client, "reset", key, {})
    reset = Reset.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Reset.objects.create(
            license=reset.license,
            activation=reset.activation,
            week=reset.week,
            week_slot=0,
            by="end_user",
            actor_label="x",
            at=reset.at,
        )


@pytest.mark.rule("RT-4.5")
def test_deactivating_counts_as_the_weeks_reset(key):
    """Deactivate frees the device but uses the week's reset, so it cannot bypass the limit."""
    client = Client()
    with time_machine.travel(MONDAY, tick=False):
        call(client, "activate", key, {"fingerprint": DEVICE_A})
        assert call(client, "deactivate", key, {"fingerprint": DEVICE_A}).status_code == 200
        call(client, "activate", key, {"fingerprint": DEVICE_B})
        assert call(client, "reset", key, {}).json()["code"] == "reset_limit_reached"


@pytest.mark.rule("RT-4.5")
def test_deactivating_after_the_weeks_reset_is_refused_until_monday_and_is_recorded_as_a_reset(key):
    """The other order too: reset, activate elsewhere, deactivate the same week → reset_limit_reached and the device
    stays bound; on Monday 00:00 Sofia the deactivation works and takes that week's place (reason "deactivated")."""
    client = Client()
    with time_machine.travel(MONDAY, tick=False):
        call(client, "activate", key, {"fingerprint": DEVICE_A})
        assert call(client, "reset", key, {}).status_code == 200
        call(client, "activate", key, {"fingerprint": DEVICE_B})
        refused = call(client, "deactivate", key, {"fingerprint": DEVICE_B})
        assert (refused.status_code, refused.json()["code"]) == (409, "reset_limit_reached")
        assert Activation.objects.filter(ended_at__isnull=True).count() == 1
    with time_machine.travel(datetime(2026, 11, 29, 22, 0, tzinfo=UTC), tick=False):  # Monday 00:00 in Sofia
        assert call(client, "deactivate", key, {"fingerprint": DEVICE_B}).status_code == 200
        assert call(client, "reset", key, {}).json()["code"] == "not_activated"
    resets = list(Reset.objects.order_by("at").values_list("reason", "week_slot"))
    assert resets == [("reset", 0), ("deactivated", 0)]
    assert Activation.objects.filter(ended_at__isnull=True).count() == 0


@pytest.mark.rule("RT-4.5")
def test_staff_override_resets_beyond_the_limit_with_a_recorded_reason(key, operator_ctx):
    """After the week's reset is used, staff reset again with a reason; it is audited and takes no weekly place."""
    client = Client()
    with time_machine.travel(MONDAY, tick=False):
        call(client, "activate", key, {"fingerprint": DEVICE_A})
        call(client, "reset", key, {})
        call(client, "activate", key, {"fingerprint": DEVICE_B})
        license = Activation.objects.filter(ended_at__isnull=True).get().license
        license_reset_override(ctx=operator_ctx, license_id=license.public_id, reason="Disk replaced under warranty")
        assert call(client, "activate", key, {"fingerprint": "sha256:" + "c" * 64}).status_code == 201
    staff = Reset.objects.get(by="staff")
    assert (staff.reason, staff.week_slot) == ("Disk replaced under warranty", None)
    event = AuditEvent.objects.get(action="licensing.license_reset_by_staff")
    assert event.changes["reason"] == "Disk replaced under warranty"


@pytest.mark.rule("RT-4.5")
def test_an_offline_activation_cannot_be_reset_by_the_end_user(reseller_ctx, operator_ctx, product):
    """Staff activate offline; the end user's reset is refused with reset_not_allowed_offline."""
    grow_pool(reseller_ctx.organization, product, 1)
    license, key = license_assign(
        ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id
    )
    certified = activation_offline_create(ctx=operator_ctx, license_id=license.public_id, fingerprint=DEVICE_A)
    assert certificate_verify(certified.certificate, signing.public_key())["fingerprint_hash"] == fingerprint_hash(
        DEVICE_A
    )
    refused = call(Client(), "reset", key, {})
    assert (refused.status_code, refused.json()["code"]) == (403, "reset_not_allowed_offline")


@pytest.mark.rule("RT-4.6")
def test_an_expired_test_license_is_refused_by_the_activation_api(reseller_ctx, operator_ctx, product):
    """Fourteen days after assignment activate and validate answer expired, even before the job runs."""
    pool_test_allotment_grant(
        ctx=operator_ctx,
        organization_id=reseller_ctx.organization.public_id,
        product_id=product.public_id,
        quantity=1,
        reason="trial",
    )
    with time_machine.travel(MONDAY, tick=False):
        _license, key = license_test_assign(
            ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id
        )
        activated = call(Client(), "activate", key, {"fingerprint": DEVICE_A})
        payload = certificate_verify(activated.json()["certificate"], signing.public_key())
        assert payload["type"] == "test"
        assert payload["expires_at"] == (MONDAY + timedelta(days=14)).isoformat()
    with time_machine.travel(MONDAY + timedelta(days=14), tick=False):
        assert call(Client(), "validate", key, {"fingerprint": DEVICE_A}).json()["code"] == "expired"
        assert call(Client(), "activate", key, {"fingerprint": DEVICE_B}).json()["code"] == "expired"


@pytest.mark.rule("RT-6.4")
def test_disable_all_and_re_enable_round_trip(key, reseller_ctx, operator_ctx):
    """Disabled: validate says disabled and refresh is refused; enabled again: valid; both audited."""
    from trunkline.licensing.services import licenses_enable_all

    client = Client()
    call(client, "activate", key, {"fingerprint": DEVICE_A})
    assert licenses_disable_all(ctx=operator_ctx, organization=reseller_ctx.organization, reason="Penalty overdue") == 1
    assert call(client, "validate", key, {"fingerprint": DEVICE_A}).json()["code"] == "disabled"
    assert call(client, "refresh", key, {"fingerprint": DEVICE_A}).json()["code"] == "disabled"
    assert licenses_enable_all(ctx=operator_ctx, organization=reseller_ctx.organization, reason="Paid") == 1
    assert call(client, "validate", key, {"fingerprint": DEVICE_A}).json()["valid"] is True
    assert call(client, "refresh", key, {"fingerprint": DEVICE_A}).status_code == 200
    assert list(
        AuditEvent.objects.filter(action__startswith="licensing.licenses_").values_list("action", flat=True)
    ) == ["licensing.licenses_disabled", "licensing.licenses_enabled"] or set(
        AuditEvent.objects.filter(action__startswith="licensing.licenses_").values_list("action", flat=True)
    ) == {"licensing.licenses_disabled", "licensing.licenses_enabled"}


@pytest.mark.rule("RT-8.3")
def test_termination_forfeits_the_pool_and_keeps_provided_licenses_without_resets_or_updates(
    key, reseller_ctx, operator_ctx
):
    """4 unused licenses are forfeited; the provided one still validates; reset and updates are refused."""
    client = Client()
    call(client, "activate", key, {"fingerprint": DEVICE_A})
    organization_terminate(
        ctx=operator_ctx, organization_id=reseller_ctx.organization.public_id, reason="Breach", ground="breach"
    )
    pool = Pool.objects.get()
    assert (pool.forfeited, pool.available) == (4, 0)
    assert call(client, "validate", key, {"fingerprint": DEVICE_A}).json()["valid"] is True
    reset = call(client, "reset", key, {})
    assert (reset.status_code, reset.json()["code"]) == (403, "reseller_terminated")
    updates = call(client, "updates", key, {"fingerprint": DEVICE_A, "version": "5.1.0"})
    assert (updates.json()["allowed"], updates.json()["code"]) == (False, "updates_not_allowed")
    refreshed = call(client, "refresh", key, {"fingerprint": DEVICE_A}).json()
    assert certificate_verify(refreshed["certificate"], signing.public_key())["entitlements"]["updates"] is False


def test_activate_is_rate_limited_per_key(key, settings):
    """Past the per-key rate, activate answers 429 rate_limited (validate has its own, looser, rate)."""
    settings.LICENSING_RATES = {"activate": ("2/h", "100/h")}
    client = Client()
    assert call(client, "activate", key, {"fingerprint": DEVICE_A}).status_code == 201
    assert call(client, "activate", key, {"fingerprint": DEVICE_A}).status_code == 201
    limited = call(client, "activate", key, {"fingerprint": DEVICE_A})
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert call(client, "validate", key, {"fingerprint": DEVICE_A}).status_code == 200


def test_the_public_key_and_schema_are_published():
    """The public key endpoint needs no key; the OpenAPI schema lists the activation operations."""
    client = Client()
    published = client.get("/licensing/v1/public-key").json()
    assert published["key_id"] == signing.public_key_id()
    schema = client.get("/licensing/v1/openapi.json").json()
    assert {"/licensing/v1/activate", "/licensing/v1/validate", "/licensing/v1/reset"} <= set(schema["paths"])


def test_keys_never_appear_in_logs(key, caplog):
    """Activation, validation, refusals and rate limiting log paths and codes, never the license key."""
    caplog.set_level("DEBUG")
    client = Client()
    call(client, "activate", key, {"fingerprint": DEVICE_A})
    call(client, "activate", key, {"fingerprint": DEVICE_B})
    call(client, "validate", key, {"fingerprint": DEVICE_A})
    call(client, "reset", key, {})
    call(client, "reset", key, {})
    canonical = key.replace("-", "")
    assert caplog.records
    assert key not in caplog.text
    assert canonical not in caplog.text
    assert not any(key in str(record.__dict__) for record in caplog.records)
