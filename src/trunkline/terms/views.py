"""Pages of the terms context: the public documents, the accept gate, objections, an organisation's evidence, and
the operator's terms page in /ops/terms/."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trunkline.accounts.auth import context_for_user
from trunkline.accounts.surfaces import surface_page
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.errors import DomainError, NotFoundError
from trunkline.core.middleware import client_ip
from trunkline.terms.domain.diff import text_diff
from trunkline.terms.forms import DocumentCreateForm, ObjectionForm, PublishForm
from trunkline.terms.models import AcceptanceMethod, Language, LegalDocument, LegalDocumentVersion
from trunkline.terms.receipts import evidence_export, receipt_pdf
from trunkline.terms.rendering import render_markdown
from trunkline.terms.selectors import (
    change_deadline,
    legal_document_get,
    legal_document_list,
    objection_for,
    terms_acceptance_current,
    terms_acceptance_list,
    terms_acceptance_overview,
    terms_change_notice_counts,
    terms_current_number,
    terms_objection_list,
    terms_organization_for,
    terms_pending_changes,
    terms_version_current,
    terms_version_get,
    terms_version_history,
    terms_version_texts,
)
from trunkline.terms.services import (
    BINDING_SCOPES,
    legal_document_create,
    terms_accept,
    terms_object,
    terms_object_by_link,
    terms_objection_target,
    terms_version_publish,
)

# ---- The terms pages inside /app/, /reseller/ and /ops/ use the shared surface_page (accounts.surfaces) ----


def _ctx(request: HttpRequest) -> RequestContext:
    return request.ctx  # type: ignore[attr-defined]


def _can_bind(ctx: RequestContext | None) -> bool:
    return ctx is not None and any(ctx.has_scope(scope) for scope in BINDING_SCOPES)


# ---- Public pages -----------------------------------------------------------------------------------------------


def _wanted_language(request: HttpRequest) -> str:
    asked = request.GET.get("language", "")
    return asked if asked in Language.values else translation.get_language() or "bg"


def _document(slug: str) -> LegalDocument:
    try:
        return legal_document_get(slug=slug)
    except NotFoundError:
        raise Http404 from None


def document_index(request: HttpRequest) -> HttpResponse:
    language = _wanted_language(request)
    documents = [
        {"document": document, "version": terms_version_current(document=document, language=language)}
        for document in legal_document_list()
    ]
    return render(request, "terms/index.html", {"documents": documents})


def _version_page(request: HttpRequest, document: LegalDocument, version: LegalDocumentVersion) -> HttpResponse:
    current = terms_current_number(document=document)
    return render(
        request,
        "terms/document.html",
        {
            "document": document,
            "version": version,
            "html": render_markdown(version.text),
            "texts": terms_version_texts(document=document, number=version.number),
            "current_number": current,
            "is_current": version.number == current,
            "is_upcoming": version.effective_at > clock.now(),
        },
    )


def document_current(request: HttpRequest, slug: str) -> HttpResponse:
    """The version in force, in the visitor's language where it exists."""
    document = _document(slug)
    version = terms_version_current(document=document, language=_wanted_language(request))
    if version is None:
        return render(request, "terms/document.html", {"document": document, "version": None}, status=404)
    return _version_page(request, document, version)


def document_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    document = _document(slug)
    try:
        version = terms_version_get(document=document, number=number, language=_wanted_language(request))
    except NotFoundError:
        raise Http404 from None
    return _version_page(request, document, version)


def document_history(request: HttpRequest, slug: str) -> HttpResponse:
    document = _document(slug)
    history = terms_version_history(document=document)
    if request.GET.get("a") and request.GET.get("b"):  # the compare form, without JavaScript
        try:
            first, second = sorted((int(request.GET["a"]), int(request.GET["b"])))
        except ValueError:
            first = second = 0
        if first and second and first != second:
            return redirect("terms:diff", slug=slug, a=first, b=second)
    return render(
        request,
        "terms/history.html",
        {"document": document, "history": history, "language": _wanted_language(request)},
    )


def document_diff(request: HttpRequest, slug: str, a: int, b: int) -> HttpResponse:
    """What changed from version ``a`` to version ``b``, side by side, in one language."""
    document = _document(slug)
    language = _wanted_language(request)
    old_texts = {text.language: text for text in terms_version_texts(document=document, number=a)}
    new_texts = {text.language: text for text in terms_version_texts(document=document, number=b)}
    if not old_texts or not new_texts:
        raise Http404
    common = [code for code in (language, "bg", "en") if code in old_texts and code in new_texts]
    if not common:
        raise Http404
    old, new = old_texts[common[0]], new_texts[common[0]]
    return render(
        request,
        "terms/diff.html",
        {
            "document": document,
            "old": old,
            "new": new,
            "diff": text_diff(old.text, new.text),
            "diff_languages": sorted(set(old_texts) & set(new_texts)),
        },
    )


