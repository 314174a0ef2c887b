"""Single-use, expiring links to set a password. The token signs the password hash and last login, so it dies the
moment it is used; it expires after ``PASSWORD_RESET_TIMEOUT`` seconds."""

from __future__ import annotations

from allauth.account.forms import EmailAwarePasswordResetTokenGenerator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.urls import reverse

from trunkline.accounts.models import User


def set_password_url(user: User) -> str:
    token = EmailAwarePasswordResetTokenGenerator().make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": token})
    return f"{settings.PUBLIC_URL}{path}"
