"""The activation API's services (RT-1.1.1, RT-4.5, RT-4.6, RT-6.4, RT-8.3): the license key is the credential.

Every write here locks the license row first (``SELECT ... FOR UPDATE``), so requests for one license run one after
another; the partial unique constraints on activations and resets are the database's own guarantee behind that.
Activate, validate and refresh first try ``hot_path`` (raw SQL, one read and at most one single-statement write that
locks and re-checks the license row itself); anything but a plain success falls through to the locked ORM path here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.errors import ValidationFailedError
from trunkline.licensing import signing
from trunkline.licensing.domain.certificates import certificate_sign, fingerprint_hash
from trunkline.licensing.domain.keys import KeyFormatError, hash_key, normalize_key
from trunkline.licensing.domain.weeks import next_week_starts_at, week_start
from trunkline.licensing.errors import ActivationRefusedError
from trunkline.licensing.models import (
    Activation,
    ActivationMethod,
    License,
    LicenseStatus,
    LicensingPolicy,
    Reset,
    ResetBy,
)
from trunkline.licensing.services import hot_path
from trunkline.licensing.services.pools import policy_for, require_operator_staff

STALE_VALIDATION = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    """Who is calling the activation API: the client's address and agent (for audit and rate limits)."""

    ip: str | None = None
    user_agent: str = ""


@dataclass(frozen=True)
class Certified:
    """A signed certificate for one activation, with what the API answers about it."""

    license_id: UUID
    activation_id: UUID
    kind: str
    product: str
    certificate: str
    expires_at: datetime


def refuse(code: str, message: str, status: int = 409, **detail: Any) -> ActivationRefusedError:
    return ActivationRefusedError(code, message, http_status=status, detail=detail)


def _license_for_key(key: str, *, lock: bool) -> License:
    try:
        canonical = normalize_key(key)
    except KeyFormatError:
        raise refuse("key_invalid", _("This is not a valid license key; check it for typing errors."), 422) from None
    licenses = License.objects.select_related("organization", "product", "end_user")
    if lock:
        licenses = licenses.select_for_update(of=("self",))
    license = licenses.filter(key_hash=hash_key(canonical)).first()
    if license is None:
        raise refuse("not_found", _("No license has this key."), 404)
    return license


def _is_expired(license: License, at: datetime) -> bool:
    return license.status == LicenseStatus.EXPIRED or (license.expires_at is not None and license.expires_at <= at)


def _require_usable(license: License, at: datetime) -> None:
    if license.disabled_at is not None:
        raise refuse("disabled", _("This license is disabled."), 403)
    if _is_expired(license, at):
        raise refuse("expired", _("This license has expired."), 403)


def _end_user_ctx(license: License, caller: Caller) -> RequestContext:
    return RequestContext(
        organization=license.organization,
        scopes=frozenset(),
        ip=caller.ip,
        user_agent=caller.user_agent,
        extra={"license": license.key_hint},
    )


def _sign_certificate(
    *,
    license_id: UUID,
    activation_id: UUID,
    product: str,
    kind: str,
    fingerprint_hash_: str,
    license_expires_at: datetime | None,
    reseller_terminated: bool,
    policy: dict[str, Any],
    at: datetime,
) -> Certified:
    """The certificate payload and its Ed25519 signature (both paths build it here, so they certify alike)."""
    expires_at = at + timedelta(days=int(policy["certificate_lifetime_days"]))
    if license_expires_at is not None:
        expires_at = min(expires_at, license_expires_at)
    updates = not reseller_terminated
    payload = {
        "v": 1,
        "license_id": str(license_id),
        "product": product,
        "fingerprint_hash": fingerprint_hash_,
        "type": kind,
        "issued_at": at.isoformat(),
        "expires_at": expires_at.isoformat(),
        "grace_days": policy["certificate_grace_days"],
        "entitlements": {"updates": updates, "update_channel": "stable" if updates else "none"},
    }
    return Certified(
        license_id=license_id,
        activation_id=activation_id,
        kind=kind,
        product=product,
        certificate=certificate_sign(payload, signing.signing_key(), kid=signing.public_key_id()),
        expires_at=expires_at,
    )


def _certificate(
    license: License, activation: Activation, at: datetime, policy: LicensingPolicy | None = None
) -> Certified:
    policy = policy or policy_for(reseller=license.organization, product=license.product)
    if activation.certificate_issued_at != at:
        Activation.objects.filter(pk=activation.pk).update(certificate_issued_at=at)
    return _sign_certificate(
        license_id=license.public_id,
        activation_id=activation.public_id,
        product=license.product.code,
        kind=license.kind,
        fingerprint_hash_=activation.fingerprint_hash,
        license_expires_at=license.expires_at,
        reseller_terminated=license.organization.status == "terminated",
        policy=policy.snapshot(),
        at=at,
    )


