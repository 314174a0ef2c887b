import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.test import Client
from django.urls import reverse

from trunkline.testing.factories import PASSWORD, member

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def test_demo_style_sign_in_lands_on_the_surface(client):
    """A customer admin signs in with email and password and lands on /app/."""
    admin = member(kind="customer", role="admin", accepted_terms=True)
    response = client.post(LOGIN, {"login": admin.user.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/app/"
    assert response.status_code == 200


def test_repeated_failed_sign_ins_are_throttled(client):
    """After five wrong passwords for one account, even the right one is refused for a while."""
    person = member(role="agent")
    for _ in range(5):
        wrong = client.post(LOGIN, {"login": person.user.email, "password": "wrong-password"})
        assert wrong.status_code == 200
    throttled = client.post(LOGIN, {"login": person.user.email, "password": PASSWORD})
    assert "Too many failed login attempts. Try again later." in throttled.content.decode()
    assert "_auth_user_id" not in client.session


def test_mfa_is_enforced_where_enabled():
    """With TOTP enabled, the password alone does not sign in; the current code does."""
    person = member(role="admin", accepted_terms=True)
    secret = generate_totp_secret()
    TOTP.activate(person.user, secret)
    assert Authenticator.objects.filter(user=person.user, type=Authenticator.Type.TOTP).exists()
    client = Client()
    response = client.post(LOGIN, {"login": person.user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get("/app/").status_code == 302  # still signed out
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session
    code = f"{hotp_value(secret, int(time.time()) // 30):06d}"
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.session["_auth_user_id"] == str(person.user.pk)
    assert client.get("/app/").status_code == 200


def test_open_sign_up_is_closed(client):
    """People join by registration or invitation only; the generic sign-up page is closed."""
    response = client.get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode() or response.status_code in (403, 404)
