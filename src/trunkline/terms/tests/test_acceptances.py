"""Acceptance evidence (RT-2.1, RT-2.6, PT-1.2): what is recorded, that it never changes, the exports, and the gate."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from trunkline.audit.models import AuditEvent
from trunkline.core.errors import MissingScopeError
from trunkline.terms.errors import (
    PersonRequiredError,
    TermsAcceptanceRequiredError,
    TermsNotApplicableError,
    TermsVersionSupersededError,
)
from trunkline.terms.gate import terms_require_accepted, terms_required
from trunkline.terms.models import TermsAcceptance
from trunkline.terms.selectors import terms_acceptance_current, terms_version_current
from trunkline.terms.services import terms_accept
from trunkline.terms.tests.conftest import publish
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import api_key_for, ctx_for, member
from trunkline.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chromium/140.0"


@terms_required("platform_terms")
def gated_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the gated page")


urlpatterns = [path("gated/", gated_page), *site_urlpatterns]


def accept_click(membership, version, *, ip="203.0.113.7", user_agent=BROWSER, **kwargs):
    return terms_accept(
        ctx=ctx_for(membership), version_id=version.public_id, method="click", ip=ip, user_agent=user_agent, **kwargs
    )


@pytest.fixture
def customer(documents):
    return member(kind="customer", role="admin", first_name="Maria", last_name="Ivanova", email="maria@dental.example")


@pytest.fixture
def current_terms(platform_terms):
    version = terms_version_current(document=platform_terms, language="en")
    assert version is not None
    return version


@pytest.mark.rule("RT-2.1")
@pytest.mark.rule("RT-2.6")
def test_a_click_records_person_method_ip_browser_time_and_hash(customer, current_terms):
    """Clicking "I agree" stores who, for which organisation, which text (hash), how, when, IP and user agent."""
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        acceptance = accept_click(customer, current_terms)
    stored = TermsAcceptance.objects.get(pk=acceptance.pk)
    assert stored.organization == customer.organization
    assert stored.person == customer.user
    assert stored.person_label == "Maria Ivanova <maria@dental.example>"
    assert stored.version == current_terms
    assert stored.sha256 == current_terms.sha256
    assert stored.method == "click"
    assert stored.accepted_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert stored.ip == "203.0.113.7"
    assert stored.user_agent == BROWSER
    event = AuditEvent.objects.get(action="terms.accepted")
    assert event.changes == {
        "document": "platform-terms",
        "number": 1,
        "language": "en",
        "sha256": current_terms.sha256,
        "method": "click",
    }
    assert terms_acceptance_current(organization=customer.organization, kind="platform_terms").accepted


@pytest.mark.rule("RT-2.6")
def test_acceptance_evidence_cannot_be_changed_or_deleted(customer, current_terms):
    """A second save, a bulk update and a delete of an acceptance are all refused."""
    acceptance = accept_click(customer, current_terms)
    acceptance.ip = "198.51.100.1"
    with pytest.raises(PermissionError):
        acceptance.save()
    with pytest.raises(PermissionError):
        TermsAcceptance.objects.filter(pk=acceptance.pk).update(method="deemed")
    with pytest.raises(PermissionError):
        acceptance.delete()
    with pytest.raises(PermissionError):
        TermsAcceptance.objects.for_org(customer.organization).delete()
    assert TermsAcceptance.objects.get(pk=acceptance.pk).ip == "203.0.113.7"


@pytest.mark.rule("RT-2.1")
def test_only_people_who_bind_the_organisation_accept_and_only_the_version_in_force(
    customer, current_terms, staff_ctx, platform_terms
):
    """An agent is refused; an API key is refused; a superseded version is refused; the wrong audience is refused."""
    agent = member(organization=customer.organization, role="agent")
    with pytest.raises(MissingScopeError):
        accept_click(agent, current_terms)
    key_ctx = ctx_for(customer)
    with pytest.raises(PersonRequiredError):
        terms_accept(
            ctx=type(key_ctx)(organization=key_ctx.organization, scopes=key_ctx.scopes, api_key_id=1),
            version_id=current_terms.public_id,
            method="click",
            ip=None,
            user_agent="",
        )
    reseller = member(kind="reseller", role="admin")
    with pytest.raises(TermsNotApplicableError) as error:
        accept_click(reseller, current_terms)
    assert error.value.message == "Platform general terms does not apply to your organisation."
    with time_machine.travel("2026-03-02 08:00Z", tick=False):
        publish(staff_ctx, platform_terms, effective_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        with pytest.raises(TermsVersionSupersededError):
            accept_click(customer, current_terms)
    assert TermsAcceptance.objects.count() == 0


@pytest.mark.rule("RT-2.1")
@pytest.mark.rule("PT-1.2")
def test_paper_and_registration_evidence_name_their_signatory(customer, current_terms, staff_ctx, documents):
    """Operator staff record a purchase order signed by both sides; registration records the newcomer's tick."""
    reseller = member(kind="reseller", role="admin")
    reseller_terms = terms_version_current(document=documents["reseller_terms"], language="en")
    assert reseller_terms is not None
    paper = terms_accept(
        ctx=staff_ctx,
        version_id=reseller_terms.public_id,
        method="purchase_order",
        ip=None,
        user_agent="",
        organization_id=reseller.organization.public_id,
        signatory="Ivan Petrov, manager",
        reference="PO-2026-0042",
    )
    assert (paper.organization, paper.person, paper.signatory) == (reseller.organization, None, "Ivan Petrov, manager")
    assert (paper.reference, paper.recorded_by_label) == ("PO-2026-0042", staff_ctx.user.email)
    registration = terms_accept(
        ctx=ctx_for(customer),
        version_id=current_terms.public_id,
        method="registration",
        ip="192.0.2.4",
        user_agent="UA",
    )
    assert (registration.method, registration.person, registration.ip) == ("registration", customer.user, "192.0.2.4")
    with pytest.raises(MissingScopeError):
        terms_accept(
            ctx=ctx_for(customer),
            version_id=current_terms.public_id,
            method="signed_agreement",
            ip=None,
            user_agent="",
            organization_id=customer.organization.public_id,
            signatory="Me",
        )


