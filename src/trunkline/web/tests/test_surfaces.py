import json
import logging

import pytest
from django.test import Client

from trunkline.accounts.models import ApiKey
from trunkline.tenancy.models import Membership
from trunkline.testing.factories import accept_all_terms, member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("kind", "home"), [("operator", "/ops/"), ("reseller", "/reseller/"), ("customer", "/app/")])
def test_each_kind_lands_on_its_own_surface(kind, home):
    """The root sends a signed-in person to their organisation's surface; other surfaces send them back home."""
    person = member(kind=kind, role="admin", accepted_terms=True)
    client = Client()
    client.force_login(person.user)
    assert client.get("/")["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    assert person.organization.name in page.content.decode()
    for other in {"/ops/", "/reseller/", "/app/"} - {home}:
        assert client.get(other)["Location"] == home


def test_signed_out_visitors_are_sent_to_sign_in():
    """Every surface asks an anonymous visitor to sign in first."""
    for surface in ("/ops/", "/reseller/", "/app/", "/app/audit/"):
        response = Client().get(surface)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_a_person_without_an_organisation_is_told_so():
    """Someone whose only membership was removed sees a clear page, not an error."""
    person = member(role="admin")
    person.is_active = False
    person.save()
    client = Client()
    client.force_login(person.user)
    response = client.get("/", follow=True)
    assert response.status_code == 403
    assert "You are not a member of an active organisation" in response.content.decode()


def test_the_members_form_shows_inline_errors_and_writes_nothing():
    """An invalid email is shown next to its field with a 422, and no member is added."""
    admin = member(role="admin", accepted_terms=True)
    client = Client()
    client.force_login(admin.user)
    response = client.post("/app/members/", {"email": "not-an-email", "role": "agent"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    assert admin.organization.memberships.count() == 1


def test_creating_a_key_in_the_ui_shows_the_secret_once():
    """The new key's secret is on the page that created it and never again."""
    admin = member(role="admin", accepted_terms=True)
    client = Client()
    client.force_login(admin.user)
    created = client.post("/app/api-keys/", {"name": "Zapier", "scopes": ["members:read"]})
    prefix = ApiKey.objects.get().prefix
    assert f"tlk_{prefix}_" in created.content.decode()
    assert f"tlk_{prefix}_" not in client.get("/app/api-keys/").content.decode()


def test_an_agent_cannot_open_the_api_keys_page():
    """Pages check the same scopes as the API."""
    agent = member(role="agent", accepted_terms=True)
    client = Client()
    client.force_login(agent.user)
    assert client.get("/app/api-keys/").status_code == 403
    assert client.post("/app/api-keys/", {"name": "x", "scopes": ["inbox:read"]}).status_code == 403
    assert not ApiKey.objects.exists()


def test_a_bulgarian_user_sees_bulgarian():
    """The person's language decides the interface language, whatever the browser asks for."""
    person = member(role="admin", language="bg", accepted_terms=True)
    client = Client()
    client.force_login(person.user)
    html = client.get("/app/", headers={"Accept-Language": "en"}).content.decode()
    assert '<html lang="bg">' in html
    assert "Членове" in html


def test_the_language_switcher_remembers_the_choice():
    """Choosing Bulgarian in the switcher stores it on the person's profile."""
    person = member(role="admin")
    client = Client()
    client.force_login(person.user)
    client.post("/language/", {"language": "bg", "next": "/app/"})
    person.user.refresh_from_db()
    assert person.user.language == "bg"


def test_security_headers_and_request_id(caplog):
    """Pages carry a strict CSP with a nonce, deny framing, and echo a request id that the JSON log line carries."""
    with caplog.at_level(logging.INFO, logger="trunkline.request"):
        response = Client().get("/", headers={"X-Request-ID": "trace-abcdef123"})
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"] == "trace-abcdef123"
    record = next(record for record in caplog.records if record.name == "trunkline.request")
    assert record.request_id == "trace-abcdef123"
    assert (record.status, record.path) == (200, "/")


def test_log_lines_are_json_with_the_request_id():
    """The configured formatter turns a record into one JSON object with the request id."""
    from trunkline.core.logging import RequestIdFilter, request_id_var

    formatter_config = logging.getLogger().handlers[0].formatter
    record = logging.LogRecord("trunkline.test", logging.INFO, __file__, 1, "hello", None, None)
    token = request_id_var.set("req-42424242")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(formatter_config.format(record))  # type: ignore[union-attr]
    assert (line["message"], line["level"], line["request_id"]) == ("hello", "INFO", "req-42424242")


def test_an_unsafe_request_id_is_replaced():
    """A request id with odd characters is not echoed into logs or headers."""
    response = Client().get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def test_a_person_in_two_organisations_switches_between_them():
    """The switcher moves a person to the other organisation's surface; a foreign or malformed id is refused."""
    customer = member(kind="customer", role="admin", accepted_terms=True)
    both = member(kind="reseller", role="admin", accepted_terms=True)
    Membership.objects.create(organization=customer.organization, user=both.user, role="agent")
    client = Client()
    client.force_login(both.user)
    switched = client.post("/organization/switch/", {"organization": str(customer.organization.public_id)})
    assert switched["Location"] == "/app/"
    assert client.get("/")["Location"] == "/app/"
    stranger = member(kind="customer", role="admin")
    for wanted in (str(stranger.organization.public_id), "not-a-uuid"):
        refused = client.post("/organization/switch/", {"organization": wanted}, follow=True)
        assert "You are not a member of that organisation." in refused.content.decode()
    assert client.get("/")["Location"] == "/app/"


@pytest.mark.rule("PT-1.2")
@pytest.mark.rule("RT-2.1")
@pytest.mark.parametrize(
    ("kind", "home", "slug"), [("customer", "/app/", "platform-terms"), ("reseller", "/reseller/", "reseller-terms")]
)
def test_a_surface_opens_only_after_its_terms_are_accepted(kind, home, slug):
    """Using the platform needs the version in force accepted: first the accept page, then the surface."""
    person = member(kind=kind, role="admin")
    client = Client()
    client.force_login(person.user)
    gate = client.get(home)
    assert gate.status_code == 302
    assert gate["Location"] == f"/terms/{slug}/accept/?next={home.replace('/', '%2F')}"
    accept_all_terms(person.organization)
    assert client.get(home).status_code == 200


def test_an_unknown_id_in_a_page_address_is_the_404_page_not_a_server_error():
    """Back-office and surface pages answer 404 for an id nobody has, as for another organisation's object."""
    unknown = "6f1c1c8e-1111-4111-8111-111111111111"
    client = Client(raise_request_exception=False)
    client.force_login(member(kind="operator", role="staff").user)
    assert client.get(f"/ops/organizations/{unknown}/").status_code == 404
    client.force_login(member(kind="reseller", role="admin", accepted_terms=True).user)
    assert client.get(f"/reseller/orders/{unknown}/").status_code == 404