def _hot_certificate(row: hot_path.LicenseRow, activation_id: UUID, device: str, policy: dict[str, Any], at: datetime):
    return _sign_certificate(
        license_id=row.public_id,
        activation_id=activation_id,
        product=row.product_code,
        kind=row.kind,
        fingerprint_hash_=device,
        license_expires_at=row.expires_at,
        reseller_terminated=row.organization_status == "terminated",
        policy=policy,
        at=at,
    )


def _key_hash(key: str) -> str:
    try:
        return hash_key(normalize_key(key))
    except KeyFormatError:
        raise refuse("key_invalid", _("This is not a valid license key; check it for typing errors."), 422) from None


def _current(license: License, fingerprint_hash_: str) -> Activation | None:
    return license.activations.filter(ended_at__isnull=True, fingerprint_hash=fingerprint_hash_).first()


def _clean_fingerprint(fingerprint: str) -> str:
    fingerprint = fingerprint.strip()
    if not 8 <= len(fingerprint) <= 256:
        raise ValidationFailedError(fields={"fingerprint": [_("Send the device fingerprint (8 to 256 characters).")]})
    return fingerprint_hash(fingerprint)


def activation_activate(
    *,
    key: str,
    fingerprint: str,
    device_name: str = "",
    product_version: str = "",
    caller: Caller = Caller(),
    at: datetime | None = None,
) -> Certified:
    """Bind the license to this device, or refuse; activating again on the same device returns the same binding with
    a fresh certificate."""
    at = at or clock.now()
    device = _clean_fingerprint(fingerprint)
    device_name, product_version = device_name.strip()[:200], product_version.strip()[:64]
    key_hash = _key_hash(key)
    row = hot_path.license_row(key_hash)
    if row is not None and row.is_usable(at):
        policy_values = row.policy()
        existing_live = next((live for live in row.live if live.fingerprint_hash == device), None)
        if existing_live is not None:
            if hot_path.activation_touch(license=row, key_hash=key_hash, activation_id=existing_live.id, at=at):
                return _hot_certificate(row, existing_live.public_id, device, policy_values, at)
        else:
            used_slots = {live.slot for live in row.live}
            slot = next((n for n in range(int(policy_values["devices_per_license"])) if n not in used_slots), None)
            if slot is not None:
                bound = hot_path.activation_bind(
                    license=row,
                    key_hash=key_hash,
                    slot=slot,
                    fingerprint_hash=device,
                    device_name=device_name,
                    product_version=product_version,
                    ip=caller.ip,
                    user_agent=caller.user_agent,
                    policy=policy_values,
                    at=at,
                )
                if bound is not None:
                    return _hot_certificate(row, bound, device, policy_values, at)
    # Anything but a plain success (or a lost race): the locked path decides, with its exact refusals.
    with transaction.atomic():
        license = _license_for_key(key, lock=True)
        _require_usable(license, at)
        live = list(license.activations.filter(ended_at__isnull=True))
        policy = policy_for(reseller=license.organization, product=license.product)
        existing = next((activation for activation in live if activation.fingerprint_hash == device), None)
        if existing is not None:
            return _certificate(license, existing, at, policy)
        used = {activation.slot for activation in live}
        free = [slot for slot in range(policy.devices_per_license) if slot not in used]
        if not free:
            raise refuse(
                "already_active_on_another_device",
                _("This license is active on another device. Reset it there (once a week) to move it."),
            )
        try:  # no savepoint needed: a failed insert ends this transaction with the refusal
            activation = Activation.objects.create(
                license=license,
                slot=free[0],
                fingerprint_hash=device,
                device_name=device_name,
                product_version=product_version,
                method=ActivationMethod.ONLINE,
                activated_at=at,
                ip=caller.ip,
                certificate_issued_at=at,
                policy=policy.snapshot(),
            )
        except IntegrityError:
            raise refuse(
                "already_active_on_another_device",
                _("This license is active on another device. Reset it there (once a week) to move it."),
            ) from None
        audit_record(
            ctx=_end_user_ctx(license, caller),
            action="licensing.license_activated",
            target=license,
            changes={"device_name": activation.device_name, "slot": activation.slot, "version": product_version},
            at=at,
        )
        return _certificate(license, activation, at, policy)


@dataclass(frozen=True)
class Validation:
    valid: bool
    code: str
    message: str
    license_id: UUID | None = None
    kind: str | None = None
    expires_at: datetime | None = None
    reseller_terminated: bool = False


