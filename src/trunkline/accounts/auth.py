"""Who is calling the API: a session (a signed-in person) or an API key. Either way the answer is a RequestContext."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from trunkline.accounts.errors import CsrfFailedError
from trunkline.accounts.keys import key_matches, key_prefix
from trunkline.accounts.models import ApiKey
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.errors import ForbiddenError
from trunkline.core.middleware import client_ip
from trunkline.tenancy.models import Organization, OrganizationStatus
from trunkline.tenancy.roles import scopes_for_status
from trunkline.tenancy.selectors import membership_for, organization_list_for_user

ORGANIZATION_HEADER = "X-Organization"
SESSION_ORGANIZATION = "organization_id"


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def context_for_api_key(request: HttpRequest, token: str) -> RequestContext | None:
    prefix = key_prefix(token)
    if prefix is None:
        return None
    api_key = ApiKey.objects.select_related("organization").filter(prefix=prefix, revoked_at__isnull=True).first()
    if api_key is None or not key_matches(token, api_key.digest):
        return None
    if api_key.organization.status == OrganizationStatus.TERMINATED:
        return None
    now = clock.now()
    ip = client_ip(request)
    resolution = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
    if api_key.last_used_at is None or now - api_key.last_used_at > resolution or api_key.last_used_ip != ip:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now, last_used_ip=ip)
    scopes, withheld = scopes_for_status(api_key.organization.status, frozenset(api_key.scopes))
    return RequestContext(
        organization=api_key.organization,
        scopes=scopes,
        withheld_scopes=withheld,
        api_key_id=api_key.pk,
        ip=ip,
        user_agent=request.headers.get("User-Agent", ""),
        request_id=getattr(request, "request_id", ""),
    )


def acting_organization(request: HttpRequest, user: Any) -> Organization | None:
    """The organisation a signed-in person acts for: the one named in the header or session, else their first."""
    wanted = request.headers.get(ORGANIZATION_HEADER) or request.session.get(SESSION_ORGANIZATION)
    organizations = organization_list_for_user(user=user)
    if wanted:
        try:
            return organizations.filter(public_id=wanted).first()
        except (ValueError, ValidationError):  # a malformed UUID names no organisation
            return None
    return organizations.order_by("memberships__created_at").first()


def context_for_user(request: HttpRequest, user: Any) -> RequestContext | None:
    organization = acting_organization(request, user)
    if organization is None:
        return None
    membership = membership_for(user=user, organization=organization)
    if membership is None:
        return None
    scopes, withheld = scopes_for_status(organization.status, membership.scopes)
    return RequestContext(
        organization=organization,
        scopes=scopes,
        withheld_scopes=withheld,
        user=user,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        request_id=getattr(request, "request_id", ""),
    )


class PlatformAuth(AuthBase):
    """django-ninja auth: a Bearer API key, or the session cookie (with CSRF on unsafe methods)."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> RequestContext | None:
        token = bearer_token(request)
        if token is not None:
            return context_for_api_key(request, token)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
            raise CsrfFailedError()
        ctx = context_for_user(request, user)
        if ctx is None:
            raise ForbiddenError("You are not a member of an active organisation.")
        return ctx


platform_auth = PlatformAuth()