@pytest.mark.rule("RT-2.6")
def test_the_json_export_holds_the_whole_evidence(customer, current_terms):
    """The download names the organisation and, per acceptance, the version, its hash, method, person, IP and UA."""
    with time_machine.travel("2026-03-02 09:30Z", tick=False):
        acceptance = accept_click(customer, current_terms)
    client = Client()
    client.force_login(customer.user)
    response = client.get("/app/terms/acceptances.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="terms-acceptances-')
    body = json.loads(response.content)
    assert body["organization"] == {
        "id": str(customer.organization.public_id),
        "name": customer.organization.name,
        "kind": "customer",
    }
    [item] = body["acceptances"]
    assert item["id"] == str(acceptance.public_id)
    assert item["document"] == {
        "slug": "platform-terms",
        "title": "Platform general terms",
        "title_bg": "Общи условия за ползване на платформата",
        "kind": "platform_terms",
    }
    assert item["version"]["number"] == 1
    assert item["version"]["language"] == "en"
    assert item["version"]["url"] == "http://127.0.0.1:8000/terms/platform-terms/v/1/?language=en"
    assert item["sha256"] == current_terms.sha256
    assert (item["method"], item["method_label"]) == ("click", "Clicked “I agree”")
    assert item["person"] == "Maria Ivanova <maria@dental.example>"
    assert (item["accepted_at"], item["ip"], item["user_agent"]) == (
        "2026-03-02T09:30:00+00:00",
        "203.0.113.7",
        BROWSER,
    )


@pytest.mark.rule("RT-2.6")
def test_the_printable_receipt_and_its_pdf(customer, current_terms):
    """The HTML receipt lists the evidence; the PDF is a real PDF document."""
    accept_click(customer, current_terms)
    client = Client()
    client.force_login(customer.user)
    page = client.get("/app/terms/receipt/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Receipt of terms acceptances" in html
    assert customer.organization.name in html
    assert current_terms.sha256 in html
    assert "203.0.113.7" in html
    assert BROWSER in html
    assert "Maria Ivanova &lt;maria@dental.example&gt;" in html
    pdf = client.get("/app/terms/receipt.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) > 2000


@pytest.mark.rule("RT-2.6")
def test_the_acceptance_api_lists_evidence_and_passes_the_access_matrix(customer, current_terms):
    """Anonymous 401, no audit:read 403, with it 200 and the evidence; another organisation sees none of it."""
    accept_click(customer, current_terms)
    check_access_matrix(
        customer,
        lambda: Endpoint("GET", "/api/v1/terms/acceptances", "audit:read"),
        other_scopes=("members:read",),
        foreign_status=200,
    )
    client = Client()
    own = client.get(
        "/api/v1/terms/acceptances", HTTP_AUTHORIZATION=f"Bearer {api_key_for(customer, ['audit:read'])}"
    ).json()
    assert own["count"] == 1
    assert own["items"][0]["sha256"] == current_terms.sha256
    assert own["items"][0]["person"] == "Maria Ivanova <maria@dental.example>"
    assert own["items"][0]["ip"] == "203.0.113.7"


def test_the_acceptance_list_costs_the_same_queries_for_many_rows(
    customer, current_terms, django_assert_max_num_queries
):
    """Listing 1 or 20 acceptances takes the same handful of queries (no query per row)."""
    token = api_key_for(customer, ["audit:read"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for _ in range(20):
        accept_click(customer, current_terms)
    with django_assert_max_num_queries(4):
        listed = client.get("/api/v1/terms/acceptances?page_size=50").json()
    assert listed["count"] == 20


@pytest.mark.rule("RT-2.6")
@pytest.mark.rule("PT-22")
def test_a_foreign_organisation_cannot_read_anothers_acceptances(customer, current_terms):
    """Another customer lists none of them, asking by organisation id answers 404, and so do its pages."""
    accept_click(customer, current_terms)
    stranger = member(kind="customer", role="admin")
    token = api_key_for(stranger, ["audit:read"])
    client = Client()
    listed = client.get("/api/v1/terms/acceptances", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert listed["count"] == 0
    asked = client.get(
        f"/api/v1/terms/acceptances?organization_id={customer.organization.public_id}",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert asked.status_code == 404
    assert asked.json()["code"] == "not_found"
    client.force_login(stranger.user)
    for url in ("acceptances.json", "receipt/", "receipt.pdf"):
        assert client.get(f"/app/terms/{url}?organization={customer.organization.public_id}").status_code == 404
    own = json.loads(client.get("/app/terms/acceptances.json").content)
    assert own["acceptances"] == []


def test_operator_staff_read_any_organisations_evidence(customer, current_terms, staff):
    """Operator staff export a named organisation's evidence."""
    accept_click(customer, current_terms)
    client = Client()
    client.force_login(staff.user)
    body = json.loads(client.get(f"/ops/terms/acceptances.json?organization={customer.organization.public_id}").content)
    assert [item["organization"]["name"] for item in body["acceptances"]] == [customer.organization.name]


@pytest.mark.rule("RT-2.1")
@pytest.mark.urls(__name__)
def test_the_gate_sends_to_the_accept_page_and_continues_after_i_agree(customer, current_terms):
    """A gated page redirects to the accept page; "I agree" records a click with IP and UA, then continues."""
    client = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.23")
    client.force_login(customer.user)
    gated = client.get("/gated/?tab=1")
    assert gated.status_code == 302
    assert gated["Location"] == "/terms/platform-terms/accept/?next=%2Fgated%2F%3Ftab%3D1"
    page = client.get(gated["Location"])
    assert page.status_code == 200
    assert "Platform general terms, version 1" in page.content.decode()
    assert current_terms.sha256 in page.content.decode()
    assert "I agree" in page.content.decode()
    agreed = client.post(gated["Location"], {"version": str(current_terms.public_id), "next": "/gated/?tab=1"})
    assert agreed.status_code == 302
    assert agreed["Location"] == "/gated/?tab=1"
    acceptance = TermsAcceptance.objects.get()
    assert (acceptance.method, acceptance.ip, acceptance.user_agent) == ("click", "198.51.100.23", BROWSER)
    assert client.get("/gated/?tab=1").content == b"the gated page"


@pytest.mark.urls(__name__)
def test_the_gate_never_continues_to_another_site(customer, current_terms):
    """A foreign ``next`` is replaced by the home page; an agent sees the text but no button."""
    client = Client()
    client.force_login(customer.user)
    agreed = client.post(
        "/terms/platform-terms/accept/?next=https://evil.example/",
        {"version": str(current_terms.public_id), "next": "https://evil.example/"},
    )
    assert agreed["Location"] == "/"
    agent = member(organization=member(kind="customer").organization, role="agent")
    client.force_login(agent.user)
    page = client.get("/terms/platform-terms/accept/?next=/gated/").content.decode()
    assert "Only an administrator or a billing person" in page
    assert ">I agree</button>" not in page


def test_a_bulgarian_reader_gets_the_accept_page_in_bulgarian(documents):
    """The title, the text, the button and the explanation are Bulgarian for a Bulgarian person."""
    admin = member(kind="customer", role="admin", language="bg")
    client = Client()
    client.force_login(admin.user)
    page = client.get("/terms/platform-terms/accept/?next=/app/", HTTP_ACCEPT_LANGUAGE="bg").content.decode()
    assert "<h1>Общи условия за ползване на платформата</h1>" in page
    assert "Общи условия за ползване на платформата, версия 1</h1>" in page
    assert ">Съгласен съм</button>" in page
    assert "Като доказателство записваме" in page


@pytest.mark.rule("RT-2.1")
def test_the_service_check_names_the_accept_page(customer, current_terms):
    """A service asks before acting: not accepted raises a 403 with the accept page; after accepting it passes."""
    with pytest.raises(TermsAcceptanceRequiredError) as error:
        terms_require_accepted(organization=customer.organization, kind="platform_terms")
    assert error.value.http_status == 403
    assert error.value.message == "Your organisation must first accept the current version of Platform general terms."
    assert error.value.detail["accept_url"] == "/terms/platform-terms/accept/"
    assert error.value.detail["number"] == 1
    accept_click(customer, current_terms)
    terms_require_accepted(organization=customer.organization, kind="platform_terms")
    terms_require_accepted(organization=customer.organization, kind="reseller_terms")  # not a reseller: not bound


def test_the_status_api_tells_which_documents_are_accepted(customer, current_terms):
    """Each binding document with its version in force and whether the organisation accepted it."""
    accept_click(customer, current_terms)
    token = api_key_for(customer, ["organization:read"])
    statuses = Client().get("/api/v1/terms/status", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    by_document = {status["document"]: (status["number"], status["accepted"], status["method"]) for status in statuses}
    assert by_document == {
        "data-processing-annex": (1, False, None),
        "platform-terms": (1, True, "click"),
        "privacy-notice": (1, False, None),
    }
