"""Access to the web interface by country (PT-8.3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.onboarding.geo import country_of, parse_address
from trunkline.onboarding.models import CountryAccess
from trunkline.testing.factories import PASSWORD, OrganizationFactory, member

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
MIDDLEWARE = "trunkline.onboarding.middleware.CountryAccessMiddleware"


def sign_in(person, ip: str) -> tuple[Client, Any]:
    client = Client()
    response = client.post(LOGIN, {"login": person.user.email, "password": PASSWORD}, REMOTE_ADDR=ip, follow=False)
    return client, response


def bulgarian_customer(**fields):
    organization = OrganizationFactory.create(kind="customer", country="BG", **fields)
    return member(organization=organization, role="admin", accepted_terms=True)


@pytest.mark.rule("PT-8.3")
def test_a_sign_in_from_another_country_is_refused_with_the_reason_and_audited(ip_database):
    """A Bulgarian customer's person signing in from a US address is signed out again, told why, and it is audited."""
    person = bulgarian_customer(name="Rila Travel")

    client, response = sign_in(person, "8.8.8.8")

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == (
        "Access refused: you are connecting from United States, and Rila Travel may use Trunkline only from "
        "Bulgaria. Ask your administrator or the operator if you need access from elsewhere."
    )
    event = AuditEvent.objects.get(action="access.refused_country")
    assert event.organization == person.organization
    assert event.actor == person.user
    assert event.ip == "8.8.8.8"
    assert event.changes == {"where": "sign_in", "ip": "8.8.8.8", "country": "US", "allowed_countries": ["BG"]}
    assert client.get("/app/").status_code == 302


@pytest.mark.rule("PT-8.3")
def test_a_bulgarian_address_is_allowed_for_a_bulgarian_organisation(ip_database):
    """The same person from a Bulgarian address (IPv4 or IPv6) signs in and lands in /app/."""
    person = bulgarian_customer()
    for ip in ("212.39.70.10", "2a01:5a8::1"):
        client, response = sign_in(person, ip)
        assert response.status_code == 302
        assert response["Location"] == "/"
        assert client.session["_auth_user_id"] == str(person.user.pk)
    assert not AuditEvent.objects.filter(action="access.refused_country").exists()


@pytest.mark.rule("PT-8.3")
@pytest.mark.parametrize("ip", ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.20", "172.16.5.4", "fe80::1"])
def test_local_and_private_addresses_are_allowed(ip_database, ip):
    """The machine itself and private networks are not looked up: they count as allowed."""
    person = bulgarian_customer()
    client, _response = sign_in(person, ip)
    assert client.session["_auth_user_id"] == str(person.user.pk)


@pytest.mark.rule("PT-8.3")
def test_an_address_the_database_does_not_know_is_refused(ip_database):
    """A public address with no country in the database is refused with a sentence that says so."""
    person = bulgarian_customer(name="Rila Travel")

    client, response = sign_in(person, "1.1.1.1")

    assert "_auth_user_id" not in client.session
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Access refused: we could not tell which country your address 1.1.1.1 is in")
    assert AuditEvent.objects.get(action="access.refused_country").changes["country"] is None


@pytest.mark.rule("PT-8.3")
def test_countries_the_organisation_allows_besides_its_own_are_allowed(ip_database):
    """With Germany allowed as well (by the agreement or by staff), a German address signs in; a British one not."""
    person = bulgarian_customer()
    CountryAccess.objects.create(organization=person.organization, allowed_countries=["BG", "DE"])

    german, _ = sign_in(person, "85.214.1.1")
    british, _ = sign_in(person, "81.2.69.160")

    assert german.session["_auth_user_id"] == str(person.user.pk)
    assert "_auth_user_id" not in british.session


@pytest.mark.rule("PT-8.3")
def test_the_operator_is_not_restricted(ip_database):
    """Operator staff sign in from anywhere: the rule protects customers, and the back office stays reachable."""
    staff = member(kind="operator", role="staff")
    client, _ = sign_in(staff, "8.8.8.8")
    assert client.session["_auth_user_id"] == str(staff.user.pk)


@pytest.mark.rule("PT-8.3")
def test_a_session_carried_to_another_country_stops_at_the_next_request(ip_database):
    """A session opened in Bulgaria is signed out, audited and sent to sign-in when used from a US address."""
    person = bulgarian_customer()
    client, _ = sign_in(person, "212.39.70.10")
    assert client.get("/app/", REMOTE_ADDR="212.39.70.10").status_code == 200

    abroad = client.get("/app/", REMOTE_ADDR="8.8.8.8")

    assert abroad.status_code == 302
    assert abroad["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action="access.refused_country").changes["where"] == "session"


@pytest.mark.rule("PT-8.3")
def test_the_api_by_session_from_another_country_answers_403_in_the_error_shape(ip_database):
    """A session call of the API from abroad gets the standard error body, and the session ends."""
    person = bulgarian_customer()
    client, _ = sign_in(person, "212.39.70.10")

    response = client.get("/api/v1/organizations", REMOTE_ADDR="8.8.8.8")

    assert response.status_code == 403
    assert response.json()["code"] == "access.country_refused"
    assert response.json()["detail"] == {"country": "US"}
    assert "_auth_user_id" not in client.session


def test_the_fixture_database_and_the_packaged_one_answer_offline(ip_database, settings):
    """The CSV database finds ranges of both IP versions; without it, the data shipped in iptocc answers."""
    assert lookup("212.39.127.255") == "BG"
    assert lookup("212.39.128.0") is None
    assert lookup("::ffff:8.8.8.8") == "US"
    assert lookup("2a01:5a8:1::") == "BG"
    settings.IP_COUNTRY_DATABASE = ""
    assert lookup("8.8.8.8") == "US"


def lookup(ip: str) -> str | None:
    address = parse_address(ip)
    assert address is not None
    return country_of(address)
