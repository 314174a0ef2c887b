"""Organisations created by operator staff: paid customers from an agreement (PT-5.5, PT-1.2) and resellers, whose
first users set their own passwords (RT-4.2); and the organisation page with its lifecycle and notices."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from trunkline.accounts.models import User
from trunkline.audit.models import AuditEvent
from trunkline.commerce.models import Agreement
from trunkline.notifications.models import Notice
from trunkline.onboarding.models import CountryAccess
from trunkline.tenancy.models import Membership, Organization
from trunkline.testing.factories import member

pytestmark = pytest.mark.django_db

NEW_CUSTOMER = "/ops/organizations/new/customer/"
NEW_RESELLER = "/ops/organizations/new/reseller/"
SET_PASSWORD_LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/password/reset/key/(\S+)/)")


def representatives(*rows, total=3):
    data = {
        "representatives-TOTAL_FORMS": str(total),
        "representatives-INITIAL_FORMS": "0",
        "representatives-MIN_NUM_FORMS": "0",
        "representatives-MAX_NUM_FORMS": "10",
    }
    for index, (name, email, phone) in enumerate(rows):
        data |= {
            f"representatives-{index}-name": name,
            f"representatives-{index}-email": email,
            f"representatives-{index}-phone": phone,
        }
    return data


MARIA = ("Maria Petrova", "maria@vitosha-clinics.example", "0888 765 432")


def agreement_form(action="provision", people=(MARIA,), **changes):
    data = {
        "reference": "AG-2026-014",
        "customer_name": "Vitosha Clinics",
        "customer_country": "BG",
        "account_email": "office@vitosha-clinics.example",
        "plan_name": "Business",
        "term_start": "2026-12-01",
        "term_end": "2027-11-30",
        "price_amount": "249.00",
        "price_currency": "EUR",
        "signed_on": "2026-11-20",
        "allowed_countries": ["DE"],
        "action": action,
        **representatives(*people),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def reseller_form(**changes):
    data = {
        "name": "Balkan Softphones",
        "country": "RO",
        "email": "office@balkan-softphones.example",
        "first_user_email": "ana@balkan-softphones.example",
        "first_user_first_name": "Ana",
        "first_user_last_name": "Ionescu",
        "language": "en",
    }
    data.update(changes)
    return data


def customers() -> int:
    return Organization.objects.filter(kind="customer").count()


@pytest.mark.rule("PT-5.5")
@pytest.mark.parametrize(
    ("missing", "field", "sentence"),
    [
        ("plan_name", "plan_name", "Required before the organisation can be created."),
        ("term_start", "term_start", "Required before the organisation can be created."),
        ("price_amount", "price_amount", "Required before the organisation can be created."),
        ("account_email", "account_email", "Required before the organisation can be created."),
        ("signed_on", "signed_on", "Required before the organisation can be created."),
    ],
)
def test_creating_a_customer_is_refused_until_the_agreement_is_complete(
    staff_client, terms, django_capture_on_commit_callbacks, missing, field, sentence
):
    """Each missing piece of required data is named beside its field; no agreement, organisation or email is made."""
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(NEW_CUSTOMER, agreement_form(**{missing: ""}))

    assert response.status_code == 422
    page = response.content.decode()
    assert "The agreement is not complete yet: fill in the marked fields first." in page
    assert f'<div class="field-error" id="id_{field}_error"><p>{sentence}</p></div>' in page
    assert Agreement.objects.count() == 0
    assert customers() == 0
    assert mail.outbox == []


@pytest.mark.rule("PT-5.5")
def test_an_agreement_without_representatives_is_refused(staff_client, terms, django_capture_on_commit_callbacks):
    """At least one authorised representative with name, email and phone is required; half a row is named."""
    with django_capture_on_commit_callbacks(execute=True):
        none = staff_client.post(NEW_CUSTOMER, agreement_form(people=()))
        half = staff_client.post(NEW_CUSTOMER, agreement_form(people=[("Maria Petrova", "", "12")]))

    assert none.status_code == 422
    assert "Name at least one authorised representative (name, email and phone)." in none.content.decode()
    assert half.status_code == 422
    page = half.content.decode()
    assert (
        '<div class="field-error" id="id_representatives-0-email_error"><p>Give the representative&#x27;s email.</p>'
        in page
    )
    assert "Enter a valid phone number, e.g. +359 88 123 4567." in page
    assert (Agreement.objects.count(), customers()) == (0, 0)


@pytest.mark.rule("PT-5.5")
@pytest.mark.rule("PT-1.2")
def test_a_draft_is_completed_later_and_then_provisions_an_active_paid_customer(
    staff, staff_client, terms, django_capture_on_commit_callbacks
):
    """A draft saved without a price is refused; once completed, the organisation is created and active, with the
    agreement's countries, an invited first user, the terms accepted by signed agreement and a notice."""
    draft = staff_client.post(NEW_CUSTOMER, agreement_form(action="save", price_amount=""))
    agreement = Agreement.objects.get()
    assert draft["Location"] == f"/ops/agreements/{agreement.public_id}/"
    assert agreement.price_amount is None
    assert agreement.representatives.get().phone == "+359888765432"
    refused = staff_client.post(draft["Location"], agreement_form(price_amount=""))
    assert refused.status_code == 422
    assert customers() == 0

    with django_capture_on_commit_callbacks(execute=True):
        done = staff_client.post(draft["Location"], agreement_form())

    agreement.refresh_from_db()
    organization = agreement.organization
    assert organization is not None
    assert done["Location"] == f"/ops/organizations/{organization.public_id}/"
    assert (organization.kind, organization.status, organization.email) == (
        "customer",
        "active",
        "office@vitosha-clinics.example",
    )
    assert organization.status_reason == "Договор AG-2026-014, подписан на 20.11.2026."  # in the customer's language
    assert organization.status_changed_by == staff.user
    assert agreement.price_amount == Decimal("249.00")
    assert str(agreement.price) == "249.00 EUR"
    assert CountryAccess.objects.get(organization=organization).allowed_countries == ["BG", "DE"]
    first = Membership.objects.get(organization=organization)
    assert (first.user.email, first.role, first.user.has_usable_password()) == (
        "office@vitosha-clinics.example",
        "admin",
        False,
    )
    assert [
        (row["document"], row["method"], row["signatory"], row["reference"], row["ip"], row["person"])
        for row in terms.of(organization)
    ] == [
        ("platform_terms", "signed_agreement", "Maria Petrova (упълномощени представители)", "AG-2026-014", None, None),
        ("privacy_notice", "signed_agreement", "Maria Petrova (упълномощени представители)", "AG-2026-014", None, None),
    ]
    assert Notice.objects.get(organization=organization).kind == "onboarding.agreement_started"
    assert [message.to for message in mail.outbox] == [["office@vitosha-clinics.example"]] * 2  # invitation, notice
    assert organization.language == "bg"
    assert staff_client.post(draft["Location"], agreement_form())["Location"] == done["Location"]  # read-only now
    assert customers() == 1


