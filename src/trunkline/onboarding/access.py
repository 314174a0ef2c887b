"""Access to the web interface by country (PT-8.3): the rule, checked where a person signs in and on every request
of a session to a surface (``receivers.country_checked_at_sign_in`` and ``middleware.CountryAccessMiddleware``).

Loopback, private and link-local addresses count as allowed: they are the machine itself or the operator's own
network (a deployment behind a proxy must pass the client's address on, or every request looks local). So does a
request that carries no client address at all (a test client's forced sign-in; a server that does not know the peer).
The operator's own organisation is not restricted: PT-8.3 protects customers, and the operator must never be locked
out of its back office by its own data.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from trunkline.accounts.auth import acting_organization
from trunkline.commerce.validators import country_name
from trunkline.core.middleware import client_ip
from trunkline.onboarding.geo import country_of, is_local, parse_address
from trunkline.onboarding.models import CountryAccess
from trunkline.tenancy.models import Organization, OrganizationKind

# The paths of the web interface a session uses; API keys are not sessions and are not checked here.
SURFACE_PREFIXES = ("/app/", "/reseller/", "/ops/", "/api/v1/")


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    ip: str | None
    country: str | None  # None when the address is local or the database does not know it
    is_local: bool
    allowed_countries: tuple[str, ...]


def allowed_countries(organization: Organization) -> tuple[str, ...]:
    """The countries the organisation's people may work from: its registered country unless staff or the agreement
    allowed more."""
    access = CountryAccess.objects.filter(organization=organization).first()
    codes = access.allowed_countries if access is not None else [organization.country]
    return tuple(sorted(codes))


def access_decision(*, organization: Organization, ip: str | None) -> AccessDecision:
    """Whether a person of ``organization`` may use the web interface from ``ip``."""
    if organization.kind == OrganizationKind.OPERATOR:
        return AccessDecision(allowed=True, ip=ip, country=None, is_local=False, allowed_countries=())
    countries = allowed_countries(organization)
    address = parse_address(ip)
    if not ip or (address is not None and is_local(address)):
        return AccessDecision(allowed=True, ip=ip, country=None, is_local=True, allowed_countries=countries)
    country = country_of(address) if address is not None else None
    return AccessDecision(
        allowed=country is not None and country in countries,
        ip=ip,
        country=country,
        is_local=False,
        allowed_countries=countries,
    )


def refusal_message(decision: AccessDecision, organization: Organization) -> str:
    """The sentence the refused person reads, in the active language."""
    allowed = ", ".join(country_name(code) for code in decision.allowed_countries)
    if decision.country is None:
        return _(
            "Access refused: we could not tell which country your address %(ip)s is in, and %(organization)s "
            "may use Trunkline only from %(allowed)s. Ask your administrator or the operator if you need access "
            "from elsewhere."
        ) % {"ip": decision.ip or "?", "organization": organization.name, "allowed": allowed}
    return _(
        "Access refused: you are connecting from %(country)s, and %(organization)s may use Trunkline only from "
        "%(allowed)s. Ask your administrator or the operator if you need access from elsewhere."
    ) % {"country": country_name(decision.country), "organization": organization.name, "allowed": allowed}


def refuse(request: HttpRequest, *, user: object, where: str) -> HttpResponse | None:
    """Check the country of the request for the organisation ``user`` acts for. If it is not allowed: audit the
    refusal, sign the person out and answer with the reason (a redirect to sign-in, or JSON for the API)."""
    from trunkline.onboarding.services import access_refusal_record

    organization = acting_organization(request, user)
    if organization is None:
        return None
    decision = access_decision(organization=organization, ip=client_ip(request))
    if decision.allowed:
        return None
    access_refusal_record(
        user=user,
        organization=organization,
        decision=decision,
        where=where,
        user_agent=request.headers.get("User-Agent", ""),
        request_id=getattr(request, "request_id", ""),
    )
    with translation.override(getattr(user, "language", "") or translation.get_language()):
        message = refusal_message(decision, organization)
    logout(request)
    if request.path.startswith("/api/"):
        body = {"code": "access.country_refused", "message": message, "detail": {"country": decision.country}}
        return JsonResponse(body, status=403)
    messages.error(request, message, fail_silently=True)
    return redirect("account_login")


def refuse_at_sign_in(request: HttpRequest | None, user: object) -> None:
    """Raise the refusal as allauth's ImmediateHttpResponse, which its login flow and middleware return as is."""
    if request is None:
        return
    response = refuse(request, user=user, where="sign_in")
    if response is not None:
        raise ImmediateHttpResponse(response)
