"""Assigning End-Point and Test Licenses (RT-4.3, RT-4.4, RT-4.6, RT-4.10), expiring Test Licenses, and the
reseller-wide effects of an overdue penalty (RT-6.4) and of termination (RT-8.3)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.commerce.models import Product
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.licensing.domain.cap import basis_points
from trunkline.licensing.domain.keys import generate_key, hash_key, key_hint, normalize_key
from trunkline.licensing.errors import (
    AffiliateCapExceededError,
    KeyReissueLimitError,
    LicensingDisabledError,
    PoolExhaustedError,
    ResellerTerminatedError,
    TestAllotmentExhaustedError,
    TestLicenseRefusedError,
)
from trunkline.licensing.models import (
    EndUser,
    License,
    LicenseKind,
    LicenseStatus,
    LicensingAccount,
    Pool,
)
from trunkline.licensing.services.end_users import _require_reseller, acting_reseller
from trunkline.licensing.services.pools import account_of, policy_for, pools_forfeit, require_operator_staff
from trunkline.tenancy.models import Organization

logger = logging.getLogger(__name__)
KEY_REISSUE_WINDOW = timedelta(hours=24)


def _product(product_id: UUID) -> Product:
    product = Product.objects.filter(public_id=product_id).first()
    if product is None:
        raise ValidationFailedError(fields={"product_id": [_("No such product.")]})
    return product


def _require_usable_reseller(organization: Organization) -> None:
    if organization.status == "terminated":
        raise ResellerTerminatedError()
    if account_of(organization).disabled_at is not None:
        raise LicensingDisabledError()


def _new_key() -> tuple[str, str, str]:
    """(display key, hash, hint) of a fresh key."""
    key = generate_key()
    canonical = normalize_key(key)
    return key, hash_key(canonical), key_hint(canonical)


def _send_key(*, license_id: int, key: str) -> None:
    """Email the key to the end user, after commit. The key lives only in this message and on the reseller's screen
    once: it is never stored in plain text, never queued, never logged."""
    license = License.objects.select_related("end_user", "organization", "product").get(pk=license_id)
    context = {"license": license, "key": key, "end_user": license.end_user, "reseller": license.organization}
    with translation.override(license.organization.language or "en"):
        subject = " ".join(render_to_string("licensing/email/key_subject.txt", context).split())
        body = render_to_string("licensing/email/key_body.txt", context)
    try:
        send_mail(subject, body, None, [license.end_user.email])
    except OSError:
        logger.warning("license key email not sent", extra={"license": str(license.public_id)})


def _expire_test_licenses(*, end_user: EndUser, at: datetime, reason: str) -> int:
    return License.objects.filter(end_user=end_user, kind=LicenseKind.TEST, status=LicenseStatus.ACTIVE).update(
        status=LicenseStatus.EXPIRED, expired_at=at, expired_reason=reason
    )


def license_assign(
    *,
    ctx: RequestContext,
    end_user_id: UUID,
    product_id: UUID,
    at: datetime | None = None,
    organization: Organization | None = None,
) -> tuple[License, str]:
    """Take one End-Point License from the reseller's pool and give it to the end user (RT-4.3, RT-4.4, RT-4.10).

    The pool is taken by a conditional UPDATE (never an oversell); an Affiliated Party assignment also passes the cap
    in the same UPDATE of the reseller's counters. The end user's active Test Licenses expire at once (RT-4.6). The
    key is returned once, for the reseller's screen, and emailed to the end user after commit.
    """
    reseller = acting_reseller(ctx, organization)
    at = at or clock.now()
    _require_usable_reseller(reseller)
    with transaction.atomic():
        end_user = EndUser.objects.select_for_update().get_for_org(reseller, public_id=end_user_id)
        product = _product(product_id)
        policy = policy_for(reseller=reseller, product=product)
        taken = Pool.objects.filter(
            organization=reseller, product=product, assigned__lt=F("purchased") - F("forfeited")
        ).update(assigned=F("assigned") + 1)
        if not taken:
            raise PoolExhaustedError()
        counters = LicensingAccount.objects.filter(organization=reseller)
        if end_user.is_affiliated:
            points = basis_points(policy.affiliated_cap_percent)
            allowed = (
                counters.alias(after=(F("affiliated") + 1) * 10_000, limit=(F("provided") + 1) * points)
                .filter(after__lte=F("limit"))
                .update(provided=F("provided") + 1, affiliated=F("affiliated") + 1)
            )
            if not allowed:
                account = counters.get()
                raise AffiliateCapExceededError(
                    cap=f"{policy.affiliated_cap_percent:f}".rstrip("0").rstrip("."),
                    affiliated=account.affiliated + 1,
                    provided=account.provided + 1,
                    detail={
                        "cap_percent": str(policy.affiliated_cap_percent),
                        "affiliated": account.affiliated,
                        "provided": account.provided,
                    },
                )
        else:
            counters.update(provided=F("provided") + 1)
        key, digest, hint = _new_key()
        license = License.objects.create(
            organization=reseller,
            end_user=end_user,
            product=product,
            kind=LicenseKind.REGULAR,
            key_hash=digest,
            key_hint=hint,
            assigned_at=at,
            assigned_by=ctx.actor_label,
            policy=policy.snapshot(),
        )
        expired = _expire_test_licenses(end_user=end_user, at=at, reason="regular_assigned")
        audit_record(
            ctx=ctx,
            action="licensing.license_assigned",
            target=license,
            changes={
                "end_user": str(end_user.public_id),
                "product": product.code,
                "is_affiliated": end_user.is_affiliated,
                "test_licenses_expired": expired,
                "policy": license.policy,
            },
            organization=reseller,
            at=at,
        )
        transaction.on_commit(partial(_send_key, license_id=license.pk, key=key))
    return license, key


def license_test_assign(
    *,
    ctx: RequestContext,
    end_user_id: UUID,
    product_id: UUID,
    at: datetime | None = None,
    organization: Organization | None = None,
) -> tuple[License, str]:
    """Give an end user a Test License from the allotment (RT-4.6): only while holding no End-Point License, on at
    most ``test_occasions_per_end_user`` occasions, valid ``test_validity_days`` from now."""
    reseller = acting_reseller(ctx, organization)
    at = at or clock.now()
    _require_usable_reseller(reseller)
    with transaction.atomic():
        end_user = EndUser.objects.select_for_update().get_for_org(reseller, public_id=end_user_id)
        product = _product(product_id)
        policy = policy_for(reseller=reseller, product=product)
        if License.objects.filter(end_user=end_user, kind=LicenseKind.REGULAR).exists():
            raise TestLicenseRefusedError(
                reason=_("This end user holds an End-Point License; Test Licenses are only for those who do not."),
                detail={"reason": "holds_regular_license"},
            )
        occasions = License.objects.filter(end_user=end_user, kind=LicenseKind.TEST).count()
        if occasions >= policy.test_occasions_per_end_user:
            raise TestLicenseRefusedError(
                reason=_("This end user already received Test Licenses on %(count)s occasions, the most allowed.")
                % {"count": policy.test_occasions_per_end_user},
                detail={"reason": "occasions_used", "occasions": occasions},
            )
        taken = Pool.objects.filter(
            organization=reseller, product=product, test_assigned__lt=F("test_allotment")
        ).update(test_assigned=F("test_assigned") + 1)
        if not taken:
            raise TestAllotmentExhaustedError()
        key, digest, hint = _new_key()
        license = License.objects.create(
            organization=reseller,
            end_user=end_user,
            product=product,
            kind=LicenseKind.TEST,
            key_hash=digest,
            key_hint=hint,
            assigned_at=at,
            expires_at=at + timedelta(days=policy.test_validity_days),
            assigned_by=ctx.actor_label,
            policy={**policy.snapshot(), "occasion": occasions + 1},
        )
        audit_record(
            ctx=ctx,
            action="licensing.test_license_assigned",
            target=license,
            changes={"end_user": str(end_user.public_id), "product": product.code, "policy": license.policy},
            organization=reseller,
            at=at,
        )
        transaction.on_commit(partial(_send_key, license_id=license.pk, key=key))
    return license, key


def license_tests_expire(*, at: datetime | None = None) -> int:
    """Mark Test Licenses past their 14 days expired (the activation API already refuses them from that instant).
    They never return to the allotment."""
    at = at or clock.now()
    with transaction.atomic():
        ids = list(
            License.objects.filter(kind=LicenseKind.TEST, status=LicenseStatus.ACTIVE, expires_at__lte=at).values_list(
                "pk", flat=True
            )
        )
        count = License.objects.filter(pk__in=ids, status=LicenseStatus.ACTIVE).update(
            status=LicenseStatus.EXPIRED, expired_at=F("expires_at"), expired_reason="validity_ended"
        )
        if count:
            audit_record(ctx=None, action="licensing.test_licenses_expired", changes={"count": count}, at=at)
    return count


# --- Disable all (RT-6.4) ------------------------------------------------------------------------------------------


def licenses_disable_all(
    *, ctx: RequestContext | None, organization: Organization, reason: str, at: datetime | None = None
) -> int:
    """Disable every license of a reseller, provided ones included: validate answers ``disabled`` and certificates
    are not refreshed. By staff (with a reason) or by the overdue-penalty job. Returns how many were disabled."""
    if ctx is not None:
        require_operator_staff(ctx)
    if not reason.strip():
        raise ValidationFailedError(fields={"reason": [_("Give the reason for this action; it is recorded.")]})
    at = at or clock.now()
    with transaction.atomic():
        account = account_of(organization)
        account = LicensingAccount.objects.select_for_update().get(pk=account.pk)
        if account.disabled_at is not None:
            return 0
        account.disabled_at, account.disabled_reason = at, reason.strip()[:500]
        account.save(update_fields=["disabled_at", "disabled_reason", "updated_at"])
        count = License.objects.filter(organization=organization, disabled_at__isnull=True).update(disabled_at=at)
        audit_record(
            ctx=ctx,
            action="licensing.licenses_disabled",
            target=organization,
            organization=organization,
            changes={"count": count, "reason": reason.strip()},
            at=at,
        )
    return count


def licenses_enable_all(
    *, ctx: RequestContext | None, organization: Organization, reason: str, at: datetime | None = None
) -> int:
    """Undo ``licenses_disable_all`` (the penalty was paid, or staff decided so). Returns how many were enabled."""
    if ctx is not None:
        require_operator_staff(ctx)
    at = at or clock.now()
    with transaction.atomic():
        account = LicensingAccount.objects.select_for_update().filter(organization=organization).first()
        if account is None or account.disabled_at is None:
            return 0
        account.disabled_at, account.disabled_reason = None, ""
        account.save(update_fields=["disabled_at", "disabled_reason", "updated_at"])
        count = License.objects.filter(organization=organization, disabled_at__isnull=False).update(disabled_at=None)
        audit_record(
            ctx=ctx,
            action="licensing.licenses_enabled",
            target=organization,
            organization=organization,
            changes={"count": count, "reason": reason.strip()},
            at=at,
        )
    return count


def reseller_terminated(*, organization: Organization, ctx: RequestContext | None, at: datetime | None = None) -> int:
    """RT-8.3: unused pool licenses are forfeited; provided licenses keep working, but resets and updates are refused
    from now on (the activation API reads the reseller's status). Returns the forfeited count."""
    return pools_forfeit(organization=organization, ctx=ctx, at=at or clock.now())


def license_get_by_key(*, key: str) -> License:
    """The license of a typed key (operator support)."""
    try:
        canonical = normalize_key(key)
    except ValueError:
        raise NotFoundError() from None
    license = License.objects.filter(key_hash=hash_key(canonical)).first()
    if license is None:
        raise NotFoundError()
    return license


def license_key_reissue(*, ctx: RequestContext, license_id: UUID, at: datetime | None = None) -> tuple[License, str]:
    """Give a license a new key (the end user lost the email, or the key leaked): the old key stops working at once,
    the binding to the device stays, the new key is shown once and emailed. By the reseller or operator staff, at most
    ``LICENSING_KEY_REISSUES_PER_DAY`` times in 24 hours per license (each one is an email to the end user).

    Only the key's hash is stored, so "send the key again" can only mean a new key: keeping the old one sendable would
    mean storing it (encrypted or not) where a database leak, or anyone who can read the database and the
    application's secret, would reveal every usable key."""
    at = at or clock.now()
    with transaction.atomic():
        if ctx.is_operator:
            require_operator_staff(ctx)
            licenses = License.objects.all()
        else:
            _require_reseller(ctx)
            licenses = License.objects.filter(organization=ctx.organization)
        license = licenses.select_for_update().filter(public_id=license_id).first()
        if license is None:
            raise NotFoundError()
        limit = settings.LICENSING_KEY_REISSUES_PER_DAY
        window_started = license.key_reissue_window_started_at
        if window_started is None or window_started <= at - KEY_REISSUE_WINDOW:
            window_started, reissues = at, 0
        else:
            reissues = license.key_reissues_in_window
        if reissues >= limit:
            raise KeyReissueLimitError(
                limit=limit, next_at=(window_started + KEY_REISSUE_WINDOW).isoformat(timespec="minutes")
            )
        key, digest, hint = _new_key()
        License.objects.filter(pk=license.pk).update(
            key_hash=digest,
            key_hint=hint,
            key_reissue_window_started_at=window_started,
            key_reissues_in_window=reissues + 1,
        )
        license.key_hash, license.key_hint = digest, hint
        license.key_reissue_window_started_at, license.key_reissues_in_window = window_started, reissues + 1
        audit_record(
            ctx=ctx,
            action="licensing.license_key_reissued",
            target=license,
            organization=license.organization,
            changes={"key_hint": hint, "reissues_in_24h": reissues + 1},
            at=at,
        )
        transaction.on_commit(partial(_send_key, license_id=license.pk, key=key))
    return license, key
