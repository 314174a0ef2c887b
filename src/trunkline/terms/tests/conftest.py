"""Shared set-up of the terms tests: the four documents of the data migration, and the people who act on them."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.conf import settings
from django.utils import translation

from trunkline.core.context import RequestContext
from trunkline.tenancy.models import Membership
from trunkline.terms.models import LegalDocument, LegalDocumentVersion
from trunkline.terms.services import terms_version_publish
from trunkline.terms.tests.documents import ensure_documents
from trunkline.testing.factories import ctx_for, member

V2_TEXT = """# Platform general terms, version 2

1. **Subject.** These terms govern the use of the Trunkline platform by customer organisations.
2. **Account.** The customer keeps its account email current; notices under these terms are sent to it.
3. **Fees.** Paid plans are billed monthly in advance, as agreed in the customer's agreement or order.
4. **Changes.** A new version is emailed to the account email. A customer that does not object within
   7 days of receiving it is deemed to accept it.
5. **Language.** The Bulgarian text prevails over any translation.
6. **Support.** Support requests are answered on working days.
"""


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in the default language (a page requested in Bulgarian leaves it active in the thread)."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def documents(db) -> dict[str, LegalDocument]:
    ensure_documents()
    return {document.kind: document for document in LegalDocument.objects.all()}


@pytest.fixture
def platform_terms(documents) -> LegalDocument:
    return documents["platform_terms"]


@pytest.fixture
def staff(db) -> Membership:
    return member(kind="operator", role="staff")


@pytest.fixture
def staff_ctx(staff) -> RequestContext:
    return ctx_for(staff)


def publish(
    ctx: RequestContext,
    document: LegalDocument,
    *,
    text: str = V2_TEXT,
    language: str = "en",
    effective_at: datetime | None,
    number: int | None = None,
) -> LegalDocumentVersion:
    return terms_version_publish(
        ctx=ctx, document_id=document.public_id, language=language, text=text, effective_at=effective_at, number=number
    )