@pytest.mark.rule("PT-5.5")
def test_a_reseller_is_created_with_its_first_user_invited(staff_client, django_capture_on_commit_callbacks):
    """Staff create a reseller from name, country, account email and first user's email; it is active at once."""
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(NEW_RESELLER, reseller_form())

    organization = Organization.objects.get(kind="reseller")
    assert response["Location"] == f"/ops/organizations/{organization.public_id}/"
    assert (organization.name, organization.country, organization.status) == ("Balkan Softphones", "RO", "active")
    assert CountryAccess.objects.get(organization=organization).allowed_countries == ["RO"]
    member_user = Membership.objects.get(organization=organization).user
    assert (member_user.email, member_user.first_name) == ("ana@balkan-softphones.example", "Ana")
    [invitation] = [m for m in mail.outbox if m.to == ["ana@balkan-softphones.example"]]
    assert SET_PASSWORD_LINK.search(str(invitation.body)) is not None


def test_an_invalid_reseller_form_writes_nothing(staff_client, django_capture_on_commit_callbacks):
    """Missing or malformed fields are named beside each field and nothing is created or sent."""
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(NEW_RESELLER, reseller_form(first_user_email="ana@", country=""))

    assert response.status_code == 422
    page = response.content.decode()
    assert '<div class="field-error" id="id_first_user_email_error"><p>Enter a valid email address.</p>' in page
    assert '<div class="field-error" id="id_country_error"><p>This field is required.</p>' in page
    assert Organization.objects.filter(kind="reseller").count() == 0
    assert mail.outbox == []


@pytest.mark.rule("RT-4.2")
def test_staff_never_see_the_credentials_of_the_first_users(
    staff, staff_client, terms, django_capture_on_commit_callbacks
):
    """The set-password links go only to the new people; no page, API answer, notice or audit event that staff can
    read contains a link, a token or a password."""
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(NEW_CUSTOMER, agreement_form())
        staff_client.post(NEW_RESELLER, reseller_form())
    secrets = []
    for message in mail.outbox:
        found = SET_PASSWORD_LINK.search(str(message.body))
        if found:
            secrets += [found.group(1), found.group(2), found.group(2).split("-", 1)[1]]
    assert len(secrets) == 6  # two first users, each with a link, its key and its token

    seen = []
    for organization in Organization.objects.exclude(kind="operator"):
        seen.append(staff_client.get(f"/ops/organizations/{organization.public_id}/").content.decode())
        seen.append(staff_client.get(f"/api/v1/notices?organization_id={organization.public_id}").content.decode())
    for path in ("/ops/organizations/", "/ops/audit/", "/ops/", "/api/v1/audit-events?page_size=200"):
        response = staff_client.get(path)
        assert response.status_code == 200, path
        seen.append(response.content.decode())
    seen += [str(event.changes) + event.target_label for event in AuditEvent.objects.all()]
    seen += [notice.body for notice in Notice.objects.all()]
    for secret in secrets:
        assert not any(secret in text for text in seen), secret
    assert not any("/password/reset/key/" in text for text in seen)
    assert User.objects.get(email="ana@balkan-softphones.example").has_usable_password() is False


