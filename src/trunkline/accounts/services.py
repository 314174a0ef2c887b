from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction

from trunkline.accounts.errors import (
    ApiKeyAlreadyRevokedError,
    LastAdministratorError,
    MembershipExistsError,
    ScopeNotGrantableError,
    UnknownRoleError,
)
from trunkline.accounts.keys import key_generate
from trunkline.accounts.models import ApiKey, User
from trunkline.accounts.tasks import invitation_send_task
from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.tenancy.models import Membership
from trunkline.tenancy.roles import ROLES


def user_create(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    password: str | None = None,
    email_verified: bool = False,
) -> User:
    """A person with no usable password unless one is given; they set it through a single-use link."""
    user = User.objects.create_user(email, password, first_name=first_name, last_name=last_name, language=language)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    return user


def user_preferences_update(*, user: User, language: str | None = None, time_zone: str | None = None) -> User:
    with transaction.atomic():
        if language is not None:
            user.language = language
        if time_zone is not None:
            user.time_zone = time_zone
        user.full_clean(exclude=["password"])
        user.save(update_fields=["language", "time_zone"])
    return user


def _check_role(ctx: RequestContext, role: str) -> None:
    if role not in ROLES[ctx.organization.kind]:
        raise UnknownRoleError(role=role, fields={"role": [str(UnknownRoleError(role=role))]})


def _user_for_email(email: str, *, first_name: str, last_name: str, language: str) -> User:
    """The person with this address, created (without a usable password) if new; safe against a concurrent create."""
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return user_create(email=email, first_name=first_name, last_name=last_name, language=language)
    except IntegrityError:
        return User.objects.get(email=email)


def membership_add(
    *, ctx: RequestContext, email: str, role: str, first_name: str = "", last_name: str = "", notify: bool = True
) -> Membership:
    """Add a person to the acting organisation; a newcomer gets a single-use link to set their password.

    ``notify=False`` is for flows that have already proven the address and set the password (registration)."""
    require_scope(ctx, "members:manage")
    _check_role(ctx, role)
    email = email.strip().lower()
    with transaction.atomic():
        user = _user_for_email(email, first_name=first_name, last_name=last_name, language=ctx.organization.language)
        try:
            with transaction.atomic():  # a concurrent add of the same person loses here, cleanly
                membership = Membership.objects.create(organization=ctx.organization, user=user, role=role)
        except IntegrityError:
            raise MembershipExistsError(email=email) from None
        audit_record(ctx=ctx, action="membership.added", target=membership, changes={"email": email, "role": role})
        if notify:
            transaction.on_commit(partial(invitation_send_task.enqueue, membership_id=membership.pk))
    return membership


def _administrators_left(ctx: RequestContext, excluding: Membership) -> int:
    return (
        Membership.objects.for_org(ctx.organization)
        .filter(role="admin", is_active=True)
        .exclude(pk=excluding.pk)
        .count()
    )


def membership_change_role(*, ctx: RequestContext, membership_id: UUID, role: str) -> Membership:
    require_scope(ctx, "members:manage")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get_for_org(ctx.organization, public_id=membership_id)
        _check_role(ctx, role)
        if membership.role == "admin" and role != "admin" and _administrators_left(ctx, membership) == 0:
            raise LastAdministratorError()
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        audit_record(ctx=ctx, action="membership.role_changed", target=membership, changes={"role": [before, role]})
    return membership


def membership_remove(*, ctx: RequestContext, membership_id: UUID) -> None:
    require_scope(ctx, "members:manage")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get_for_org(ctx.organization, public_id=membership_id)
        if membership.role == "admin" and _administrators_left(ctx, membership) == 0:
            raise LastAdministratorError()
        audit_record(
            ctx=ctx,
            action="membership.removed",
            target=membership,
            changes={"email": membership.user.email, "role": membership.role},
        )
        membership.delete()


def api_key_create(*, ctx: RequestContext, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """Create a key holding at most the creator's own scopes. The plaintext is returned once and never stored."""
    require_scope(ctx, "api_keys:manage")
    not_grantable = sorted(set(scopes) - ctx.scopes)
    if not_grantable:
        joined = ", ".join(not_grantable)
        raise ScopeNotGrantableError(scopes=joined, fields={"scopes": [str(ScopeNotGrantableError(scopes=joined))]})
    material = key_generate()
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            organization=ctx.organization,
            name=name,
            prefix=material.prefix,
            digest=material.digest,
            scopes=sorted(set(scopes)),
            created_by=ctx.user,
        )
        audit_record(ctx=ctx, action="api_key.created", target=api_key, changes={"scopes": api_key.scopes})
    return api_key, material.plaintext


def api_key_revoke(*, ctx: RequestContext, api_key_id: UUID, at: Any = None) -> ApiKey:
    require_scope(ctx, "api_keys:manage")
    with transaction.atomic():
        api_key = ApiKey.objects.select_for_update().get_for_org(ctx.organization, public_id=api_key_id)
        if api_key.is_revoked:
            raise ApiKeyAlreadyRevokedError()
        api_key.revoked_at = at or clock.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
        audit_record(ctx=ctx, action="api_key.revoked", target=api_key)
    return api_key
