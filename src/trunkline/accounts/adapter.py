from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.http import HttpRequest
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by registration or by an organisation's administrator, never by open sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        if user.language:  # messages added from here on speak the person's language
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language

    def set_password(self, user: Any, password: str) -> None:
        super().set_password(user, password)
        # The single-use link reached this person's inbox, so the address is proven.
        EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