@pytest.mark.rule("PT-5.5")
def test_only_operator_staff_with_ops_manage_create_organisations(terms):
    """A customer's admin gets 404 for the back office; operator support (read-only) gets 403; anonymous signs in."""
    anonymous = Client().get(NEW_CUSTOMER)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    for kind, role, status in (("customer", "admin", 404), ("reseller", "admin", 404), ("operator", "support", 403)):
        client = Client()
        client.force_login(member(kind=kind, role=role).user)
        assert client.post(NEW_RESELLER, reseller_form()).status_code == status, (kind, role)
        assert client.get(NEW_CUSTOMER).status_code == status, (kind, role)
    assert Organization.objects.filter(kind="reseller").count() == 1  # the reseller member's own, nothing new


@pytest.mark.rule("PT-6.3")
def test_the_organisation_page_suspends_reactivates_and_terminates_with_reason_and_actor(
    staff, staff_client, django_capture_on_commit_callbacks
):
    """The lifecycle buttons call tenancy's services; the page shows status, reason, ground, actor and notices."""
    customer = member(kind="customer").organization
    customer.email = "office@customer.example"
    customer.save()
    page = f"/ops/organizations/{customer.public_id}/"

    with django_capture_on_commit_callbacks(execute=True):
        suspended = staff_client.post(
            page, {"action": "suspend", "suspend-ground": "non_payment", "suspend-reason": "Invoice 0000000042 unpaid"}
        )
    assert suspended["Location"] == page
    customer.refresh_from_db()
    assert (customer.status, customer.status_ground, customer.status_reason) == (
        "suspended",
        "non_payment",
        "Invoice 0000000042 unpaid",
    )
    shown = staff_client.get(page).content.decode()
    assert '<dd id="status-reason">Invoice 0000000042 unpaid</dd>' in shown
    assert f'<dd id="status-actor">{staff.user.email}</dd>' in shown
    assert "<dd>Non-payment</dd>" in shown
    assert "<td><code>organization.suspended</code></td><td>office@customer.example</td>" in shown
    assert "<td>Sent</td>" in shown

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(page, {"action": "reactivate", "reactivate-reason": "Paid in full"})
    customer.refresh_from_db()
    assert customer.status == "active"
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            page, {"action": "terminate", "terminate-ground": "breach", "terminate-reason": "Spam campaigns"}
        )
    customer.refresh_from_db()
    assert customer.status == "terminated"
    assert list(Notice.objects.filter(organization=customer).order_by("created_at").values_list("kind", flat=True)) == [
        "organization.suspended",
        "organization.active",
        "organization.terminated",
    ]


@pytest.mark.rule("PT-6.3")
def test_a_suspension_without_reason_or_ground_is_refused_beside_the_fields(staff_client):
    """Both the ground and the reason are required; the organisation stays active."""
    customer = member(kind="customer").organization
    response = staff_client.post(
        f"/ops/organizations/{customer.public_id}/", {"action": "suspend", "suspend-ground": "", "suspend-reason": ""}
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert '<div class="field-error" id="id_suspend-ground_error"><p>This field is required.</p>' in page
    assert '<div class="field-error" id="id_suspend-reason_error"><p>This field is required.</p>' in page
    customer.refresh_from_db()
    assert customer.status == "active"


@pytest.mark.rule("PT-8.3")
def test_staff_change_the_allowed_countries_and_it_is_audited(staff_client):
    """Staff allow a second country on the organisation page; the change is kept and audited."""
    customer = member(kind="customer").organization
    response = staff_client.post(
        f"/ops/organizations/{customer.public_id}/",
        {"action": "countries", "countries-allowed_countries": ["BG", "GR"]},
    )

    assert response.status_code == 302
    assert CountryAccess.objects.get(organization=customer).allowed_countries == ["BG", "GR"]
    event = AuditEvent.objects.get(action="access.countries_changed")
    assert event.changes == {"allowed_countries": [["BG"], ["BG", "GR"]]}
    refused = staff_client.post(
        f"/ops/organizations/{customer.public_id}/", {"action": "countries", "countries-allowed_countries": []}
    )
    assert refused.status_code == 422


def test_another_kind_of_page_visitor_cannot_read_an_organisation_page(terms):
    """A customer's admin asking for another organisation's back-office page gets 404."""
    intruder, victim = member(kind="customer"), member(kind="customer")
    client = Client()
    client.force_login(intruder.user)
    assert client.get(f"/ops/organizations/{victim.organization.public_id}/").status_code == 404
