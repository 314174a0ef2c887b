"""Legal documents and their versions: hashes of the exact text, immutability, publishing, and the public pages."""

import hashlib
from datetime import datetime

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from trunkline.audit.models import AuditEvent
from trunkline.core.errors import MissingScopeError
from trunkline.terms.errors import LegalDocumentInvalidError, TermsVersionInvalidError
from trunkline.terms.models import LegalDocument, LegalDocumentVersion
from trunkline.terms.selectors import terms_version_current
from trunkline.terms.services import legal_document_create
from trunkline.terms.tests.conftest import V2_TEXT, publish
from trunkline.testing.factories import api_key_for, ctx_for, member

pytestmark = pytest.mark.django_db
NOW = "2026-03-02 08:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_data_migration_publishes_four_documents_in_both_languages(documents):
    """Platform terms, reseller terms, privacy notice and data-processing annex each have version 1 in bg and en."""
    assert sorted(documents) == ["data_processing_annex", "platform_terms", "privacy_notice", "reseller_terms"]
    versions = LegalDocumentVersion.objects.filter(number=1)
    assert versions.count() == 8
    platform_en = versions.get(document__kind="platform_terms", language="en")
    assert platform_en.text.startswith("# Platform general terms, version 1\n")
    assert platform_en.sha256 == hashlib.sha256(platform_en.text.encode("utf-8")).hexdigest()
    assert documents["platform_terms"].audience == "customer"
    assert documents["reseller_terms"].audience == "reseller"


@pytest.mark.rule("RT-2.6")
def test_the_hash_is_of_the_exact_utf8_bytes_of_the_text(staff_ctx, platform_terms):
    """The SHA-256 covers every byte as given: Cyrillic, trailing spaces and the final newline included."""
    text = "# Общи условия, версия 2\n\n1. Предмет.  \n"
    with time_machine.travel(NOW, tick=False):
        version = publish(staff_ctx, platform_terms, text=text, language="bg", effective_at=at("2026-03-10 00:00Z"))
    assert version.text == text
    assert version.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert version.sha256 != hashlib.sha256(text.rstrip().encode("utf-8")).hexdigest()
    assert (version.number, version.language, version.published_by_label) == (2, "bg", staff_ctx.user.email)
    assert AuditEvent.objects.filter(action="terms.version_published", target_id=str(version.public_id)).count() == 1


@pytest.mark.rule("RT-2.6")
def test_a_published_version_cannot_be_edited_or_deleted(staff_ctx, platform_terms):
    """Saving a changed text, a bulk update or a delete is refused and the stored text stays the same."""
    with time_machine.travel(NOW, tick=False):
        version = publish(staff_ctx, platform_terms, effective_at=at("2026-03-10 00:00Z"))
    version.text = "Something else"
    with pytest.raises(PermissionError, match="cannot be changed or deleted"):
        version.save()
    with pytest.raises(PermissionError):
        LegalDocumentVersion.objects.filter(pk=version.pk).update(text="Something else")
    with pytest.raises(PermissionError):
        version.delete()
    with pytest.raises(PermissionError):
        LegalDocumentVersion.objects.filter(pk=version.pk).delete()
    assert LegalDocumentVersion.objects.get(pk=version.pk).text == V2_TEXT


def test_a_translation_joins_its_version_with_the_same_effective_date(staff_ctx, platform_terms):
    """Giving a number adds that version's text in another language; a second text in one language is refused."""
    with time_machine.travel(NOW, tick=False):
        english = publish(staff_ctx, platform_terms, effective_at=at("2026-03-10 00:00Z"))
        bulgarian = publish(
            staff_ctx, platform_terms, text="# Общи условия, версия 2\n", language="bg", effective_at=None, number=2
        )
        with pytest.raises(TermsVersionInvalidError) as error:
            publish(staff_ctx, platform_terms, text="Again", language="bg", effective_at=None, number=2)
    assert (bulgarian.number, bulgarian.effective_at) == (2, english.effective_at)
    assert error.value.fields == {"language": ["Version 2 already has this language."]}
    assert platform_terms.versions.filter(number=2).count() == 2


@pytest.mark.parametrize(
    ("language", "text", "effective_at", "fields"),
    [
        ("de", V2_TEXT, "2026-03-10 00:00Z", {"language": ["Изберете български (bg) или английски (en)."]}),
        ("en", "  \n ", "2026-03-10 00:00Z", {"text": ["Напишете текста на документа."]}),
        ("en", V2_TEXT, "2026-03-01 00:00Z", {"effective_at": ["Датата на влизане в сила не може да е в миналото."]}),
    ],
)
def test_invalid_versions_get_a_localised_error_and_write_nothing(
    staff_ctx, platform_terms, language, text, effective_at, fields
):
    """A bad language, an empty text or a past effective date is refused field by field, in Bulgarian here."""
    before = (LegalDocumentVersion.objects.count(), AuditEvent.objects.count())
    with (
        time_machine.travel(NOW, tick=False),
        translation.override("bg"),
        pytest.raises(TermsVersionInvalidError) as error,
    ):
        publish(staff_ctx, platform_terms, text=text, language=language, effective_at=at(effective_at))
    assert error.value.code == "terms.version_invalid"
    assert error.value.http_status == 422
    assert error.value.fields == fields
    assert (LegalDocumentVersion.objects.count(), AuditEvent.objects.count()) == before


def test_only_operator_staff_publish(platform_terms):
    """A customer administrator holds no ops:manage and is refused."""
    customer = member(kind="customer", role="admin")
    with pytest.raises(MissingScopeError):
        publish(ctx_for(customer), platform_terms, effective_at=at("2030-01-01 00:00Z"))
    assert platform_terms.versions.count() == 2