def activation_validate(*, key: str, fingerprint: str, at: datetime | None = None) -> Validation:
    """Is this license usable on this device now? Never raises for a license state: the answer carries the code.
    One read by the key's digest (and a conditional write of the validation time at most once a minute)."""
    at = at or clock.now()
    device = _clean_fingerprint(fingerprint)
    try:
        key_hash = _key_hash(key)
    except ActivationRefusedError as error:
        return Validation(False, error.code, error.message)
    row = hot_path.license_row(key_hash, fingerprint_hash=device)
    if row is None:
        return Validation(False, "not_found", _("No license has this key."))
    facts = Validation(
        False,
        "",
        "",
        license_id=row.public_id,
        kind=row.kind,
        expires_at=row.expires_at,
        reseller_terminated=row.organization_status == "terminated",
    )
    if row.is_disabled:
        return replace(facts, code="disabled", message=_("This license is disabled."))
    if row.status == LicenseStatus.EXPIRED or (row.expires_at is not None and row.expires_at <= at):
        return replace(facts, code="expired", message=_("This license has expired."))
    if not row.live:
        return replace(
            facts, code="not_activated_on_this_device", message=_("This license is not activated on this device.")
        )
    hot_path.license_validated(license=row, at=at, stale_before=at - STALE_VALIDATION)
    return replace(facts, valid=True, code="valid", message=_("The license is valid on this device."))


def activation_refresh(*, key: str, fingerprint: str, at: datetime | None = None) -> Certified:
    """A fresh certificate for a device the license is bound to; none while disabled or expired."""
    at = at or clock.now()
    device = _clean_fingerprint(fingerprint)
    key_hash = _key_hash(key)
    row = hot_path.license_row(key_hash, fingerprint_hash=device)
    if row is not None and row.is_usable(at) and row.live:
        policy_values = row.policy()
        if hot_path.activation_touch(license=row, key_hash=key_hash, activation_id=row.live[0].id, at=at):
            return _hot_certificate(row, row.live[0].public_id, device, policy_values, at)
    with transaction.atomic():
        license = _license_for_key(key, lock=True)
        _require_usable(license, at)
        activation = _current(license, device)
        if activation is None:
            raise refuse("not_activated_on_this_device", _("This license is not activated on this device."))
        return _certificate(license, activation, at)


def _free_device(*, key: str, fingerprint: str | None, reason: str, caller: Caller, at: datetime | None) -> Reset:
    at = at or clock.now()
    with transaction.atomic():
        license = _license_for_key(key, lock=True)
        if license.organization.status == "terminated":
            raise refuse("reseller_terminated", _("Resets are no longer possible for this license."), 403)
        _require_usable(license, at)
        activations = license.activations.filter(ended_at__isnull=True)
        if fingerprint:
            activations = activations.filter(fingerprint_hash=_clean_fingerprint(fingerprint))
        activation = activations.order_by("slot").first()
        if activation is None:
            raise refuse("not_activated", _("This license is not activated on that device."))
        if activation.method != ActivationMethod.ONLINE:
            raise refuse(
                "reset_not_allowed_offline",
                _("An offline activation can only be reset by the vendor's staff."),
                403,
            )
        policy = policy_for(reseller=license.organization, product=license.product)
        week = week_start(at, policy.reset_time_zone)
        used = Reset.objects.filter(license=license, week=week, by=ResetBy.END_USER).count()
        limit_reached = refuse(
            "reset_limit_reached",
            _("This license was already reset this week. The next reset is possible from %(when)s.")
            % {"when": next_week_starts_at(at, policy.reset_time_zone).isoformat()},
            409,
            next_reset_at=next_week_starts_at(at, policy.reset_time_zone).isoformat(),
            resets_per_week=policy.resets_per_week,
        )
        if used >= policy.resets_per_week:
            raise limit_reached
        try:
            with transaction.atomic():
                reset = Reset.objects.create(
                    license=license,
                    activation=activation,
                    week=week,
                    week_slot=used,
                    by=ResetBy.END_USER,
                    reason=reason,
                    actor_label="end user",
                    at=at,
                    policy=policy.snapshot(),
                )
        except IntegrityError:
            raise limit_reached from None
        Activation.objects.filter(pk=activation.pk).update(ended_at=at, ended_reason=reason)
        audit_record(
            ctx=_end_user_ctx(license, caller),
            action=f"licensing.license_{reason}",
            target=license,
            changes={"device_name": activation.device_name, "week": week.isoformat(), "policy": reset.policy},
            at=at,
        )
    return reset


