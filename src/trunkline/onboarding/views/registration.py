"""Public pages: the free-plan registration form (PT-5.2) and the emailed link that sets the password (PT-5.4)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from trunkline.core.errors import DomainError, ValidationFailedError
from trunkline.core.middleware import client_ip
from trunkline.onboarding import legal
from trunkline.onboarding.errors import RegistrationThrottledError, TermsChangedError, TermsUnavailableError
from trunkline.onboarding.forms import HONEYPOT, RegistrationForm
from trunkline.onboarding.geo import country_of, is_local, parse_address
from trunkline.onboarding.links import user_for_link
from trunkline.onboarding.selectors import registration_pending_for
from trunkline.onboarding.services import RegistrationData, registration_password_set, registration_submit
from trunkline.onboarding.throttle import registration_attempt_allowed

logger = logging.getLogger(__name__)

LINK_SESSION_KEY = "onboarding_password_key"
LINK_PLACEHOLDER = "set-password"  # the key is moved to the session, so it never leaks in a Referer header


def _language() -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in codes else settings.LANGUAGE_CODE


def _country_guess(request: HttpRequest) -> str:
    address = parse_address(client_ip(request))
    if address is None or is_local(address):
        return "BG"
    return country_of(address) or "BG"


def _render_form(request: HttpRequest, form: RegistrationForm, shown: dict[str, Any], status: int) -> HttpResponse:
    return render(request, "onboarding/register.html", {"form": form, "shown": shown}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """The form; every outcome of a valid submission (new, known address, robot) answers with the same page."""
    language = _language()
    try:
        shown = legal.versions_to_show(language=language)
    except TermsUnavailableError as error:
        return render(request, "onboarding/register_closed.html", {"message": error.message}, status=503)
    if request.method == "GET":
        form = RegistrationForm(initial={"country": _country_guess(request)}, shown=shown)
        return _render_form(request, form, shown, 200)

    ip = client_ip(request)
    form = RegistrationForm(request.POST, shown=shown)
    if not registration_attempt_allowed(ip):
        form.add_error(None, str(RegistrationThrottledError.message_template))
        return _render_form(request, form, shown, 429)
    if request.POST.get(HONEYPOT):
        logger.info("registration refused by the honeypot", extra={"ip": ip})
        return redirect("onboarding:register_sent")
    if not form.is_valid():
        return _render_form(request, form, shown, 422)
    data = form.cleaned_data
    try:
        registration_submit(
            data=RegistrationData(
                first_name=data["first_name"].strip(),
                last_name=data["last_name"].strip(),
                phone=data["phone"],
                email=data["email"],
                company=data["company"].strip(),
                website=data["website"],
                employees_serving_end_users=data["employees_serving_end_users"],
                country=data["country"],
                language=language,
                terms_versions={
                    "platform_terms": data["platform_terms_version"],
                    "privacy_notice": data["privacy_notice_version"],
                },
            ),
            ip=ip,
            user_agent=request.headers.get("User-Agent", ""),
        )
    except TermsChangedError as error:
        fresh = request.POST.copy()
        fresh.pop("accept_terms", None)
        fresh["platform_terms_version"] = shown["platform_terms"].version_id
        fresh["privacy_notice_version"] = shown["privacy_notice"].version_id
        form = RegistrationForm(fresh, shown=shown)
        form.full_clean()
        form.errors["accept_terms"] = form.error_class([error.message])
        return _render_form(request, form, shown, 422)
    except ValidationFailedError as error:
        for name, sentences in error.fields.items():
            for sentence in sentences:
                form.add_error(name if name in form.fields else None, sentence)
        return _render_form(request, form, shown, 422)
    return redirect("onboarding:register_sent")


def register_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "onboarding/register_sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def password_set(request: HttpRequest, uidb36: str, key: str) -> HttpResponse:
    """The emailed link: set the first password, which confirms the registration and starts the contract; then
    the person is signed in and lands in the customer app."""
    if key != LINK_PLACEHOLDER:
        user = user_for_link(uidb36, key)
        if user is None or registration_pending_for(user=user) is None:
            return render(request, "onboarding/link_invalid.html", status=400)
        request.session[LINK_SESSION_KEY] = key
        return redirect(reverse("onboarding:password_set", kwargs={"uidb36": uidb36, "key": LINK_PLACEHOLDER}))
    user = user_for_link(uidb36, request.session.get(LINK_SESSION_KEY, ""))
    registration = registration_pending_for(user=user) if user is not None else None
    if user is None or registration is None:
        return render(request, "onboarding/link_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration_password_set(
                user=user,
                password=form.cleaned_data["new_password1"],
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            request.session.pop(LINK_SESSION_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # the country check may refuse
            messages.success(request, _("Your password is set and your free plan has started. Welcome!"))
            return redirect("web:surface_home", surface="app")
    return render(
        request,
        "onboarding/password_set.html",
        {"form": form, "registration": registration},
        status=422 if form.errors else 200,
    )