def test_the_publish_api_answers_field_errors_in_english(platform_terms):
    """The API refuses an empty text with 422 and the field's message, and publishes a valid text with 201."""
    token = api_key_for(member(kind="operator", role="admin"), ["ops:manage"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"document_id": str(platform_terms.public_id), "language": "en", "text": "", "effective_at": None}
    refused = client.post("/api/v1/terms/versions", body, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["code"] == "terms.version_invalid"
    assert refused.json()["detail"]["fields"] == {
        "text": ["Write the text of the document."],
        "effective_at": ["Give the date and time from which this version applies."],
    }
    body.update(text=V2_TEXT, effective_at="2030-01-01T00:00:00Z")
    created = client.post("/api/v1/terms/versions", body, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["number"] == 2
    assert created.json()["sha256"] == hashlib.sha256(V2_TEXT.encode()).hexdigest()
    assert created.json()["url"] == "/terms/platform-terms/v/2/?language=en"


def test_the_operator_adds_a_document_with_a_free_address(staff_ctx, documents):
    """A new document gets its own address; a reserved or taken address is refused."""
    document = legal_document_create(
        ctx=staff_ctx, slug="acceptable-use", title="Acceptable use policy", kind="other", audience="all"
    )
    assert document.get_absolute_url() == "/terms/acceptable-use/"
    for slug, message in (
        ("objection", "This address is reserved. Choose another."),
        ("privacy-notice", "Another document already has this address."),
    ):
        with pytest.raises(LegalDocumentInvalidError) as error:
            legal_document_create(ctx=staff_ctx, slug=slug, title="X", kind="other", audience="all")
        assert error.value.fields == {"slug": [message]}
    assert LegalDocument.objects.count() == 5


def test_the_public_page_shows_the_version_in_force_in_the_visitors_language(staff_ctx, platform_terms):
    """/terms/<slug>/ shows the current version (not an upcoming one) in the visitor's language, with its hash."""
    with time_machine.travel(NOW, tick=False):
        publish(staff_ctx, platform_terms, effective_at=at("2026-03-10 00:00Z"))
        client = Client()
        english = client.get("/terms/platform-terms/")
        bulgarian = client.get("/terms/platform-terms/", HTTP_ACCEPT_LANGUAGE="bg")
        upcoming = client.get("/terms/platform-terms/v/2/")
    v1_en = terms_version_current(document=platform_terms, language="en", at=at(NOW))
    assert v1_en is not None
    assert english.status_code == 200
    assert "Platform general terms, version 1</h1>" in english.content.decode()
    assert v1_en.sha256 in english.content.decode()
    assert "Общи условия за ползване на платформата, версия 1" in bulgarian.content.decode()
    assert "Platform general terms, version 2</h1>" in upcoming.content.decode()
    assert "Upcoming" in upcoming.content.decode()
    with time_machine.travel("2026-03-10 00:00Z", tick=False):
        assert "Platform general terms, version 2</h1>" in Client().get("/terms/platform-terms/").content.decode()


def test_markdown_is_rendered_and_html_is_sanitised(staff_ctx, documents):
    """Script tags, event handlers and javascript: links never reach the page; Markdown formatting does."""
    legal_document_create(ctx=staff_ctx, slug="cookies", title="Cookies", kind="other", audience="all")
    document = LegalDocument.objects.get(slug="cookies")
    text = '# Cookies\n\n**Bold** <script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))\n'
    with time_machine.travel(NOW, tick=False):
        publish(staff_ctx, document, text=text, effective_at=at("2026-03-02 08:00Z"))
        page = Client().get("/terms/cookies/").content.decode()
    assert "<strong>Bold</strong>" in page
    assert "<script>alert" not in page
    assert "onerror" not in page
    assert "javascript:" not in page


def test_history_lists_versions_and_the_diff_page_shows_the_changes(staff_ctx, platform_terms):
    """The history links each version to its predecessor; the diff shows the changed words and the added clause."""
    with time_machine.travel(NOW, tick=False):
        publish(staff_ctx, platform_terms, effective_at=at("2026-03-10 00:00Z"))
        client = Client()
        history = client.get("/terms/platform-terms/history/").content.decode()
        diff = client.get("/terms/platform-terms/diff/1/2/?language=en")
        compare = client.get("/terms/platform-terms/history/?a=2&b=1&language=en")
    assert "Version 2" in history
    assert 'href="/terms/platform-terms/diff/1/2/?language=en"' in history
    page = diff.content.decode()
    assert diff.status_code == 200
    assert "<del>1</del>" in page  # "version 1" → "version 2" in the heading
    assert "<ins>2</ins>" in page
    assert "<ins> monthly in advance,</ins>" in page
    assert "<ins>6. **Support.** Support requests are answered on working days.</ins>" in page
    assert "1 added" in page
    assert compare["Location"] == "/terms/platform-terms/diff/1/2/"
    assert client.get("/terms/platform-terms/diff/1/9/").status_code == 404
    assert client.get("/terms/no-such-document/").status_code == 404


def test_an_effective_date_within_the_current_minute_is_not_in_the_past(staff_ctx, platform_terms):
    """The form gives minutes: "now" typed at 10:00:40 is 10:00:00, and is accepted."""
    with time_machine.travel("2026-03-02 10:00:40Z", tick=False):
        version = publish(staff_ctx, platform_terms, effective_at=at("2026-03-02 10:00Z"))
    assert version.effective_at == at("2026-03-02 10:00Z")
