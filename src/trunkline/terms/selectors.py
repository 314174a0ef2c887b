"""Reads of the terms context. Documents and versions are public; acceptances and objections are tenant-scoped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Q, QuerySet

from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.notifications.models import NoticeStatus
from trunkline.tenancy.models import Organization
from trunkline.terms.domain.deadline import objection_deadline
from trunkline.terms.models import (
    PREVAILING_LANGUAGE,
    LegalDocument,
    LegalDocumentVersion,
    TermsAcceptance,
    TermsChangeNotice,
    TermsObjection,
)


def legal_document_list() -> QuerySet[LegalDocument]:
    """Every legal document, public."""
    return LegalDocument.objects.all()


def legal_document_get(*, slug: str) -> LegalDocument:
    document = LegalDocument.objects.filter(slug=slug).first()
    if document is None:
        raise NotFoundError()
    return document


def legal_document_for_kind(*, kind: str) -> LegalDocument | None:
    return LegalDocument.objects.filter(kind=kind).first()


def version_in_language(versions: list[LegalDocumentVersion], language: str | None) -> LegalDocumentVersion | None:
    """The text in ``language`` if there is one, else the prevailing (Bulgarian) one, else any."""
    by_language = {version.language: version for version in versions}
    for wanted in (language, PREVAILING_LANGUAGE):
        if wanted in by_language:
            return by_language[wanted]
    return versions[0] if versions else None


def terms_current_number(*, document: LegalDocument, at: datetime | None = None) -> int | None:
    """The number of the version in force: the highest one whose effective date has come."""
    at = at or clock.now()
    return document.versions.filter(effective_at__lte=at, published_at__lte=at).aggregate(number=Max("number"))[
        "number"
    ]


def terms_version_texts(*, document: LegalDocument, number: int) -> list[LegalDocumentVersion]:
    """The texts of one version, Bulgarian first."""
    return sorted(document.versions.filter(number=number), key=lambda version: version.language != "bg")


def terms_version_get(*, document: LegalDocument, number: int, language: str | None = None) -> LegalDocumentVersion:
    """Version ``number`` in ``language`` where it exists (else Bulgarian); ``NotFoundError`` if there is none."""
    version = version_in_language(terms_version_texts(document=document, number=number), language)
    if version is None:
        raise NotFoundError()
    return version


def terms_version_current(
    *, document: LegalDocument, language: str | None = None, at: datetime | None = None
) -> LegalDocumentVersion | None:
    """The version in force, in ``language`` where it exists."""
    number = terms_current_number(document=document, at=at)
    if number is None:
        return None
    return version_in_language(terms_version_texts(document=document, number=number), language)


def terms_version_current_for_kind(
    *, kind: str, language: str | None = None, at: datetime | None = None
) -> LegalDocumentVersion | None:
    """The version in force of the document of ``kind`` (e.g. ``platform_terms``), for registration and orders."""
    document = legal_document_for_kind(kind=kind)
    return terms_version_current(document=document, language=language, at=at) if document else None


def terms_version_by_id(*, version_id: Any) -> LegalDocumentVersion:
    try:
        return LegalDocumentVersion.objects.select_related("document").get(public_id=version_id)
    except (LegalDocumentVersion.DoesNotExist, ValueError, TypeError, ValidationError):  # unknown or malformed id
        raise NotFoundError() from None


@dataclass(frozen=True)
class HistoryEntry:
    number: int
    effective_at: datetime
    published_at: datetime
    texts: list[LegalDocumentVersion]  # Bulgarian first
    is_current: bool
    is_upcoming: bool


def terms_version_history(*, document: LegalDocument, at: datetime | None = None) -> list[HistoryEntry]:
    """Every version of the document, newest first, with its texts in each language."""
    at = at or clock.now()
    current = terms_current_number(document=document, at=at)
    grouped: dict[int, list[LegalDocumentVersion]] = {}
    for version in document.versions.order_by("-number", "language"):
        grouped.setdefault(version.number, []).append(version)
    entries = []
    for number, texts in grouped.items():
        texts.sort(key=lambda version: version.language != "bg")
        entries.append(
            HistoryEntry(
                number=number,
                effective_at=texts[0].effective_at,
                published_at=min(text.published_at for text in texts),
                texts=texts,
                is_current=number == current,
                is_upcoming=texts[0].effective_at > at,
            )
        )
    return entries


def acceptance_covering(*, organization: Organization, document: LegalDocument, number: int) -> TermsAcceptance | None:
    """The organisation's latest acceptance of version ``number`` or a later one (accepting the newer covers it)."""
    return (
        TermsAcceptance.objects.for_org(organization)
        .filter(version__document=document, version__number__gte=number)
        .select_related("version")
        .first()
    )


@dataclass(frozen=True)
class AcceptanceStatus:
    """Whether an organisation accepted the version in force of a document."""

    document: LegalDocument | None
    version: LegalDocumentVersion | None  # the version in force, in the organisation's language where it exists
    acceptance: TermsAcceptance | None
    applies: bool  # the document binds organisations of this kind and has a version in force

    @property
    def accepted(self) -> bool:
        return not self.applies or self.acceptance is not None