# ---- The accept gate ---------------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, candidate: str, fallback: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


@login_required
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, slug: str) -> HttpResponse:
    """The version in force with an "I agree" button; agreeing records a click acceptance and continues to ``next``."""
    document = _document(slug)
    ctx = context_for_user(request, request.user)
    if ctx is None:
        return redirect("/")
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""), "/")
    status = terms_acceptance_current(organization=ctx.organization, kind=document.kind)
    version = terms_version_current(document=document, language=_wanted_language(request))
    if version is None or not document.applies_to(ctx.organization.kind):
        return HttpResponseRedirect(next_url)
    error = ""
    if request.method == "POST":
        try:
            terms_accept(
                ctx=ctx,
                version_id=request.POST.get("version", ""),
                method=AcceptanceMethod.CLICK,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except DomainError as failure:
            error = failure.message
        else:
            messages.success(
                request,
                _("%(organization)s accepted version %(number)s of %(document)s.")
                % {"organization": ctx.organization.name, "number": version.number, "document": document.display_title},
            )
            return HttpResponseRedirect(next_url)
    objection = objection_for(organization=ctx.organization, version=version)
    return render(
        request,
        "terms/accept.html",
        {
            "document": document,
            "version": version,
            "html": render_markdown(version.text),
            "next": next_url,
            "already_accepted": status.applies and status.accepted,
            "can_bind": _can_bind(ctx),
            "acting": ctx,
            "objection": objection,
            "error": error,
        },
        status=422 if error else 200,
    )


# ---- Objections -------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def objection(request: HttpRequest, token: str) -> HttpResponse:
    """The objection link of a changed-terms notice. GET shows the form (mail scanners prefetch links, so a GET
    never records anything); POST records the objection."""
    try:
        organization, version = terms_objection_target(token=token)
    except DomainError as error:
        return render(request, "terms/objection.html", {"error": error.message}, status=error.http_status)
    form = ObjectionForm(request.POST or None)
    recorded = None
    error_message = ""
    if request.method == "POST" and form.is_valid():
        try:
            recorded = terms_object_by_link(
                token=token,
                note=form.cleaned_data["note"],
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
                user=request.user,
            )
        except DomainError as error:
            error_message = error.message
    changes = [change for change in terms_pending_changes(organization=organization) if change.version.pk == version.pk]
    pending = changes[0] if changes else None
    return render(
        request,
        "terms/objection.html",
        {
            "organization": organization,
            "version": version,
            "document": version.document,
            "form": form,
            "recorded": recorded,
            "pending": pending,
            "error": error_message,
            "can_object": pending is not None and pending.can_object(clock.now()),
        },
        status=422 if (error_message or form.errors) else 200,
    )


# ---- An organisation's terms and evidence --------------------------------------------------------------------


@surface_page
def organization_terms(request: HttpRequest) -> HttpResponse:
    """The documents that bind the organisation, whether each is accepted, pending changes with the objection
    button, and the evidence with its exports."""
    ctx = _ctx(request)
    if ctx.is_operator:
        return ops_terms(request)
    now = clock.now()
    pending = [change for change in terms_pending_changes(organization=ctx.organization) if change.can_object(now)]
    can_read = ctx.has_scope("audit:read")
    return render(
        request,
        "terms/organization.html",
        {
            "statuses": terms_acceptance_overview(organization=ctx.organization),
            "pending": pending,
            "acceptances": terms_acceptance_list(ctx=ctx)[:50] if can_read else None,
            "can_bind": _can_bind(ctx),
            "now": now,
        },
    )


@surface_page
@require_POST
def organization_object(request: HttpRequest, version_id: str) -> HttpResponse:
    """The objection button in the app."""
    ctx = _ctx(request)
    form = ObjectionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        terms_object(ctx=ctx, version_id=version_id, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your objection is recorded. The operator will contact you."))
    return redirect("terms:organization", surface=_surface_prefix(request))


def _surface_prefix(request: HttpRequest) -> str:
    return request.surface.prefix  # type: ignore[attr-defined]


def _evidence(request: HttpRequest) -> dict[str, Any]:
    ctx = _ctx(request)
    organization_id = request.GET.get("organization") or None
    organization = terms_organization_for(ctx=ctx, organization_id=organization_id)
    acceptances = list(terms_acceptance_list(ctx=ctx, organization_id=organization_id))
    return {
        "organization": organization,
        "acceptances": acceptances,
        "generated_at": clock.now(),
        "public_url": settings.PUBLIC_URL,
    }


def _evidence_or_404(request: HttpRequest) -> dict[str, Any]:
    try:
        return _evidence(request)
    except NotFoundError:
        raise Http404 from None


@surface_page
def acceptances_json(request: HttpRequest) -> HttpResponse:
    """The evidence as a JSON download."""
    evidence = _evidence_or_404(request)
    body = evidence_export(
        organization=evidence["organization"], acceptances=evidence["acceptances"], at=evidence["generated_at"]
    )
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="terms-acceptances-{evidence["organization"].public_id}.json"'
    )
    return response


@surface_page
def receipt(request: HttpRequest) -> HttpResponse:
    """The printable receipt of the evidence."""
    return render(request, "terms/receipt.html", _evidence_or_404(request))


@surface_page
def receipt_pdf_view(request: HttpRequest) -> HttpResponse:
    evidence = _evidence_or_404(request)
    response = HttpResponse(receipt_pdf(evidence, request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="terms-receipt-{evidence["organization"].public_id}.pdf"'
    return response


# ---- Operator: /ops/terms/ ----------------------------------------------------------------------------------------


def _render_ops(
    request: HttpRequest, publish_form: PublishForm, document_form: DocumentCreateForm, status: int = 200
) -> HttpResponse:
    ctx = _ctx(request)
    documents = []
    for document in legal_document_list():
        history = terms_version_history(document=document)
        latest = history[0] if history else None
        documents.append(
            {
                "document": document,
                "history": history[:3],
                "latest": latest,
                "counts": terms_change_notice_counts(version=latest.texts[0]) if latest else None,
            }
        )
    flagged = []
    for item in terms_objection_list(ctx=ctx)[:100]:
        changes = [
            change
            for change in terms_pending_changes(organization=item.organization)
            if change.version.document_id == item.version.document_id and change.version.number == item.version.number
        ]
        flagged.append({"objection": item, "deadline": change_deadline(changes[0].change)[1] if changes else None})
    return render(
        request,
        "terms/ops.html",
        {
            "documents": documents,
            "flagged": flagged,
            "publish_form": publish_form,
            "document_form": document_form,
            "can_manage": ctx.has_scope("ops:manage"),
        },
        status=status,
    )


def _add_errors(form: Any, error: DomainError) -> None:
    fields = getattr(error, "fields", {}) or {}
    for name, problems in fields.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
    if not fields:
        form.add_error(None, error.message)


def ops_terms(request: HttpRequest) -> HttpResponse:
    """Documents and their latest versions, the publish form, and the organisations flagged by an objection."""
    ctx = _ctx(request)
    if not ctx.has_scope("ops:read"):
        return render(request, "web/forbidden.html", status=403)
    publish_form = PublishForm(request.POST or None, prefix="publish")
    document_form = DocumentCreateForm(prefix="document")
    if request.method == "POST":
        if not ctx.has_scope("ops:manage"):
            return render(request, "web/forbidden.html", status=403)
        if publish_form.is_valid():
            data = publish_form.cleaned_data
            try:
                version = terms_version_publish(
                    ctx=ctx,
                    document_id=data["document"].public_id,
                    language=data["language"],
                    text=data["text"],
                    effective_at=data["effective_at"],
                    number=data["number"],
                )
            except DomainError as error:
                _add_errors(publish_form, error)
            else:
                messages.success(
                    request,
                    _("Version %(number)s of %(document)s is published (%(language)s).")
                    % {
                        "number": version.number,
                        "document": version.document.display_title,
                        "language": version.get_language_display(),
                    },
                )
                return redirect("terms:organization", surface="ops")
        return _render_ops(request, publish_form, document_form, status=422)
    return _render_ops(request, publish_form, document_form)


@surface_page
@require_POST
def ops_document_create(request: HttpRequest) -> HttpResponse:
    ctx = _ctx(request)
    if not ctx.is_operator or not ctx.has_scope("ops:manage"):
        return render(request, "web/forbidden.html", status=403)
    document_form = DocumentCreateForm(request.POST, prefix="document")
    if document_form.is_valid():
        try:
            document = legal_document_create(ctx=ctx, **document_form.cleaned_data)
        except DomainError as error:
            _add_errors(document_form, error)
        else:
            messages.success(
                request,
                _("%(document)s is created. Publish its first version below.") % {"document": document.display_title},
            )
            return redirect(reverse("terms:organization", kwargs={"surface": "ops"}))
    return _render_ops(request, PublishForm(prefix="publish"), document_form, status=422)
