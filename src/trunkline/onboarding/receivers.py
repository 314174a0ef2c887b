"""Onboarding follows other contexts' events: a sign-in is checked against the allowed countries (PT-8.3), and a
pending registration is confirmed when its person sets a password through accounts' reset link (PT-5.4)."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import password_reset
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from trunkline.core.errors import DomainError
from trunkline.core.middleware import client_ip
from trunkline.onboarding.access import refuse_at_sign_in
from trunkline.onboarding.services import registration_confirm

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="onboarding.country_checked_at_sign_in")
def country_checked_at_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A sign-in from a country the organisation does not allow is undone, audited and answered with the reason."""
    refuse_at_sign_in(request, user)


@receiver(password_reset, dispatch_uid="onboarding.registration_confirmed_by_password_reset")
def registration_confirmed_by_password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """A newcomer whose link expired may use "Forgot your password?": setting it that way confirms too. The password
    is already saved by then; if the confirmation is refused, the person can still sign in and it is logged."""
    try:
        registration_confirm(user=user, ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""))
    except DomainError as error:
        logger.error("registration not confirmed after a password reset", extra={"code": error.code})
