from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from trunkline.accounts.auth import SESSION_ORGANIZATION, context_for_user
from trunkline.accounts.models import ApiKey
from trunkline.accounts.services import api_key_create, api_key_revoke, membership_add, user_preferences_update
from trunkline.audit.selectors import audit_event_list
from trunkline.core.errors import DomainError
from trunkline.tenancy.models import Organization
from trunkline.tenancy.selectors import membership_list, organization_list_for_user
from trunkline.web.forms import ApiKeyCreateForm, MemberAddForm
from trunkline.web.surfaces import SURFACES, surface_required
from trunkline.web.tables import Column, table


def home(request: HttpRequest) -> HttpResponse:
    """Signed out: the landing page with the sign-in link. Signed in: the surface of the organisation you act for."""
    if request.user.is_authenticated:
        ctx = context_for_user(request, request.user)
        if ctx is None:
            return redirect("web:no_organization")
        return redirect("web:surface_home", surface=SURFACES[ctx.organization.kind].prefix)
    return render(request, "web/landing.html")


@login_required
def no_organization(request: HttpRequest) -> HttpResponse:
    return render(request, "web/no_organization.html", status=403)


@login_required
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    try:
        wanted = UUID(request.POST.get("organization", ""))
    except ValueError:
        wanted = None
    organization = organization_list_for_user(user=request.user).filter(public_id=wanted).first() if wanted else None
    if organization is None:
        messages.error(request, _("You are not a member of that organisation."))
        return redirect("web:home")
    request.session[SESSION_ORGANIZATION] = str(organization.public_id)
    messages.success(request, _("You now act for %(name)s.") % {"name": organization.name})
    return redirect("web:surface_home", surface=SURFACES[organization.kind].prefix)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in person keeps the choice on their profile."""
    response = set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in ("en", "bg"):
        user_preferences_update(user=request.user, language=language)
    return response


@surface_required
def surface_home(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "member_count": membership_list(ctx=ctx).count() if ctx.has_scope("members:read") else None,
        "api_key_count": ApiKey.objects.for_org(ctx.organization).filter(revoked_at=None).count(),
        "recent_events": audit_event_list(ctx=ctx)[:8] if ctx.has_scope("audit:read") else [],
    }
    if ctx.is_operator:
        context["organizations"] = table(
            request,
            Organization.objects.all(),
            [
                Column("name", gettext_lazy("Name")),
                Column("kind", gettext_lazy("Kind")),
                Column("status", gettext_lazy("Status")),
                Column("created_at", gettext_lazy("Created")),
            ],
            default_ordering="name",
        )
    return render(request, "web/surface_home.html", context)


AUDIT_COLUMNS = [
    Column("created_at", gettext_lazy("Time")),
    Column("actor_label", gettext_lazy("Actor")),
    Column("action", gettext_lazy("Action")),
    Column("target_label", gettext_lazy("Object"), sortable=False),
    Column("ip", gettext_lazy("IP address"), sortable=False),
]


@surface_required
def audit_list(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    events = audit_event_list(ctx=ctx, action=request.GET.get("action") or None, all_organizations=ctx.is_operator)
    columns = (
        [Column("organization__name", gettext_lazy("Organisation")), *AUDIT_COLUMNS]
        if ctx.is_operator
        else AUDIT_COLUMNS
    )
    return render(
        request,
        "web/audit_list.html",
        {
            "events": table(request, events, columns, default_ordering="-created_at"),
            "action": request.GET.get("action", ""),
        },
    )


@surface_required
def member_list(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    form = MemberAddForm(request.POST or None, kind=ctx.organization.kind)
    if request.method == "POST" and form.is_valid():
        try:
            membership_add(ctx=ctx, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(email)s was added and will receive a link to set a password.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect(request.path)
    members = table(
        request,
        membership_list(ctx=ctx),
        [
            Column("user__email", gettext_lazy("Email")),
            Column("user__last_name", gettext_lazy("Name")),
            Column("role", gettext_lazy("Role")),
            Column("created_at", gettext_lazy("Added")),
        ],
        default_ordering="user__email",
    )
    can_manage = ctx.has_scope("members:manage")
    return render(
        request,
        "web/member_list.html",
        {"members": members, "form": form, "can_manage": can_manage},
        status=422 if form.errors else 200,
    )


@surface_required
def api_key_list(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    if not ctx.has_scope("api_keys:manage"):
        return render(request, "web/forbidden.html", status=403)
    form = ApiKeyCreateForm(request.POST or None, held_scopes=ctx.scopes)
    created_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _api_key, created_secret = api_key_create(ctx=ctx, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            form = ApiKeyCreateForm(held_scopes=ctx.scopes)
    keys = table(
        request,
        ApiKey.objects.for_org(ctx.organization),
        [
            Column("name", gettext_lazy("Name")),
            Column("prefix", gettext_lazy("Prefix"), sortable=False),
            Column("created_at", gettext_lazy("Created")),
            Column("last_used_at", gettext_lazy("Last used")),
            Column("revoked_at", gettext_lazy("Revoked")),
        ],
        default_ordering="-created_at",
    )
    return render(
        request,
        "web/api_key_list.html",
        {"keys": keys, "form": form, "created_secret": created_secret},
        status=422 if form.errors else 200,
    )


@surface_required
@require_POST
def api_key_revoke_view(request: HttpRequest, api_key_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    try:
        api_key = api_key_revoke(ctx=ctx, api_key_id=api_key_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The key %(name)s is revoked.") % {"name": api_key.name})
    return redirect("web:api_key_list", surface=request.surface.prefix)  # type: ignore[attr-defined]
