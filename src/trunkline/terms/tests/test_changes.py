"""Changed terms (PT-3.2, PT-27): every active customer is told, may object within 7 days, and is otherwise deemed to
accept; objections are flagged to the operator."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from crontask import scheduler
from django.core import mail
from django.test import Client
from django.utils import translation

from trunkline.audit.models import AuditEvent
from trunkline.notifications.models import Notice
from trunkline.notifications.services import notice_mark_bounced
from trunkline.tenancy.models import OrganizationStatus
from trunkline.terms.errors import (
    AlreadyAcceptedError,
    NothingToObjectError,
    ObjectionExistsError,
    ObjectionInvalidError,
    ObjectionPeriodOverError,
)
from trunkline.terms.models import TermsAcceptance, TermsChangeNotice, TermsObjection
from trunkline.terms.services import terms_accept, terms_object
from trunkline.terms.tasks import terms_deemed_acceptances_record_task
from trunkline.terms.tests.conftest import publish
from trunkline.testing.factories import OrganizationFactory, api_key_for, ctx_for, member

pytestmark = pytest.mark.django_db
PUBLISHED = "2026-03-02 08:00Z"  # 10:00 in Sofia
EFFECTIVE = datetime(2026, 3, 16, 0, 0, tzinfo=UTC)
LINK = re.compile(r"http://127\.0\.0\.1:8000(/\S+)")


def customer(name, *, language="en", status=OrganizationStatus.ACTIVE, email=None):
    organization = OrganizationFactory.create(
        name=name, kind="customer", status=status, language=language, email=email or f"office@{name.lower()}.example"
    )
    return member(organization=organization, role="admin")


def publish_v2(staff_ctx, platform_terms, django_capture_on_commit_callbacks):
    with time_machine.travel(PUBLISHED, tick=False), django_capture_on_commit_callbacks(execute=True):
        return publish(staff_ctx, platform_terms, effective_at=EFFECTIVE)


def links_in(message) -> dict[str, str]:
    found = LINK.findall(message.body)
    return {
        "version": next(link for link in found if "/v/2/" in link),
        "objection": next(link for link in found if link.startswith("/terms/objection/")),
        "acknowledge": next(link for link in found if link.startswith("/notices/read/")),
    }


@pytest.mark.rule("PT-3.2")
@pytest.mark.rule("PT-27")
def test_publishing_emails_every_active_customer_once(
    staff_ctx, platform_terms, documents, django_capture_on_commit_callbacks
):
    """Each active customer's account email gets one notice with the version, objection and "read" links; resellers,
    suspended or pending customers get none; running the notification again sends nothing more."""
    alpha, beta = customer("Alpha"), customer("Beta", language="bg")
    customer("Gamma", status=OrganizationStatus.SUSPENDED)
    customer("Delta", status=OrganizationStatus.PENDING)
    member(kind="reseller", role="admin")
    version = publish_v2(staff_ctx, platform_terms, django_capture_on_commit_callbacks)
    assert sorted(message.to[0] for message in mail.outbox) == ["office@alpha.example", "office@beta.example"]
    english = next(message for message in mail.outbox if message.to == ["office@alpha.example"])
    assert english.subject == "Platform general terms change: version 2"
    assert "can object within 7 days of receiving this email" in english.body
    assert links_in(english)["version"] == "/terms/platform-terms/v/2/?language=en"
    bulgarian = next(message for message in mail.outbox if message.to == ["office@beta.example"])
    assert "възразите в срок от 7 дни" in bulgarian.body
    notices = Notice.objects.filter(kind="terms.changed")
    assert sorted(notices.values_list("status", flat=True)) == ["sent", "sent"]
    assert TermsChangeNotice.objects.filter(notice__isnull=False).count() == 2
    assert {change.organization for change in TermsChangeNotice.objects.all()} == {
        alpha.organization,
        beta.organization,
    }
    from trunkline.terms.services import terms_change_notify

    assert terms_change_notify(version_id=version.pk) == 0
    with time_machine.travel(PUBLISHED, tick=False), django_capture_on_commit_callbacks(execute=True):
        publish(
            staff_ctx, platform_terms, text="# Общи условия, версия 2\n", language="bg", effective_at=None, number=2
        )
        publish(staff_ctx, documents["privacy_notice"], effective_at=EFFECTIVE)
    assert len(mail.outbox) == 2  # a translation, or a new privacy notice, is not a change of the contract


@pytest.mark.rule("PT-27")
def test_the_notice_is_acknowledged_through_its_read_link(
    staff_ctx, platform_terms, documents, django_capture_on_commit_callbacks
):
    """The "I have read this" link in the changed-terms email records the acknowledgement of that notice."""
    alpha = customer("Alpha")
    publish_v2(staff_ctx, platform_terms, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    with time_machine.travel("2026-03-03 12:00Z", tick=False):
        Client().post(links_in(message)["acknowledge"], REMOTE_ADDR="192.0.2.8")
    notice = Notice.objects.get(organization=alpha.organization, kind="terms.changed")
    assert notice.acknowledged_at == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    assert notice.acknowledged_ip == "192.0.2.8"


@pytest.mark.rule("PT-3.2")
def test_one_objects_one_stays_silent_and_only_the_silent_one_is_deemed_to_accept(
    staff_ctx, staff, platform_terms, documents, django_capture_on_commit_callbacks
):
    """THE ACCEPTANCE SCENARIO: after 7 days the daily job records a deemed acceptance for the silent customer only;
    the objector is flagged on /ops/terms/; a second run records nothing."""
    objector, silent = customer("Objector"), customer("Silent")
    publish_v2(staff_ctx, platform_terms, django_capture_on_commit_callbacks)
    message = next(message for message in mail.outbox if message.to == ["office@objector.example"])
    objection_link = links_in(message)["objection"]
    client = Client(HTTP_USER_AGENT="Mail client", REMOTE_ADDR="198.51.100.5")
    with time_machine.travel("2026-03-05 14:00Z", tick=False):
        form = client.get(objection_link)
        assert form.status_code == 200
        assert "I object to the new version" in form.content.decode()
        assert TermsObjection.objects.count() == 0  # a GET records nothing (mail scanners prefetch links)
        done = client.post(objection_link, {"note": "We do not accept the new fees."})
    assert done.status_code == 200
    assert "Your objection is recorded" in done.content.decode()
    objection = TermsObjection.objects.get()
    assert (objection.organization, objection.version.number) == (objector.organization, 2)
    assert (objection.channel, objection.note, objection.ip) == (
        "email_link",
        "We do not accept the new fees.",
        "198.51.100.5",
    )
    assert objection.person is None  # the link went to the account email; nobody was signed in

    with time_machine.travel("2026-03-09 21:59Z", tick=False):  # 23:59 on 9 March in Sofia: still within 7 days
        assert terms_deemed_acceptances_record_task.call() == 0
    with time_machine.travel("2026-03-10 03:15Z", tick=False):
        assert terms_deemed_acceptances_record_task.call() == 1
        assert terms_deemed_acceptances_record_task.call() == 0
    with time_machine.travel("2026-03-11 03:15Z", tick=False):
        assert terms_deemed_acceptances_record_task.call() == 0

    deemed = TermsAcceptance.objects.get()
    assert deemed.organization == silent.organization
    assert (deemed.method, deemed.person, deemed.version.number) == ("deemed", None, 2)
    assert deemed.sha256 == deemed.version.sha256
    assert deemed.accepted_at == datetime(2026, 3, 9, 22, 0, tzinfo=UTC)  # midnight after the 7th day, Sofia
    assert deemed.notice == Notice.objects.get(organization=silent.organization, kind="terms.changed")
    assert AuditEvent.objects.filter(action="terms.deemed_accepted").count() == 1
    assert not TermsAcceptance.objects.for_org(objector.organization).exists()

    ops = Client()
    ops.force_login(staff.user)
    with time_machine.travel("2026-03-16 09:00Z", tick=False):
        page = ops.get("/ops/terms/").content.decode()
    flagged = page.split('id="flagged"')[1].split("</section>")[0]
    assert "Objector" in flagged
    assert "We do not accept the new fees." in flagged
    assert "Silent" not in flagged
    assert "2 notified, 2 delivered, 1 objected, 1 deemed" in page


@pytest.mark.rule("PT-3.2")
def test_the_daily_job_is_scheduled_at_03_15():
    """The scheduler runs the deemed-acceptance job every day at 03:15."""
    [job] = [job for job in scheduler.get_jobs() if job.name.endswith("terms_deemed_acceptances_record_task")]
    assert str(job.trigger) == "cron[month='*', day='*', day_of_week='*', hour='3', minute='15']"


@pytest.mark.rule("PT-3.2")
def test_objections_after_seven_days_or_twice_or_after_accepting_are_refused(
    staff_ctx, platform_terms, documents, django_capture_on_commit_callbacks
):
    """An objection in the app is recorded once; a late one, a second one, or one after accepting is refused."""
    late, twice, accepted = customer("Late"), customer("Twice"), customer("Accepted")
    version = publish_v2(staff_ctx, platform_terms, django_capture_on_commit_callbacks)
    with time_machine.travel("2026-03-10 00:00Z", tick=False), pytest.raises(ObjectionPeriodOverError) as error:
        terms_object(ctx=ctx_for(late), version_id=version.public_id)
    assert (
        error.value.message
        == "The 7 days to object to version 2 of Platform general terms ended on 9 March 2026, 23:59."
    )
    assert error.value.http_status == 409
    with time_machine.travel("2026-03-03 09:00Z", tick=False):
        first = terms_object(ctx=ctx_for(twice), version_id=version.public_id, note="No.")
        with pytest.raises(ObjectionExistsError):
            terms_object(ctx=ctx_for(twice), version_id=version.public_id)
        terms_accept(ctx=ctx_for(accepted), version_id=version.public_id, method="click", ip=None, user_agent="")
        with pytest.raises(AlreadyAcceptedError):
            terms_object(ctx=ctx_for(accepted), version_id=version.public_id)
        with pytest.raises(ObjectionInvalidError):
            terms_object(ctx=ctx_for(late), version_id=version.public_id, note="x" * 2001)
    assert (first.channel, first.person) == ("app", twice.user)
    assert TermsObjection.objects.count() == 1


def test_an_organisation_that_was_not_notified_has_nothing_to_object_to(staff_ctx, platform_terms, documents):
    """A version nobody was told of (a new customer after publishing) cannot be objected to."""
    with time_machine.travel(PUBLISHED, tick=False):
        version = publish(staff_ctx, platform_terms, effective_at=EFFECTIVE)
        newcomer = customer("Newcomer")
        with translation.override("bg"), pytest.raises(NothingToObjectError) as error:
            terms_object(ctx=ctx_for(newcomer), version_id=version.public_id)
    assert (
        error.value.message
        == "Вашата организация не е уведомена за промяна на версия 2 на „Общи условия за ползване на платформата“."
    )


@pytest.mark.rule("PT-3.2")
def test_a_bounced_or_undelivered_notice_starts_no_clock(
    staff_ctx, platform_terms, documents, django_capture_on_commit_callbacks
):
    """A notice that bounced, or an organisation without an account email, is never deemed to accept."""
    bounced = customer("Bounced")
    no_email = OrganizationFactory.create(name="Silent Ltd", kind="customer", language="en", email="")
    version = publish_v2(staff_ctx, platform_terms, django_capture_on_commit_callbacks)
    notice = Notice.objects.get(organization=bounced.organization, kind="terms.changed")
    notice_mark_bounced(notice_id=notice.public_id, detail="550 no such user")
    assert TermsChangeNotice.objects.get(organization=no_email).notice is None
    with time_machine.travel("2026-04-30 03:15Z", tick=False):
        assert terms_deemed_acceptances_record_task.call() == 0
        objection = terms_object(ctx=ctx_for(bounced), version_id=version.public_id)  # no clock: still open
    assert objection.version.number == 2


@pytest.mark.rule("PT-3.2")
def test_the_objection_api_and_the_in_app_button(
    staff_ctx, platform_terms, documents, django_capture_on_commit_callbacks
):
    """POST /api/v1/terms/objections records an API objection; the app page shows the pending change and its
    button records an in-app one; a forged link answers 404."""
    by_api, by_app = customer("Api"), customer("App")
    version = publish_v2(staff_ctx, platform_terms, django_capture_on_commit_callbacks)
    token = api_key_for(by_api, ["organization:manage"])
    with time_machine.travel("2026-03-04 10:00Z", tick=False):
        response = Client().post(
            "/api/v1/terms/objections",
            {"version_id": str(version.public_id), "note": "Too expensive"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 201
        assert response.json()["channel"] == "api"
        assert response.json()["number"] == 2
        again = Client().post(
            "/api/v1/terms/objections",
            {"version_id": str(version.public_id)},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert again.status_code == 409
        assert again.json()["code"] == "terms.objection_exists"
        client = Client()
        client.force_login(by_app.user)
        page = client.get("/app/terms/").content.decode()
        assert "Changed terms" in page
        assert "you can object until" in page
        client.post(f"/app/terms/object/{version.public_id}/", {"note": "No thanks"})
    assert TermsObjection.objects.get(organization=by_app.organization).channel == "app"
    assert TermsObjection.objects.count() == 2
    forged = Client().get("/terms/objection/not-a-token/")
    assert forged.status_code == 404
    assert "This link is not valid." in forged.content.decode()


def test_the_ops_page_publishes_and_refuses_invalid_input_without_writing(staff, platform_terms, documents):
    """The publish form shows field errors with a 422 and writes nothing; a valid form publishes."""
    client = Client()
    client.force_login(staff.user)
    with time_machine.travel(PUBLISHED, tick=False):
        refused = client.post(
            "/ops/terms/",
            {
                "publish-document": str(platform_terms.public_id),
                "publish-language": "en",
                "publish-effective_at": "2026-03-01T10:00",
                "publish-text": "Changed",
            },
        )
        assert refused.status_code == 422
        assert "The effective date cannot be in the past." in refused.content.decode()
        assert platform_terms.versions.count() == 2
        done = client.post(
            "/ops/terms/",
            {
                "publish-document": str(platform_terms.public_id),
                "publish-language": "en",
                "publish-effective_at": "2026-03-20T10:00",
                "publish-text": "Line one\r\nLine two\r\n",
            },
        )
    assert done.status_code == 302
    version = platform_terms.versions.get(number=2)
    assert version.text == "Line one\nLine two\n"
    customer_admin = member(kind="customer", role="admin")
    client.force_login(customer_admin.user)
    assert client.get("/ops/terms/")["Location"] == "/app/terms/"