def activation_reset(
    *, key: str, fingerprint: str | None = None, caller: Caller = Caller(), at: datetime | None = None
) -> Reset:
    """The end user frees the device to activate on another (RT-4.5): online activations only, at most
    ``resets_per_week`` per ISO week in the policy's zone; the license never returns to the pool."""
    return _free_device(key=key, fingerprint=fingerprint, reason="reset", caller=caller, at=at)


def activation_deactivate(
    *, key: str, fingerprint: str, caller: Caller = Caller(), at: datetime | None = None
) -> Reset:
    """Deactivate this device. It frees the device like a reset and counts as the week's reset, or deactivating and
    activating elsewhere would bypass RT-4.5."""
    return _free_device(key=key, fingerprint=fingerprint, reason="deactivated", caller=caller, at=at)


def activation_updates(*, key: str, fingerprint: str, version: str, at: datetime | None = None) -> Validation:
    """May this license install product version ``version``? Not after the reseller's termination (RT-8.3)."""
    validation = activation_validate(key=key, fingerprint=fingerprint, at=at)
    if not validation.valid:
        return validation
    if validation.reseller_terminated:
        return replace(
            validation,
            valid=False,
            code="updates_not_allowed",
            message=_("This license no longer receives product updates."),
        )
    return replace(validation, message=_("Version %(version)s may be installed.") % {"version": version})


# --- Vendor staff ------------------------------------------------------------------------------------------------


def license_reset_override(*, ctx: RequestContext, license_id: UUID, reason: str, at: datetime | None = None) -> Reset:
    """Vendor staff free a license's device beyond the weekly allowance, or an offline activation, with a recorded
    reason (RT-4.5). Not for a terminated reseller's licenses (RT-8.3)."""
    require_operator_staff(ctx)
    if not reason.strip():
        raise ValidationFailedError(fields={"reason": [_("Give the reason for this action; it is recorded.")]})
    at = at or clock.now()
    with transaction.atomic():
        license = (
            License.objects.select_for_update(of=("self",))
            .select_related("organization", "product")
            .filter(public_id=license_id)
            .first()
        )
        if license is None:
            raise refuse("not_found", _("No such license."), 404)
        if license.organization.status == "terminated":
            raise refuse("reseller_terminated", _("Resets are no longer possible for this license."), 403)
        activation = license.activations.filter(ended_at__isnull=True).order_by("slot").first()
        if activation is None:
            raise refuse("not_activated", _("This license is not activated on any device."))
        policy = policy_for(reseller=license.organization, product=license.product)
        reset = Reset.objects.create(
            license=license,
            activation=activation,
            week=week_start(at, policy.reset_time_zone),
            week_slot=None,
            by=ResetBy.STAFF,
            reason=reason.strip()[:500],
            actor_label=ctx.actor_label,
            at=at,
            policy=policy.snapshot(),
        )
        Activation.objects.filter(pk=activation.pk).update(ended_at=at, ended_reason="staff_reset")
        audit_record(
            ctx=ctx,
            action="licensing.license_reset_by_staff",
            target=license,
            organization=license.organization,
            changes={"reason": reset.reason, "device_name": activation.device_name},
            at=at,
        )
    return reset


def activation_offline_create(
    *, ctx: RequestContext, license_id: UUID, fingerprint: str, device_name: str = "", at: datetime | None = None
) -> Certified:
    """Vendor staff activate a license for a device without network access and hand over the certificate. The end
    user cannot reset such an activation (RT-4.5)."""
    require_operator_staff(ctx)
    at = at or clock.now()
    device = _clean_fingerprint(fingerprint)
    with transaction.atomic():
        license = (
            License.objects.select_for_update(of=("self",))
            .select_related("organization", "product")
            .filter(public_id=license_id)
            .first()
        )
        if license is None:
            raise refuse("not_found", _("No such license."), 404)
        _require_usable(license, at)
        policy = policy_for(reseller=license.organization, product=license.product)
        used = set(license.activations.filter(ended_at__isnull=True).values_list("slot", flat=True))
        free = [slot for slot in range(policy.devices_per_license) if slot not in used]
        if not free:
            raise refuse("already_active_on_another_device", _("This license is active on another device."))
        activation = Activation.objects.create(
            license=license,
            slot=free[0],
            fingerprint_hash=device,
            device_name=device_name.strip()[:200],
            method=ActivationMethod.OFFLINE,
            activated_at=at,
            policy=policy.snapshot(),
        )
        audit_record(
            ctx=ctx,
            action="licensing.license_activated_offline",
            target=license,
            organization=license.organization,
            changes={"device_name": activation.device_name},
            at=at,
        )
        return _certificate(license, activation, at)
