"""Free-plan registration (PT-5.2) and its confirmation through the emailed link (PT-5.4, PT-1.2)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from trunkline.accounts.models import User
from trunkline.audit.models import AuditEvent
from trunkline.core import clock
from trunkline.notifications.models import Notice
from trunkline.onboarding.models import CountryAccess, Registration
from trunkline.tenancy.models import Membership, Organization
from trunkline.terms.selectors import legal_document_for_kind
from trunkline.terms.services import terms_version_publish
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db

REGISTER = "/register/"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/register/password/\S+/)")
REGISTRATION_UA = "Mozilla/5.0 (registration browser)"


def form(terms, **changes):
    data = {
        "first_name": "Elena",
        "last_name": "Stoyanova",
        "email": "Elena@Rila-Travel.example",
        "phone": "+359 88 123 4567",
        "company": "Rila Travel",
        "website": "rila-travel.example",
        "employees_serving_end_users": "12",
        "country": "BG",
        "accept_terms": "on",
        "homepage": "",
        "platform_terms_version": terms.versions["platform_terms"].version_id,
        "privacy_notice_version": terms.versions["privacy_notice"].version_id,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def register(client, terms, django_capture_on_commit_callbacks, **changes):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            REGISTER, form(terms, **changes), REMOTE_ADDR="212.39.70.10", HTTP_USER_AGENT=REGISTRATION_UA
        )


def emailed_link() -> str:
    [message] = [m for m in mail.outbox if m.subject == "Confirm your Trunkline registration"]
    found = LINK.search(str(message.body))
    assert found is not None, message.body
    return found.group(1)


def nothing_written() -> None:
    assert Organization.objects.exclude(kind="operator").count() == 0
    assert not User.objects.filter(email__iexact="elena@rila-travel.example").exists()
    assert Registration.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.rule("PT-5.2")
def test_the_form_asks_for_everything_and_links_both_documents(terms):
    """The page shows every field of PT-5.2 and links the terms and the privacy notice from the checkbox."""
    page = Client().get(REGISTER).content.decode()
    for label in (
        "First name",
        "Last name",
        "Email",
        "Phone",
        "Company",
        "Website",
        "Employees who serve end users",
        "Country",
    ):
        assert f">{label}</label>" in page, label
    assert '<a href="/terms/platform-terms/" target="_blank">platform terms</a>' in page
    assert '<a href="/terms/privacy-notice/" target="_blank">privacy notice</a>' in page
    assert f'value="{terms.versions["platform_terms"].version_id}"' in page
    assert f'value="{terms.versions["privacy_notice"].version_id}"' in page


@pytest.mark.rule("PT-5.2")
@pytest.mark.rule("PT-5.4")
@pytest.mark.rule("PT-1.2")
def test_registration_starts_the_contract_only_when_the_password_is_set(
    client, terms, django_capture_on_commit_callbacks
):
    """A pending organisation and a person without a password are created; the link sets the password, which
    activates the organisation, records both acceptances with the registration's IP and browser, and opens /app/."""
    response = register(client, terms, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == "/register/sent/"
    registration = Registration.objects.get()
    organization = registration.organization
    assert (organization.name, organization.kind, organization.status) == ("Rila Travel", "customer", "pending")
    assert (organization.email, organization.country, registration.plan) == ("elena@rila-travel.example", "BG", "free")
    assert registration.phone == "+359881234567"
    assert registration.website == "https://rila-travel.example"
    assert registration.employees_serving_end_users == 12
    assert registration.user.email == "elena@rila-travel.example"
    assert registration.user.has_usable_password() is False
    assert Membership.objects.filter(organization=organization).count() == 0
    assert CountryAccess.objects.get(organization=organization).allowed_countries == ["BG"]
    assert terms.of(organization) == []
    [message] = mail.outbox
    assert message.to == ["elena@rila-travel.example"]
    assert "It works once and expires in 48 hours" in message.body

    confirming = Client()
    landing = confirming.get(emailed_link(), REMOTE_ADDR="212.39.80.99")
    assert landing.status_code == 302
    assert landing["Location"].endswith("/set-password/")
    page = confirming.get(landing["Location"], REMOTE_ADDR="212.39.80.99")
    assert page.status_code == 200
    assert "For elena@rila-travel.example at Rila Travel." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = confirming.post(
            landing["Location"],
            {"new_password1": "a-long-new-secret-42", "new_password2": "a-long-new-secret-42"},
            REMOTE_ADDR="212.39.80.99",
            HTTP_USER_AGENT="Confirming browser",
        )

    assert done.status_code == 302
    assert done["Location"] == "/app/"
    organization.refresh_from_db()
    registration.refresh_from_db()
    assert organization.status == "active"
    assert organization.status_reason == "Free-plan registration confirmed by elena@rila-travel.example."
    assert registration.confirmed_at is not None
    assert registration.user.check_password("a-long-new-secret-42")
    assert Membership.objects.get(organization=organization).role == "admin"
    shown = terms.versions
    assert [
        (row["document"], row["method"], row["ip"], row["user_agent"], row["version_id"], row["sha256"])
        for row in terms.of(organization)
    ] == [
        (
            "platform_terms",
            "registration",
            "212.39.70.10",
            REGISTRATION_UA,
            shown["platform_terms"].version_id,
            shown["platform_terms"].content_hash,
        ),
        (
            "privacy_notice",
            "registration",
            "212.39.70.10",
            REGISTRATION_UA,
            shown["privacy_notice"].version_id,
            shown["privacy_notice"].content_hash,
        ),
    ]
    assert {row["person"] for row in terms.of(organization)} == {registration.user}
    assert Notice.objects.get(organization=organization).kind == "onboarding.free_plan_started"
    assert list(AuditEvent.objects.for_org(organization).order_by("id").values_list("action", flat=True)) == [
        "organization.created",
        "registration.submitted",
        "registration.link_sent",
        "membership.added",
        "terms.accepted",
        "terms.accepted",
        "organization.active",
        "registration.confirmed",
        "notice.queued",
    ]
    app = confirming.get("/app/", REMOTE_ADDR="212.39.80.99")
    assert app.status_code == 200
    assert "Rila Travel" in app.content.decode()


@pytest.mark.rule("PT-5.4")
def test_a_used_link_does_not_work_twice(client, terms, django_capture_on_commit_callbacks):
    """Once the password is set, the same link answers that it is no longer valid."""
    register(client, terms, django_capture_on_commit_callbacks)
    link = emailed_link()
    first = Client()
    form_url = first.get(link)["Location"]
    first.post(form_url, {"new_password1": "a-long-new-secret-42", "new_password2": "a-long-new-secret-42"})

    again = Client().get(link)

    assert again.status_code == 400
    assert "This link is no longer valid" in again.content.decode()


@pytest.mark.rule("PT-5.4")
def test_a_link_older_than_48_hours_is_refused_and_nothing_starts(client, terms, django_capture_on_commit_callbacks):
    """48 hours and one second after it was sent, the link is refused and the organisation stays pending."""
    with time_machine.travel("2026-11-23 09:00Z", tick=False):
        register(client, terms, django_capture_on_commit_callbacks)
        link = emailed_link()
    with time_machine.travel("2026-11-25 09:00:00Z", tick=False):
        assert Client().get(link).status_code == 302  # exactly 48 hours: still valid
    with time_machine.travel("2026-11-25 09:00:01Z", tick=False):
        late = Client().get(link)

    assert late.status_code == 400
    assert "Send me a new link" in late.content.decode()
    registration = Registration.objects.get()
    assert registration.organization.status == "pending"
    assert registration.confirmed_at is None
    assert terms.of(registration.organization) == []


@pytest.mark.rule("PT-5.4")
def test_a_forged_link_is_refused(client, terms, django_capture_on_commit_callbacks):
    """A link with a changed token is refused like an expired one."""
    register(client, terms, django_capture_on_commit_callbacks)
    forged = emailed_link().rstrip("/")[:-3] + "abc/"
    assert Client().get(forged).status_code == 400


@pytest.mark.rule("PT-5.4")
def test_the_password_rules_apply_and_a_refused_password_changes_nothing(
    client, terms, django_capture_on_commit_callbacks
):
    """A short password is refused beside its field; the organisation stays pending and the link keeps working."""
    register(client, terms, django_capture_on_commit_callbacks)
    confirming = Client()
    form_url = confirming.get(emailed_link())["Location"]

    refused = confirming.post(form_url, {"new_password1": "short", "new_password2": "short"})

    assert refused.status_code == 422
    assert "This password is too short. It must contain at least 10 characters." in refused.content.decode()
    assert Registration.objects.get().organization.status == "pending"
    assert confirming.get(form_url).status_code == 200


@pytest.mark.rule("PT-5.4")
def test_a_registered_address_gets_the_same_answer_and_no_account(client, terms, django_capture_on_commit_callbacks):
    """An address that already has an account sees the same page; nothing is created and its owner gets a note."""
    existing = member(kind="customer", email="elena@rila-travel.example")
    before = (Organization.objects.count(), User.objects.count())

    response = register(client, terms, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == "/register/sent/"
    assert (Organization.objects.count(), User.objects.count()) == before
    assert Registration.objects.count() == 0
    [message] = mail.outbox
    assert message.to == ["elena@rila-travel.example"]
    assert message.subject == "Someone tried to register with your address"
    assert Notice.objects.get().organization == existing.organization
    assert "/register/password/" not in message.body


@pytest.mark.rule("PT-5.4")
def test_registering_again_before_confirming_sends_the_link_again(client, terms, django_capture_on_commit_callbacks):
    """A newcomer who lost the email registers again: the link comes again, and no second organisation is made."""
    register(client, terms, django_capture_on_commit_callbacks)
    register(client, terms, django_capture_on_commit_callbacks, company="Another Name")

    assert Organization.objects.exclude(kind="operator").count() == 1
    assert [m.subject for m in mail.outbox] == ["Confirm your Trunkline registration"] * 2


@pytest.mark.rule("PT-5.2")
def test_a_robot_filling_the_hidden_field_is_told_the_same_and_nothing_is_written(
    client, terms, django_capture_on_commit_callbacks
):
    """The honeypot field is hidden from people; a submission that fills it creates nothing and sends nothing."""
    response = register(client, terms, django_capture_on_commit_callbacks, homepage="http://spam.example")

    assert response.status_code == 302
    assert response["Location"] == "/register/sent/"
    nothing_written()


@pytest.mark.rule("PT-5.2")
@pytest.mark.parametrize(
    ("phone", "country", "stored"),
    [
        ("088 123 4567", "BG", "+359881234567"),
        ("+44 20 7946 0958", "BG", "+442079460958"),
        ("088 123 4567", "GB", None),
    ],
)
def test_phones_are_read_in_the_chosen_country_and_stored_as_e164(
    client, terms, django_capture_on_commit_callbacks, phone, country, stored
):
    """A national number is read as dialled in the chosen country; an international one as it is."""
    response = register(client, terms, django_capture_on_commit_callbacks, phone=phone, country=country)
    if stored is None:
        assert response.status_code == 422
        assert "Enter a valid phone number, e.g. +359 88 123 4567." in response.content.decode()
        nothing_written()
    else:
        assert response.status_code == 302
        assert Registration.objects.get().phone == stored


@pytest.mark.rule("PT-5.2")
@pytest.mark.parametrize("phone", ["not a phone", "+359 12", "+1 555 0100"])
def test_an_invalid_phone_is_refused_beside_its_field_and_nothing_is_written(
    client, terms, django_capture_on_commit_callbacks, phone
):
    """Letters, too few digits and unassigned numbers are refused with the same clear sentence."""
    response = register(client, terms, django_capture_on_commit_callbacks, phone=phone)

    assert response.status_code == 422
    page = response.content.decode()
    assert (
        '<div class="field-error" id="id_phone_error"><p>Enter a valid phone number, e.g. +359 88 123 4567.</p>' in page
    )
    nothing_written()


@pytest.mark.rule("PT-5.2")
def test_every_missing_field_is_named_and_nothing_is_written(client, terms, django_capture_on_commit_callbacks):
    """An empty form answers 422 with an error beside each required field, the checkbox included."""
    empty = {name: "" for name in form(terms) if not name.endswith("_version") and name != "accept_terms"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, form(terms, **empty, accept_terms=None))

    assert response.status_code == 422
    page = response.content.decode()
    for name in (
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "website",
        "employees_serving_end_users",
        "country",
    ):
        assert f'id="id_{name}_error"><p>This field is required.</p>' in page, name
    assert "Accept the platform terms and the privacy notice to register." in page
    nothing_written()


@pytest.mark.rule("PT-5.2")
def test_errors_are_in_bulgarian_for_a_bulgarian_visitor(client, terms, django_capture_on_commit_callbacks):
    """The same refusals read in Bulgarian when the browser asks for Bulgarian."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            REGISTER,
            form(terms, phone="123", accept_terms=None, employees_serving_end_users="0"),
            HTTP_ACCEPT_LANGUAGE="bg",
        )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Въведете валиден телефонен номер, напр. +359 88 123 4567." in page
    assert "Приемете общите условия на платформата и известието за поверителност, за да се регистрирате." in page
    assert "Уверете се, че тази стойност е по-голяма или равна на 1 ." in page  # Django's own wording
    nothing_written()


@pytest.mark.rule("PT-5.2")
def test_registrations_from_one_address_are_throttled(client, terms, django_capture_on_commit_callbacks, settings):
    """Past the allowed attempts from one address in an hour, the next is refused with 429 and writes nothing."""
    settings.REGISTRATION_RATE = "3/h"
    for _ in range(3):
        assert client.post(REGISTER, {}, REMOTE_ADDR="212.39.70.10").status_code == 422

    refused = register(client, terms, django_capture_on_commit_callbacks)

    assert refused.status_code == 429
    assert "Too many registrations from your address. Please try again in an hour." in refused.content.decode()
    nothing_written()
    elsewhere = client.post(REGISTER, form(terms), REMOTE_ADDR="212.39.70.11")
    assert elsewhere.status_code == 302
    with time_machine.travel(timedelta(hours=1)):
        assert (
            register(client, terms, django_capture_on_commit_callbacks, email="other@rila-travel.example").status_code
            == 302
        )


@pytest.mark.rule("PT-1.2")
def test_terms_published_while_the_form_was_open_must_be_accepted_again(
    client, terms, django_capture_on_commit_callbacks
):
    """If a new version comes into force while the form is open, the box must be ticked again for it; nothing is
    written meanwhile."""
    staff = member(kind="operator", role="staff")
    document = legal_document_for_kind(kind="platform_terms")
    assert document is not None
    newer = terms_version_publish(
        ctx=ctx_for(staff), document_id=document.public_id, language="en", text="# Version 2", effective_at=clock.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, form(terms))

    assert response.status_code == 422
    page = response.content.decode()
    assert "The terms changed while you were filling in the form." in page
    assert f'value="{newer.public_id}"' in page
    assert 'id="id_accept_terms" checked' not in page
    nothing_written()


@pytest.mark.rule("PT-5.4")
def test_a_newcomer_whose_link_expired_can_confirm_through_forgot_password(
    client, terms, django_capture_on_commit_callbacks
):
    """Setting the password through accounts' reset link confirms the pending registration too."""
    register(client, terms, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "elena@rila-travel.example"})
    reset_link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", str(mail.outbox[0].body))
    assert reset_link is not None
    form_url = client.get(reset_link.group(1))["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(form_url, {"password1": "a-long-new-secret-42", "password2": "a-long-new-secret-42"})

    registration = Registration.objects.get()
    assert registration.confirmed_at is not None
    assert registration.organization.status == "active"
    assert [row["method"] for row in terms.of(registration.organization)] == ["registration", "registration"]
