"""The agent inbox at /app/inbox/: conversation list with filters, the conversation with its composer, live updates."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from trunkline.channels.domain.mail.compose import reply_subject
from trunkline.channels.models import ChannelKind
from trunkline.core.errors import DomainError, NotFoundError
from trunkline.inbox import realtime
from trunkline.inbox.email_display import email_view, is_email
from trunkline.inbox.models import ConversationStatus, Priority
from trunkline.inbox.pages import surface_required
from trunkline.inbox.selectors import (
    attachment_get,
    canned_reply_list,
    channel_list,
    consent_list,
    conversation_get,
    conversation_list,
    message_list,
)
from trunkline.inbox.services.messages import (
    conversation_mark_read,
    conversation_note,
    conversation_reply,
    conversation_update,
)
from trunkline.tenancy.selectors import membership_list

PAGE_SIZE = 50


def _conversation(request: HttpRequest, conversation_id: UUID) -> Any:
    """The conversation of the acting organisation, or the 404 page (another tenant's looks like a missing one)."""
    try:
        return conversation_get(ctx=request.ctx, public_id=conversation_id)  # type: ignore[attr-defined]
    except NotFoundError:
        raise Http404 from None


def _filters(request: HttpRequest) -> dict[str, Any]:
    params = request.GET
    channel = params.get("channel", "")
    try:
        channel_id = UUID(channel) if channel else None
    except ValueError:
        channel_id = None
    return {
        "status": params.get("status", "open") if "status" in params or not params else params.get("status", ""),
        "channel_id": channel_id,
        "assignee": params.get("assignee", ""),
        "label": params.get("label", "").strip(),
        "q": params.get("q", "").strip(),
    }


def _list_context(request: HttpRequest, current: Any = None) -> dict[str, Any]:
    ctx = request.ctx  # type: ignore[attr-defined]
    filters = _filters(request)
    return {
        "conversations": list(conversation_list(ctx=ctx, **filters)[:PAGE_SIZE]),
        "filters": filters,
        "current": current,
        "query": request.GET.urlencode(),
    }


def _thread_context(request: HttpRequest, conversation: Any) -> dict[str, Any]:
    ctx = request.ctx  # type: ignore[attr-defined]
    thread = list(message_list(ctx=ctx, conversation=conversation).prefetch_related("files"))
    is_email_channel = conversation.channel.kind == ChannelKind.EMAIL
    last_subject = ""
    for message in thread:
        shown = email_view(message, conversation_id=conversation.public_id) if is_email(message) else None
        message.email = shown  # type: ignore[attr-defined]
        last_subject = message.subject or last_subject
    return {
        "conversation": conversation,
        "thread": thread,
        "is_email": is_email_channel,
        "reply_subject": reply_subject(last_subject) if is_email_channel and last_subject else "",
        "consents": list(consent_list(ctx=ctx, contact=conversation.contact)),
        "can_reply": ctx.has_scope("inbox:reply"),
        "statuses": ConversationStatus.choices,
        "members": list(membership_list(ctx=ctx).select_related("user")) if ctx.has_scope("inbox:reply") else [],
        "canned_replies": list(canned_reply_list(ctx=ctx)),
    }


def _page(request: HttpRequest, conversation: Any = None) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    if not ctx.has_scope("inbox:read"):
        return render(request, "web/forbidden.html", status=403)
    context = _list_context(request, conversation)
    context.update(
        {
            "channels": list(channel_list(ctx=ctx)),
            "statuses": ConversationStatus.choices,
            "priorities": Priority.choices,
            "socket_token": realtime.socket_token(ctx.organization.pk, ctx.user.pk if ctx.user else 0),
        }
    )
    if conversation is not None:
        conversation_mark_read(ctx=ctx, conversation=conversation)
        context.update(_thread_context(request, conversation))
    return render(request, "inbox/inbox.html", context)


# Received email renders in a sandboxed frame that inherits this page's policy: its inline style attributes (no url():
# the sanitiser drops every property that can fetch) and, once the agent asks, its remote images. The https images
# also show an MMS's media, kept as the provider's address.
_BASE_CSP: dict[str, Any] = dict(settings.SECURE_CSP)
EMAIL_CSP: dict[str, Any] = {
    **_BASE_CSP,
    "img-src": [*_BASE_CSP.get("img-src", []), "https:"],
    "style-src-attr": [CSP.UNSAFE_INLINE],
}


@surface_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return _page(request)


@csp_override(EMAIL_CSP)
@surface_required
@require_GET
def conversation_detail(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    return _page(request, _conversation(request, conversation_id))


@surface_required
@require_GET
def conversation_list_partial(request: HttpRequest) -> HttpResponse:
    """The list alone, for the live refresh."""
    current = request.GET.get("current", "")
    context = _list_context(request)
    context["current_id"] = current
    return render(request, "inbox/_conversation_list.html", context)


@csp_override(EMAIL_CSP)
@surface_required
@require_GET
def thread_partial(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    conversation = _conversation(request, conversation_id)
    conversation_mark_read(ctx=ctx, conversation=conversation)
    return render(request, "inbox/_thread.html", _thread_context(request, conversation))


def _after_post(request: HttpRequest, conversation_id: UUID, error: DomainError | None) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    if request.headers.get("HX-Request"):
        context = _thread_context(request, conversation)
        context["error"] = error
        context["draft"] = request.POST.get("body", "") if error else ""
        return render(request, "inbox/_thread.html", context, status=422 if error else 200)
    if error:
        flash.error(request, error.message)
    return redirect("inbox:conversation", surface="app", conversation_id=conversation_id)


@surface_required
@require_GET
def attachment_download(request: HttpRequest, conversation_id: UUID, attachment_id: UUID) -> Any:
    """A received email's file, to the organisation's agents only (another tenant's answers 404); always a download,
    never rendered by the browser as a page (nosniff). Images keep their type so inline images show in the frame."""
    ctx = request.ctx  # type: ignore[attr-defined]
    conversation = _conversation(request, conversation_id)
    try:
        attachment = attachment_get(ctx=ctx, conversation=conversation, public_id=attachment_id)
    except NotFoundError:
        raise Http404 from None
    safe_image = attachment.content_type in ("image/png", "image/jpeg", "image/gif", "image/webp")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type if safe_image else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@csp_override(EMAIL_CSP)
@surface_required
@require_POST
def reply(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    _conversation(request, conversation_id)
    error = None
    try:
        if request.POST.get("mode") == "note":
            conversation_note(ctx=ctx, conversation_id=conversation_id, body=request.POST.get("body", ""))
        else:
            conversation_reply(
                ctx=ctx,
                conversation_id=conversation_id,
                body=request.POST.get("body", ""),
                is_promotional=request.POST.get("promotional") == "on",
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
    except DomainError as failure:
        error = failure
    return _after_post(request, conversation_id, error)


@csp_override(EMAIL_CSP)
@surface_required
@require_POST
def update(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    _conversation(request, conversation_id)
    error = None
    assignee = request.POST.get("assignee")
    try:
        conversation_update(
            ctx=ctx,
            conversation_id=conversation_id,
            status=request.POST.get("status") or None,
            assignee_id=UUID(assignee) if assignee and assignee != "none" else None,
            unassign=assignee == "none",
            labels=request.POST.get("labels", "").split(",") if "labels" in request.POST else None,
            priority=request.POST.get("priority") or None,
        )
    except (DomainError, ValueError) as failure:
        error = failure if isinstance(failure, DomainError) else DomainError(str(failure))
    return _after_post(request, conversation_id, error)
