"""Contacts at /app/contacts/: the list with search, and one contact with its identities, lists, consent per channel
and conversations. Another organisation's contact is a 404 (PT-22)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trunkline.core.errors import DomainError, NotFoundError
from trunkline.inbox import selectors
from trunkline.inbox.forms import ContactForm, ContactListAddForm
from trunkline.inbox.pages import surface_required
from trunkline.inbox.services.contacts import contact_list_add, contact_list_remove, contact_update

PAGE_SIZE = 50


def _contact(request: HttpRequest, contact_id: UUID) -> Any:
    try:
        return selectors.contact_get(ctx=request.ctx, public_id=contact_id)  # type: ignore[attr-defined]
    except NotFoundError:
        raise Http404 from None


@surface_required
def contacts(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    if not ctx.has_scope("inbox:read"):
        return render(request, "web/forbidden.html", status=403)
    q = request.GET.get("q", "").strip()
    page = Paginator(selectors.contact_list(ctx=ctx, q=q).prefetch_related("lists"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "inbox/contacts.html",
        {"table": {"page": page, "querystring": urlencode({"q": q}) if q else ""}, "q": q, "section": "contacts"},
    )


def _list_add_form(request: HttpRequest, contact: Any, data: Any = None) -> ContactListAddForm | None:
    ctx = request.ctx  # type: ignore[attr-defined]
    if not ctx.has_scope("campaigns:send"):
        return None
    member_of = set(contact.lists.values_list("pk", flat=True))
    form = ContactListAddForm(data)
    field: Any = form.fields["contact_list"]
    field.choices = [
        (str(item.public_id), item.name) for item in selectors.contact_list_list(ctx=ctx) if item.pk not in member_of
    ]
    return form if field.choices else None


@surface_required
def contact_detail(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    if not ctx.has_scope("inbox:read"):
        return render(request, "web/forbidden.html", status=403)
    contact = _contact(request, contact_id)
    can_edit = ctx.has_scope("inbox:reply")
    form = ContactForm(request.POST or None, initial={"name": contact.name, "labels": ", ".join(contact.labels)})
    if request.method == "POST" and can_edit and form.is_valid():
        try:
            contact_update(
                ctx=ctx,
                contact_id=contact.public_id,
                name=form.cleaned_data["name"],
                labels=form.cleaned_data["labels"].split(","),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            flash.success(request, _("The contact is saved."))
            return redirect("inbox:contact", surface="app", contact_id=contact.public_id)
    return render(
        request,
        "inbox/contact_detail.html",
        {
            "contact": contact,
            "identities": list(selectors.contact_identities(ctx=ctx, contact=contact)),
            "lists": list(contact.lists.all()),
            "consents": list(selectors.consent_list(ctx=ctx, contact=contact).prefetch_related("events")),
            "conversations": list(selectors.contact_conversations(ctx=ctx, contact=contact)[:20]),
            "form": form if can_edit else None,
            "list_form": _list_add_form(request, contact),
            "can_manage_lists": ctx.has_scope("campaigns:send"),
            "section": "contacts",
        },
        status=422 if form.errors else 200,
    )


@surface_required
@require_POST
def contact_lists(request: HttpRequest, contact_id: UUID, action: str) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    contact = _contact(request, contact_id)
    if action not in ("add", "remove") or not ctx.has_scope("campaigns:send"):
        raise Http404
    try:
        list_id = UUID(request.POST.get("contact_list", ""))
    except ValueError:
        raise Http404 from None
    try:
        if action == "add":
            contact_list = contact_list_add(ctx=ctx, contact_id=contact.public_id, contact_list_id=list_id)
            flash.success(request, _("Added to the list %(name)s.") % {"name": contact_list.name})
        else:
            contact_list = contact_list_remove(ctx=ctx, contact_id=contact.public_id, contact_list_id=list_id)
            flash.success(request, _("Removed from the list %(name)s.") % {"name": contact_list.name})
    except NotFoundError:
        raise Http404 from None
    return redirect("inbox:contact", surface="app", contact_id=contact.public_id)
