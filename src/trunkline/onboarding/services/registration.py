"""Free-plan registration (PT-5.2) and its confirmation through the emailed link (PT-5.4, PT-1.2)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from trunkline.accounts.models import User
from trunkline.accounts.services import membership_add, user_create
from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.notifications.services import notice_send
from trunkline.onboarding import legal
from trunkline.onboarding.errors import TermsChangedError
from trunkline.onboarding.models import Registration
from trunkline.onboarding.models.registrations import FREE_PLAN
from trunkline.onboarding.services.access import country_access_init
from trunkline.tenancy.models import Organization, OrganizationKind, OrganizationStatus
from trunkline.tenancy.selectors import organization_list_for_user
from trunkline.tenancy.services import organization_activate, organization_create

logger = logging.getLogger(__name__)

LINK_RESEND_PAUSE_SECONDS = 15 * 60  # a pending newcomer who registers again gets the link again, at most this often


@dataclass(frozen=True)
class RegistrationData:
    first_name: str
    last_name: str
    phone: str  # E.164
    email: str
    company: str
    website: str
    employees_serving_end_users: int
    country: str
    language: str
    terms_versions: dict[str, str]  # document kind → the version id shown on the form


class _EmailTaken(Exception):
    """A concurrent registration created the same person first."""


def _send_link_after_commit(registration: Registration) -> None:
    from trunkline.onboarding.tasks import registration_link_send_task

    transaction.on_commit(partial(registration_link_send_task.enqueue, registration_id=registration.pk))


def _already_registered(user: User, *, at: datetime) -> None:
    """Someone registered with an address we know. The page says the same as for a newcomer; the owner of the
    address hears of it by email: a pending newcomer gets the link again, anyone else a short note."""
    pending = Registration.objects.filter(user=user, confirmed_at__isnull=True).first()
    if pending is not None:
        if cache.add(f"onboarding:link-resent:{pending.pk}", 1, LINK_RESEND_PAUSE_SECONDS):
            _send_link_after_commit(pending)
        return
    organization = organization_list_for_user(user=user).order_by("memberships__created_at").first()
    if organization is None:
        logger.info("registration with a known address that belongs to no organisation")
        return
    notice_send(
        organization=organization,
        kind="onboarding.already_registered",
        recipients=[user.email],
        language=user.language or organization.language,
        requires_acknowledgement=False,
        dedupe_key=f"onboarding.already_registered:{at.date().isoformat()}",  # one note a day at most
        context={"user": user, "sign_in_url": f"{settings.PUBLIC_URL}{reverse('account_login')}"},
    )


def _check_versions(shown: dict[str, str]) -> None:
    """The versions ticked must still be in force: one published meanwhile has to be shown before it is accepted."""
    if not all(
        legal.is_in_force(document=document, version_id=shown.get(document, ""))
        for document in legal.REGISTRATION_DOCUMENTS
    ):
        raise TermsChangedError(fields={"accept_terms": [str(TermsChangedError.message_template)]})


def registration_submit(
    *, data: RegistrationData, ip: str | None, user_agent: str, at: datetime | None = None
) -> Registration | None:
    """A pending customer organisation on the free plan, and its first person without a usable password, who is
    emailed a single-use link to set one. A known address creates nothing and answers the same (None)."""
    at = at or clock.now()
    email = data.email.strip().lower()
    _check_versions(data.terms_versions)
    try:
        with transaction.atomic():
            existing = User.objects.filter(email__iexact=email).first()
            if existing is not None:
                _already_registered(existing, at=at)
                return None
            organization = organization_create(
                ctx=None,
                name=data.company,
                kind=OrganizationKind.CUSTOMER,
                country=data.country,
                language=data.language,
                email=email,
                status=OrganizationStatus.PENDING,
            )
            try:
                with transaction.atomic():
                    user = user_create(
                        email=email, first_name=data.first_name, last_name=data.last_name, language=data.language
                    )
            except IntegrityError:
                raise _EmailTaken() from None
            country_access_init(organization=organization)
            registration = Registration.objects.create(
                organization=organization,
                user=user,
                plan=FREE_PLAN,
                first_name=data.first_name,
                last_name=data.last_name,
                phone=data.phone,
                company=data.company,
                website=data.website,
                employees_serving_end_users=data.employees_serving_end_users,
                country=data.country,
                language=data.language,
                terms_versions=dict(data.terms_versions),
                ip=ip,
                user_agent=user_agent[:500],
            )
            ctx = RequestContext(organization=organization, scopes=frozenset(), user=user, ip=ip, user_agent=user_agent)
            audit_record(
                ctx=ctx,
                action="registration.submitted",
                target=registration,
                changes={"plan": FREE_PLAN, "country": data.country, "terms_versions": registration.terms_versions},
                at=at,
            )
            _send_link_after_commit(registration)
    except _EmailTaken:
        return None
    return registration


def registration_confirm(
    *, user: User, ip: str | None, user_agent: str, at: datetime | None = None
) -> Registration | None:
    """The newcomer proved their address by setting a password through the link: the contract starts. They become
    the organisation's administrator, the organisation turns active, and their acceptance of each document is
    recorded with the version, address and browser of the moment they ticked the box. None if nothing is pending."""
    at = at or clock.now()
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update()
            .select_related("organization")
            .filter(user=user, confirmed_at__isnull=True)
            .first()
        )
        if registration is None:
            return None
        organization: Organization = registration.organization
        ctx = RequestContext(
            organization=organization,
            scopes=frozenset({"members:manage"}),  # the newcomer becomes the first administrator
            user=user,
            ip=ip,
            user_agent=user_agent,
        )
        membership_add(
            ctx=ctx,
            email=user.email,
            role="admin",
            first_name=registration.first_name,
            last_name=registration.last_name,
            notify=False,
        )
        for document in legal.REGISTRATION_DOCUMENTS:
            legal.acceptance_record(
                ctx=ctx,
                version_id=registration.terms_versions[document],
                method="registration",
                ip=registration.ip,
                user_agent=registration.user_agent,
            )
        with translation.override(organization.language):
            reason = _("Free-plan registration confirmed by %(email)s.") % {"email": user.email}
        organization_activate(ctx=None, organization_id=organization.public_id, reason=reason, at=at)
        registration.confirmed_at = at
        registration.save(update_fields=["confirmed_at", "updated_at"])
        audit_record(ctx=ctx, action="registration.confirmed", target=registration, at=at)
        organization.refresh_from_db()
        notice_send(
            organization=organization,
            kind="onboarding.free_plan_started",
            ctx=ctx,
            context={"registration": registration, "user": user},
        )
    return registration


def registration_password_set(*, user: User, password: str, ip: str | None, user_agent: str) -> Registration | None:
    """Set the newcomer's first password and confirm the registration, together or not at all."""
    with transaction.atomic():
        get_adapter().set_password(user, password)  # accounts' adapter: hashes it and marks the address verified
        return registration_confirm(user=user, ip=ip, user_agent=user_agent)