def terms_acceptance_current(*, organization: Organization, kind: str, at: datetime | None = None) -> AcceptanceStatus:
    """Did ``organization`` accept the version in force of the document of ``kind``? A document that does not bind
    the organisation, or has no version in force, needs no acceptance (``accepted`` is true)."""
    document = legal_document_for_kind(kind=kind)
    if document is None or not document.applies_to(organization.kind):
        return AcceptanceStatus(document=document, version=None, acceptance=None, applies=False)
    version = terms_version_current(document=document, language=organization.language, at=at)
    if version is None:
        return AcceptanceStatus(document=document, version=None, acceptance=None, applies=False)
    acceptance = acceptance_covering(organization=organization, document=document, number=version.number)
    return AcceptanceStatus(document=document, version=version, acceptance=acceptance, applies=True)


def terms_acceptance_overview(*, organization: Organization, at: datetime | None = None) -> list[AcceptanceStatus]:
    """The status of every document that binds the organisation."""
    statuses = []
    for document in LegalDocument.objects.all():
        if not document.applies_to(organization.kind):
            continue
        version = terms_version_current(document=document, language=organization.language, at=at)
        acceptance = (
            acceptance_covering(organization=organization, document=document, number=version.number)
            if version
            else None
        )
        statuses.append(
            AcceptanceStatus(document=document, version=version, acceptance=acceptance, applies=version is not None)
        )
    return statuses


def _organization_for(ctx: RequestContext, organization_id: Any) -> Organization:
    """The acting organisation, or for operator staff the one named (another's id answers 404 to anyone else)."""
    if organization_id is None or str(organization_id) == str(ctx.organization.public_id):
        return ctx.organization
    if ctx.is_operator and ctx.has_scope("ops:read"):
        organization = Organization.objects.filter(public_id=organization_id).first()
        if organization is not None:
            return organization
    raise NotFoundError()


def terms_acceptance_list(*, ctx: RequestContext, organization_id: Any = None) -> QuerySet[TermsAcceptance]:
    """The acceptance evidence of the acting organisation (operator staff: of the organisation named)."""
    require_scope(ctx, "audit:read")
    organization = _organization_for(ctx, organization_id)
    return (
        TermsAcceptance.objects.for_org(organization)
        .select_related("organization", "version", "version__document", "notice")
        .order_by("-accepted_at", "-id")
    )


def terms_organization_for(*, ctx: RequestContext, organization_id: Any = None) -> Organization:
    """Whose evidence a page shows: the acting organisation, or for operator staff the one named."""
    require_scope(ctx, "audit:read")
    return _organization_for(ctx, organization_id)


@dataclass(frozen=True)
class PendingChange:
    """A changed version an organisation was notified of, with where it stands."""

    change: TermsChangeNotice
    sent_at: datetime | None
    deadline: datetime | None  # None: the notice never reached our mail server, so there is no clock
    objection: TermsObjection | None
    acceptance: TermsAcceptance | None

    @property
    def version(self) -> LegalDocumentVersion:
        return self.change.version

    def can_object(self, at: datetime) -> bool:
        return self.objection is None and self.acceptance is None and (self.deadline is None or at < self.deadline)


def change_deadline(change: TermsChangeNotice) -> tuple[datetime | None, datetime | None]:
    """(sent_at, deadline) of a change notice. Only a notice our mail server accepted, and that did not bounce,
    starts the clock."""
    notice = change.notice
    if notice is None or notice.status != NoticeStatus.SENT or notice.sent_at is None:
        return None, None
    return notice.sent_at, objection_deadline(notice.sent_at, change.organization.time_zone)


def objection_for(*, organization: Organization, version: LegalDocumentVersion) -> TermsObjection | None:
    return (
        TermsObjection.objects.for_org(organization)
        .filter(version__document_id=version.document_id, version__number=version.number)
        .first()
    )


def terms_pending_changes(*, organization: Organization, at: datetime | None = None) -> list[PendingChange]:
    """The changed versions the organisation was told of, newest first."""
    changes = (
        TermsChangeNotice.objects.for_org(organization)
        .select_related("organization", "version", "version__document", "notice")
        .order_by("-created_at")
    )
    pending = []
    for change in changes:
        sent_at, deadline = change_deadline(change)
        pending.append(
            PendingChange(
                change=change,
                sent_at=sent_at,
                deadline=deadline,
                objection=objection_for(organization=organization, version=change.version),
                acceptance=acceptance_covering(
                    organization=organization, document=change.version.document, number=change.version.number
                ),
            )
        )
    return pending


def terms_objection_list(*, ctx: RequestContext) -> QuerySet[TermsObjection]:
    """Operator staff: every objection, newest first: the organisations flagged for follow-up (PT-3.2)."""
    require_scope(ctx, "ops:read")
    if not ctx.is_operator:
        raise NotFoundError()
    return TermsObjection.objects.select_related("organization", "version", "version__document").order_by(
        "-objected_at", "-id"
    )


def terms_change_notice_counts(*, version: LegalDocumentVersion) -> dict[str, int]:
    """How the notices of one changed version went: notified, sent, without email, objected, deemed."""
    changes = TermsChangeNotice.objects.filter(version__document_id=version.document_id, version__number=version.number)
    return {
        "notified": changes.count(),
        "sent": changes.filter(notice__status=NoticeStatus.SENT).count(),
        "no_email": changes.filter(notice__isnull=True).count(),
        "objected": TermsObjection.objects.filter(
            version__document_id=version.document_id, version__number=version.number
        ).count(),
        "deemed": TermsAcceptance.objects.filter(
            Q(method="deemed"), version__document_id=version.document_id, version__number=version.number
        ).count(),
    }
