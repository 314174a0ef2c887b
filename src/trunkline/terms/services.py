"""The only writers of the terms context: documents, versions, acceptances, change notices and objections."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import MissingScopeError, NotFoundError
from trunkline.notifications.models import NoticeStatus
from trunkline.notifications.services import notice_send
from trunkline.tenancy.models import Organization, OrganizationStatus
from trunkline.terms import links
from trunkline.terms.domain.deadline import OBJECTION_DAYS
from trunkline.terms.errors import (
    AcceptanceInvalidError,
    AlreadyAcceptedError,
    LegalDocumentInvalidError,
    NothingToObjectError,
    ObjectionExistsError,
    ObjectionInvalidError,
    ObjectionLinkInvalidError,
    ObjectionPeriodOverError,
    PersonRequiredError,
    TermsNotApplicableError,
    TermsVersionInvalidError,
    TermsVersionSupersededError,
)
from trunkline.terms.models import (
    AcceptanceMethod,
    Audience,
    DocumentKind,
    Language,
    LegalDocument,
    LegalDocumentVersion,
    ObjectionChannel,
    TermsAcceptance,
    TermsChangeNotice,
    TermsObjection,
    text_sha256,
)
from trunkline.terms.selectors import (
    acceptance_covering,
    change_deadline,
    objection_for,
    terms_current_number,
    terms_version_by_id,
    terms_version_texts,
    version_in_language,
)

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 200_000
MAX_NOTE_LENGTH = 2_000
# A new version of these documents is a change of the contract: every bound organisation is told, may object
# within 7 days, and is otherwise deemed to accept (PT-3.2).
CHANGE_NOTICE_KINDS = frozenset({DocumentKind.PLATFORM_TERMS})
# Who may bind the organisation by accepting or objecting: an administrator or a billing person.
BINDING_SCOPES = ("organization:manage", "billing:manage")
# Paths under /terms/ that a document's address must not take.
RESERVED_SLUGS = frozenset({"objection", "accept", "history", "diff", "v"})
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _require_operator(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:manage")
    if not ctx.is_operator:
        raise MissingScopeError(scope="ops:manage")


def _require_binding(ctx: RequestContext) -> None:
    """An administrator or billing person may bind the organisation; anyone else is refused (403)."""
    if not any(ctx.has_scope(scope) for scope in BINDING_SCOPES):
        require_scope(ctx, BINDING_SCOPES[0])


def _person_label(user: Any) -> str:
    name = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return f"{name} <{user.email}>" if name else user.email


def legal_document_create(
    *, ctx: RequestContext, slug: str, title: str, kind: str, audience: str, title_bg: str = ""
) -> LegalDocument:
    """A new legal document (operator staff). It has no version until one is published."""
    _require_operator(ctx)
    slug, title, title_bg = slug.strip().lower(), title.strip(), title_bg.strip()
    errors: dict[str, list[str]] = {}
    if not SLUG.match(slug) or len(slug) > 60:
        errors["slug"] = [_("Use lower-case letters, digits and single hyphens, at most 60 characters.")]
    elif slug in RESERVED_SLUGS:
        errors["slug"] = [_("This address is reserved. Choose another.")]
    elif LegalDocument.objects.filter(slug=slug).exists():
        errors["slug"] = [_("Another document already has this address.")]
    if not title or len(title) > 200:
        errors["title"] = [_("Give the document a title of at most 200 characters.")]
    if len(title_bg) > 200:
        errors["title_bg"] = [_("Give the document a title of at most 200 characters.")]
    if kind not in DocumentKind.values:
        errors["kind"] = [_("Choose one of the listed kinds.")]
    elif kind != DocumentKind.OTHER and LegalDocument.objects.filter(kind=kind).exists():
        errors["kind"] = [_("There is already a document of this kind; publish a new version of it instead.")]
    if audience not in Audience.values:
        errors["audience"] = [_("Choose one of the listed audiences.")]
    if errors:
        raise LegalDocumentInvalidError(fields=errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                document = LegalDocument.objects.create(
                    slug=slug, title=title, title_bg=title_bg, kind=kind, audience=audience
                )
        except IntegrityError:  # a concurrent create took the address or the kind first
            raise LegalDocumentInvalidError(
                fields={"slug": [_("Another document already has this address.")]}
            ) from None
        audit_record(
            ctx=ctx,
            action="terms.document_created",
            target=document,
            changes={"slug": slug, "kind": kind, "audience": audience},
        )
    return document


def terms_version_publish(
    *,
    ctx: RequestContext,
    document_id: Any,
    language: str,
    text: str,
    effective_at: datetime | None,
    number: int | None = None,
    at: datetime | None = None,
) -> LegalDocumentVersion:
    """Publish a text of a document (operator staff). Without ``number`` it is a new version, numbered next; with a
    ``number`` it is that version's text in another language (same effective date). The text is stored exactly as
    given and hashed (SHA-256 of its UTF-8 bytes). A new version of the platform terms is notified to every active
    customer after commit (PT-3.2)."""
    _require_operator(ctx)
    at = at or clock.now()
    errors: dict[str, list[str]] = {}
    if language not in Language.values:
        errors["language"] = [_("Choose Bulgarian (bg) or English (en).")]
    if not text.strip():
        errors["text"] = [_("Write the text of the document.")]
    elif len(text) > MAX_TEXT_LENGTH:
        errors["text"] = [_("The text is too long (at most 200,000 characters).")]
    if number is None:
        if effective_at is None:
            errors["effective_at"] = [_("Give the date and time from which this version applies.")]
        elif timezone.is_naive(effective_at):
            errors["effective_at"] = [_("Give the date and time with its time zone.")]
        elif effective_at < at.replace(second=0, microsecond=0):
            errors["effective_at"] = [_("The effective date cannot be in the past.")]
    if errors:
        raise TermsVersionInvalidError(fields=errors)
    with transaction.atomic():
        document = LegalDocument.objects.select_for_update().filter(public_id=document_id).first()
        if document is None:
            raise NotFoundError()
        is_new = number is None
        if number is None:
            latest = document.versions.aggregate(latest=Max("number"))["latest"] or 0
            number = latest + 1
        else:
            texts = terms_version_texts(document=document, number=number)
            if not texts:
                raise TermsVersionInvalidError(
                    fields={"number": [_("There is no version %(number)s to translate.") % {"number": number}]}
                )
            if any(existing.language == language for existing in texts):
                raise TermsVersionInvalidError(
                    fields={"language": [_("Version %(number)s already has this language.") % {"number": number}]}
                )
            effective_at = texts[0].effective_at
        assert effective_at is not None
        version = LegalDocumentVersion.objects.create(
            document=document,
            number=number,
            language=language,
            text=text,
            sha256=text_sha256(text),
            effective_at=effective_at,
            published_at=at,
            published_by_label=ctx.actor_label,
        )
        audit_record(
            ctx=ctx,
            action="terms.version_published",
            target=version,
            changes={
                "document": document.slug,
                "number": number,
                "language": language,
                "sha256": version.sha256,
                "effective_at": effective_at.isoformat(),
                "translation": not is_new,
            },
            at=at,
        )
        if is_new and number > 1 and document.kind in CHANGE_NOTICE_KINDS:
            from trunkline.terms.tasks import terms_change_notify_task

            transaction.on_commit(partial(terms_change_notify_task.enqueue, version_id=version.pk))
    return version


def _notified_kinds(document: LegalDocument) -> list[str]:
    kinds: dict[str, list[str]] = {"all": ["reseller", "customer"], "reseller": ["reseller"]}
    return kinds.get(document.audience, ["customer"])


def terms_change_notify(*, version_id: int) -> int:
    """Tell every active organisation bound by the document of a new version, once each (PT-3.2, PT-27): a notice to
    the account email with the objection link and the "I have read this" link. Safe to run twice."""
    version = LegalDocumentVersion.objects.select_related("document").get(pk=version_id)
    document = version.document
    organizations = Organization.objects.filter(
        kind__in=_notified_kinds(document), status=OrganizationStatus.ACTIVE
    ).order_by("pk")
    sent = 0
    for organization in organizations.iterator():
        with transaction.atomic():
            already = TermsChangeNotice.objects.filter(
                organization=organization, version__document=document, version__number=version.number
            ).exists()
            if already:
                continue
            shown = version_in_language(
                terms_version_texts(document=document, number=version.number), organization.language
            )
            assert shown is not None
            try:
                with transaction.atomic():
                    change = TermsChangeNotice.objects.create(organization=organization, version=shown)
            except IntegrityError:  # a concurrent run told this organisation first
                continue
            if not organization.email:
                logger.warning(
                    "changed terms not notified: no account email", extra={"organization": str(organization.public_id)}
                )
                continue
            objection_link = links.objection_url(organization_id=organization.public_id, version_id=shown.public_id)
            with timezone.override(ZoneInfo(organization.time_zone)):
                notices = notice_send(
                    organization=organization,
                    kind="terms.changed",
                    context={
                        "document": document,
                        "version": shown,
                        "version_url": f"{settings.PUBLIC_URL}{shown.get_absolute_url()}",
                        "history_url": f"{settings.PUBLIC_URL}{document.get_absolute_url()}history/",
                        "objection_url": objection_link,
                        "objection_days": OBJECTION_DAYS,
                    },
                    dedupe_key=f"terms.changed:{document.public_id}:{version.number}",
                )
            if notices:
                change.notice = notices[0]
                change.save(update_fields=["notice", "updated_at"])
                sent += 1
    return sent


def terms_accept(
    *,
    ctx: RequestContext,
    version_id: Any,
    method: str,
    ip: str | None,
    user_agent: str,
    organization_id: Any = None,
    signatory: str = "",
    reference: str = "",
    at: datetime | None = None,
) -> TermsAcceptance:
    """Record that an organisation accepted a version, as evidence (RT-2.1, RT-2.6, PT-1.2).

    ``click`` and ``online_order``: the signed-in person binds the acting organisation (an administrator or billing
    person), and only the version in force or a newer one can be accepted. ``registration``: the newcomer at the
    end of free-plan registration (the version they were shown, even if superseded since). ``purchase_order`` and
    ``signed_agreement``: operator staff record paper evidence for ``organization_id``, naming the ``signatory``;
    a ``purchase_order`` may also be recorded by the organisation's own binding person when the order it signed in
    the System becomes binding. Deemed acceptances are recorded only by the daily job.
    """
    at = at or clock.now()
    if method not in AcceptanceMethod.values or method == AcceptanceMethod.DEEMED:
        raise AcceptanceInvalidError(fields={"method": [_("Choose how the terms were accepted.")]})
    person = None
    recorded_by = ""
    staff_recorded = method == AcceptanceMethod.SIGNED_AGREEMENT or (
        method == AcceptanceMethod.PURCHASE_ORDER and ctx.is_operator
    )
    if staff_recorded:
        _require_operator(ctx)
        if not signatory.strip():
            raise AcceptanceInvalidError(
                fields={"signatory": [_("Name the person who signed, and their role, as on the document.")]}
            )
        try:
            organization = Organization.objects.get(public_id=organization_id)
        except (Organization.DoesNotExist, ValueError, TypeError):
            raise NotFoundError() from None
        recorded_by = ctx.actor_label
    else:
        if ctx.user is None:
            raise PersonRequiredError()
        if method != AcceptanceMethod.REGISTRATION:
            _require_binding(ctx)
        organization = ctx.organization
        person = ctx.user
    with transaction.atomic():
        version = terms_version_by_id(version_id=version_id)
        document = version.document
        if not document.applies_to(organization.kind):
            raise TermsNotApplicableError(document=document.display_title)
        if method in (AcceptanceMethod.CLICK, AcceptanceMethod.ONLINE_ORDER):
            current = terms_current_number(document=document, at=at)
            if current is not None and version.number < current:
                raise TermsVersionSupersededError(document=document.display_title)
        acceptance = TermsAcceptance.objects.create(
            organization=organization,
            version=version,
            sha256=version.sha256,
            method=method,
            person=person,
            person_label=_person_label(person) if person is not None else "",
            signatory=signatory.strip()[:300],
            reference=reference.strip()[:100],
            recorded_by_label=recorded_by,
            accepted_at=at,
            ip=ip or None,
            user_agent=(user_agent or "")[:500],
        )
        audit_record(
            ctx=ctx,
            action="terms.accepted",
            target=acceptance,
            organization=organization,
            changes={
                "document": document.slug,
                "number": version.number,
                "language": version.language,
                "sha256": version.sha256,
                "method": method,
            },
            at=at,
        )
    return acceptance


def _object(
    *,
    ctx: RequestContext | None,
    organization: Organization,
    version: LegalDocumentVersion,
    person: Any,
    channel: str,
    note: str,
    ip: str | None,
    user_agent: str,
    at: datetime,
) -> TermsObjection:
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ObjectionInvalidError(fields={"note": [_("Keep the note under 2,000 characters.")]})
    document = version.document
    params: dict[str, Any] = {"number": version.number, "document": document.display_title}
    with transaction.atomic():
        change = (
            TermsChangeNotice.objects.select_for_update(of=("self",))
            .select_related("organization", "notice")
            .filter(organization=organization, version__document=document, version__number=version.number)
            .first()
        )
        if change is None:
            raise NothingToObjectError(**params)
        _sent_at, deadline = change_deadline(change)
        if deadline is not None and at >= deadline:
            with timezone.override(ZoneInfo(organization.time_zone)):
                shown = formats.date_format(timezone.localtime(deadline - timedelta(seconds=1)), "DATETIME_FORMAT")
            raise ObjectionPeriodOverError(deadline=shown, **params)
        if objection_for(organization=organization, version=version) is not None:
            raise ObjectionExistsError(**params)
        if acceptance_covering(organization=organization, document=document, number=version.number) is not None:
            raise AlreadyAcceptedError(**params)
        objection = TermsObjection.objects.create(
            organization=organization,
            version=change.version,
            person=person,
            person_label=_person_label(person) if person is not None else "",
            channel=channel,
            note=note,
            objected_at=at,
            ip=ip or None,
            user_agent=(user_agent or "")[:500],
        )
        audit_record(
            ctx=ctx,
            action="terms.objected",
            target=objection,
            organization=organization,
            changes={"document": document.slug, "number": version.number, "channel": channel},
            at=at,
        )
    return objection


def terms_object(*, ctx: RequestContext, version_id: Any, note: str = "", at: datetime | None = None) -> TermsObjection:
    """The acting organisation objects to a changed version, in the app or through the API (PT-3.2)."""
    _require_binding(ctx)
    version = terms_version_by_id(version_id=version_id)
    return _object(
        ctx=ctx,
        organization=ctx.organization,
        version=version,
        person=ctx.user,
        channel=ObjectionChannel.API if ctx.api_key_id is not None else ObjectionChannel.APP,
        note=note,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        at=at or clock.now(),
    )


def terms_objection_target(*, token: str) -> tuple[Organization, LegalDocumentVersion]:
    """The organisation and version an objection link names; ``ObjectionLinkInvalidError`` for a forged link."""
    target = links.objection_target(token)
    if target is None:
        raise ObjectionLinkInvalidError()
    try:
        organization = Organization.objects.get(public_id=target.organization_id)
        version = LegalDocumentVersion.objects.select_related("document").get(public_id=target.version_id)
    except (Organization.DoesNotExist, LegalDocumentVersion.DoesNotExist, ValueError):
        raise ObjectionLinkInvalidError() from None
    return organization, version


def terms_object_by_link(
    *, token: str, note: str, ip: str | None, user_agent: str, user: Any = None, at: datetime | None = None
) -> TermsObjection:
    """Object through the link in the notice. The link itself is the authority (it went to the account email);
    a signed-in member of the organisation is recorded as the person."""
    organization, version = terms_objection_target(token=token)
    person = None
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if signed_in and user.memberships.filter(organization=organization, is_active=True).exists():
        person = user
    return _object(
        ctx=None,
        organization=organization,
        version=version,
        person=person,
        channel=ObjectionChannel.EMAIL_LINK,
        note=note,
        ip=ip,
        user_agent=user_agent,
        at=at or clock.now(),
    )


def terms_deemed_acceptances_record(*, at: datetime | None = None) -> int:
    """Record a deemed acceptance (PT-3.2) for every organisation whose changed-terms notice reached our mail server
    and whose 7 days to object are over, unless it objected or already accepted that version. Safe to run twice:
    it records nothing twice."""
    at = at or clock.now()
    same_version = {
        "organization": OuterRef("organization"),
        "version__document": OuterRef("version__document"),
    }
    candidates = (
        TermsChangeNotice.objects.filter(
            notice__status=NoticeStatus.SENT,
            notice__sent_at__lte=at - timedelta(days=OBJECTION_DAYS),
        )
        .exclude(organization__status=OrganizationStatus.TERMINATED)
        .annotate(
            has_objection=Exists(
                TermsObjection.objects.filter(**same_version, version__number=OuterRef("version__number"))
            ),
            has_acceptance=Exists(
                TermsAcceptance.objects.filter(**same_version, version__number__gte=OuterRef("version__number"))
            ),
        )
        .filter(has_objection=False, has_acceptance=False)
        .select_related("organization", "version", "version__document", "notice")
        .order_by("pk")
    )
    recorded = 0
    for candidate in candidates:
        _sent_at, deadline = change_deadline(candidate)
        if deadline is None or deadline > at:
            continue
        with transaction.atomic():
            change = (
                TermsChangeNotice.objects.select_for_update(of=("self",))
                .select_related("organization", "version", "version__document", "notice")
                .get(pk=candidate.pk)
            )
            organization, version = change.organization, change.version
            if objection_for(organization=organization, version=version) is not None:
                continue
            if acceptance_covering(organization=organization, document=version.document, number=version.number):
                continue
            try:
                with transaction.atomic():
                    acceptance = TermsAcceptance.objects.create(
                        organization=organization,
                        version=version,
                        sha256=version.sha256,
                        method=AcceptanceMethod.DEEMED,
                        accepted_at=deadline,
                        notice=change.notice,
                    )
            except IntegrityError:  # a concurrent run recorded it first
                continue
            audit_record(
                ctx=None,
                action="terms.deemed_accepted",
                target=acceptance,
                organization=organization,
                changes={
                    "document": version.document.slug,
                    "number": version.number,
                    "sha256": version.sha256,
                    "notice_sent_at": change.notice.sent_at.isoformat()
                    if change.notice and change.notice.sent_at
                    else "",
                },
                at=at,
            )
            recorded += 1
    return recorded
