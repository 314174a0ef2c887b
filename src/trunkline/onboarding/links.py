"""The registration link: single-use and valid for ``PASSWORD_RESET_TIMEOUT`` (48 hours), made with the same token
generator as accounts' set-password links. The token signs the password hash and the last sign-in, so it dies the
moment the password is set; it is made when the email is sent and stored nowhere."""

from __future__ import annotations

from allauth.account.forms import EmailAwarePasswordResetTokenGenerator
from allauth.account.utils import url_str_to_user_pk, user_pk_to_url_str
from django.conf import settings
from django.urls import reverse

from trunkline.accounts.models import User


def registration_password_url(user: User) -> str:
    token = EmailAwarePasswordResetTokenGenerator().make_token(user)
    path = reverse("onboarding:password_set", kwargs={"uidb36": user_pk_to_url_str(user), "key": token})
    return f"{settings.PUBLIC_URL}{path}"


def user_for_link(uidb36: str, key: str) -> User | None:
    """The person the link was made for, if it is still valid (not used, not expired, not tampered with)."""
    try:
        pk = url_str_to_user_pk(uidb36)
    except (ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not EmailAwarePasswordResetTokenGenerator().check_token(user, key):
        return None
    return user
