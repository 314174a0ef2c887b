"""The terms API: documents, your status and acceptance evidence, objections, and publishing (operator)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.core.context import require_scope
from trunkline.terms.models import LegalDocument, LegalDocumentVersion
from trunkline.terms.schemas import (
    AcceptanceFilterIn,
    AcceptanceOut,
    DocumentCreateIn,
    DocumentOut,
    ObjectionIn,
    ObjectionOut,
    StatusOut,
    VersionPublishedOut,
    VersionPublishIn,
)
from trunkline.terms.selectors import (
    legal_document_list,
    terms_acceptance_list,
    terms_acceptance_overview,
    terms_version_current,
)
from trunkline.terms.services import legal_document_create, terms_object, terms_version_publish

router = Router(tags=["terms"])


def _document_out(document: LegalDocument, language: str) -> dict[str, Any]:
    return {
        "public_id": document.public_id,
        "slug": document.slug,
        "title": document.title,
        "title_bg": document.title_bg,
        "kind": document.kind,
        "audience": document.audience,
        "url": document.get_absolute_url(),
        "current_version": terms_version_current(document=document, language=language),
    }


def _version_out(version: LegalDocumentVersion) -> LegalDocumentVersion:
    version.url = version.get_absolute_url()  # type: ignore[attr-defined]
    return version


@router.get(
    "/terms/documents",
    response={200: list[DocumentOut], **ERROR_RESPONSES},
    operation_id="terms_document_list",
    summary="List legal documents",
)
def terms_document_list_api(request: HttpRequest):
    """Every legal document with its version in force (the pages are public at /terms/<slug>/)."""
    ctx = ctx_of(request)
    require_scope(ctx, "organization:read")
    return [_document_out(document, ctx.organization.language) for document in legal_document_list()]


@router.get(
    "/terms/status",
    response={200: list[StatusOut], **ERROR_RESPONSES},
    operation_id="terms_status",
    summary="Which terms your organisation accepted",
)
def terms_status_api(request: HttpRequest):
    """For each document that binds your organisation: the version in force and whether you accepted it."""
    ctx = ctx_of(request)
    require_scope(ctx, "organization:read")
    return [
        {
            "document": status.document.slug if status.document else "",
            "kind": status.document.kind if status.document else "",
            "version_id": status.version.public_id if status.version else None,
            "number": status.version.number if status.version else None,
            "accepted": status.accepted,
            "accepted_at": status.acceptance.accepted_at if status.acceptance else None,
            "method": status.acceptance.method if status.acceptance else None,
        }
        for status in terms_acceptance_overview(organization=ctx.organization)
    ]


@router.get(
    "/terms/acceptances",
    response={200: Page[AcceptanceOut], **ERROR_RESPONSES},
    operation_id="terms_acceptance_list",
    summary="List acceptance evidence",
)
def terms_acceptance_list_api(request: HttpRequest, params: Query[PageIn], filters: Query[AcceptanceFilterIn]):
    """Who accepted which version (with its SHA-256), when, how, from which IP address and browser (RT-2.6)."""
    acceptances = terms_acceptance_list(ctx=ctx_of(request), organization_id=filters.organization_id)
    if filters.document:
        acceptances = acceptances.filter(version__document__slug=filters.document)
    if filters.method:
        acceptances = acceptances.filter(method=filters.method)
    return paginate(acceptances, params, orderings=("accepted_at", "-accepted_at"))


@router.post(
    "/terms/objections",
    response={201: ObjectionOut, **ERROR_RESPONSES},
    operation_id="terms_object",
    summary="Object to changed terms",
)
def terms_object_api(request: HttpRequest, payload: ObjectionIn):
    """Object to a changed version within 7 days of the notice (PT-3.2). Needs organization:manage or
    billing:manage."""
    return Status(201, terms_object(ctx=ctx_of(request), version_id=payload.version_id, note=payload.note))


@router.post(
    "/terms/documents",
    response={201: DocumentOut, **ERROR_RESPONSES},
    operation_id="terms_document_create",
    summary="Add a legal document (operator)",
)
def terms_document_create_api(request: HttpRequest, payload: DocumentCreateIn):
    ctx = ctx_of(request)
    document = legal_document_create(ctx=ctx, **payload.dict())
    return Status(201, _document_out(document, ctx.organization.language))


@router.post(
    "/terms/versions",
    response={201: VersionPublishedOut, **ERROR_RESPONSES},
    operation_id="terms_version_publish",
    summary="Publish a version (operator)",
)
def terms_version_publish_api(request: HttpRequest, payload: VersionPublishIn):
    """Publish a new version, or a version's text in another language. A published text can never change."""
    version = terms_version_publish(ctx=ctx_of(request), **payload.dict())
    return Status(201, _version_out(version))
