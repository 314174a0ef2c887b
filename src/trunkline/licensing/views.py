"""Pages of licensing: the reseller portal under /reseller/licensing/ and the operator's under /ops/licensing/."""

from __future__ import annotations

from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trunkline.accounts.surfaces import operator_page, surface_page
from trunkline.core.errors import DomainError, NotFoundError
from trunkline.licensing.forms import (
    AllotmentForm,
    AssignForm,
    CsvImportForm,
    EndUserForm,
    KeyLookupForm,
    OfflineActivationForm,
    ReasonForm,
)
from trunkline.licensing.models import EndUserAffiliation, LicensingAccount, Pool
from trunkline.licensing.selectors import (
    dashboard,
    end_user_get,
    end_user_import_get,
    end_user_list,
    license_get,
    license_list,
    reseller_get,
    resets_this_week,
)
from trunkline.licensing.services import (
    activation_offline_create,
    end_user_create,
    end_user_import_start,
    license_assign,
    license_get_by_key,
    license_key_reissue,
    license_reset_override,
    license_test_assign,
    licenses_disable_all,
    licenses_enable_all,
    pool_test_allotment_grant,
)
from trunkline.tenancy.models import Organization
from trunkline.terms.gate import terms_required

PAGE_SIZE = 25


def not_found_is_404(view: Any) -> Any:
    """Another tenant's object (NotFoundError from a selector) is the ordinary 404 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError:
            raise Http404 from None

    return wrapper


def reseller_page(view: Any) -> Any:
    """A reseller page behind the reseller terms gate (RT-2.1)."""
    return surface_page(terms_required("reseller_terms")(not_found_is_404(view)))


def _page(request: HttpRequest, queryset: Any) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")), "querystring": query.urlencode()}


def chart(series: list[tuple[Any, int]], *, width: int = 900, height: int = 150) -> dict[str, Any]:
    """Bars of a day series for an inline SVG (no script, no library)."""
    peak = max([count for _day, count in series] + [1])
    step = width / max(len(series), 1)
    bars = [
        {
            "x": round(index * step + 1, 1),
            "width": round(max(step - 2, 1), 1),
            "height": round((height - 20) * count / peak, 1),
            "y": round(height - 20 - (height - 20) * count / peak, 1),
            "day": day,
            "count": count,
            "label": index == len(series) - 1 or (index % 7 == 0 and index <= len(series) - 4),
        }
        for index, (day, count) in enumerate(series)
    ]
    return {"bars": bars, "width": width, "height": height, "peak": peak, "total": sum(c for _d, c in series)}


def _create_end_user(request: HttpRequest, form: EndUserForm, organization: Organization | None = None) -> Any:
    """Create the end user of a posted form (for the acting reseller, or for ``organization`` when staff act on its
    behalf); the new end user, or None with the service's errors put on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        end_user = end_user_create(
            ctx=request.ctx,  # type: ignore[attr-defined]
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            address=data["address"],
            is_affiliated=data["affiliation"] == "yes",
            external_reference=data["external_reference"],
            organization=organization,
        )
    except DomainError as error:
        for name, errors in getattr(error, "fields", {}).items():
            for message in errors:
                form.add_error(name if name in form.fields else None, message)
        if not getattr(error, "fields", None):
            form.add_error(None, error.message)
        return None
    messages.success(request, _("%(name)s was added.") % {"name": end_user.name})
    return end_user


def _assign_from_form(
    request: HttpRequest, context: dict[str, Any], end_user_id: UUID, organization: Organization | None = None
) -> int:
    """Assign the End-Point or Test License the assignment form asks for; puts the key or the refusal in
    ``context`` and returns the page's status."""
    form = AssignForm(request.POST)
    if not form.is_valid():
        context["assign_form"] = form
        return 422
    assign = license_test_assign if request.POST.get("kind") == "test" else license_assign
    try:
        license, key = assign(
            ctx=request.ctx,  # type: ignore[attr-defined]
            end_user_id=end_user_id,
            product_id=form.cleaned_data["product"].public_id,
            organization=organization,
        )
    except DomainError as error:
        context["assign_error"] = error.message
        return error.http_status
    context["new_key"] = key
    context["new_license"] = license
    return 200


# --- Reseller ------------------------------------------------------------------------------------------------------


@reseller_page
def reseller_dashboard(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    board = dashboard(ctx=ctx)
    return render(request, "licensing/dashboard.html", {"board": board, "chart": chart(board.series)})


@reseller_page
def end_user_index(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    form = EndUserForm(request.POST or None) if request.POST.get("action") != "import" else EndUserForm()
    import_form = (
        CsvImportForm(request.POST or None, request.FILES or None)
        if request.POST.get("action") == "import"
        else CsvImportForm()
    )
    status = 200
    if request.method == "POST" and request.POST.get("action") == "import":
        if import_form.is_valid():
            upload = import_form.cleaned_data["file"]
            try:
                record = end_user_import_start(
                    ctx=ctx, data=upload.read(), file_name=upload.name or "", language=translation.get_language() or ""
                )
            except DomainError as error:
                for message in getattr(error, "fields", {}).get("file", []) or [error.message]:
                    import_form.add_error("file", message)
            else:
                return redirect("licensing:end_user_import", import_id=record.public_id)
        status = 422
    elif request.method == "POST":
        end_user = _create_end_user(request, form)
        if end_user is not None:
            return redirect("licensing:end_user", end_user_id=end_user.public_id)
        status = 422
    query = request.GET.get("q", "")
    return render(
        request,
        "licensing/end_user_index.html",
        {
            "table": _page(request, end_user_list(ctx=ctx, query=query).order_by("name", "pk")),
            "query": query,
            "form": form,
            "import_form": import_form,
        },
        status=status,
    )


@reseller_page
def end_user_import(request: HttpRequest, import_id: UUID) -> HttpResponse:
    """A CSV import: a determinate progress bar (rows done of rows total) while the task runs, then the report."""
    record = end_user_import_get(ctx=request.ctx, public_id=import_id)  # type: ignore[attr-defined]
    return render(request, "licensing/end_user_import.html", {"import": record})


@reseller_page
def end_user_import_progress(request: HttpRequest, import_id: UUID) -> HttpResponse:
    """The progress partial the import page polls every second (htmx) until the import is done."""
    record = end_user_import_get(ctx=request.ctx, public_id=import_id)  # type: ignore[attr-defined]
    return render(request, "licensing/_import_progress.html", {"import": record})


def _end_user_context(
    request: HttpRequest, end_user_id: UUID, organization: Organization | None = None
) -> dict[str, Any]:
    ctx = request.ctx  # type: ignore[attr-defined]
    end_user = end_user_get(ctx=ctx, public_id=end_user_id, organization=organization)
    licenses = list(license_list(ctx=ctx, end_user=end_user))
    for license in licenses:
        license.resets_this_week = resets_this_week(license=license)  # type: ignore[attr-defined]
    return {
        "end_user": end_user,
        "licenses": licenses,
        "affiliations": EndUserAffiliation.objects.filter(end_user=end_user),
        "pools": Pool.objects.filter(organization=organization or ctx.organization).select_related("product"),
        "assign_form": AssignForm(),
        "ops_organization": organization,
        "can_assign": ctx.has_scope("ops:manage") if organization is not None else ctx.has_scope("licensing:assign"),
    }


@reseller_page
def end_user_detail(request: HttpRequest, end_user_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    context = _end_user_context(request, end_user_id)
    status = 200
    if request.method == "POST" and request.POST.get("reissue"):
        if request.POST["reissue"] not in {str(license.public_id) for license in context["licenses"]}:
            raise Http404  # only a license of this end user, from this page
        try:
            license, key = license_key_reissue(ctx=ctx, license_id=UUID(request.POST["reissue"]))
        except DomainError as error:
            context["assign_error"] = error.message
            status = error.http_status
        else:
            context = _end_user_context(request, end_user_id)
            context["new_key"], context["new_license"] = key, license
    elif request.method == "POST":
        outcome: dict[str, Any] = {}
        status = _assign_from_form(request, outcome, end_user_id)
        if status == 200:
            context = _end_user_context(request, end_user_id)
        context.update(outcome)
    return render(request, "licensing/end_user_detail.html", context, status=status)


# --- Operator staff ------------------------------------------------------------------------------------------------


@operator_page("ops:read")
def ops_index(request: HttpRequest) -> HttpResponse:
    resellers = Organization.objects.filter(kind="reseller").order_by("name", "pk")
    accounts = {account.organization_id: account for account in LicensingAccount.objects.all()}
    pools: dict[int, list[Pool]] = {}
    for pool in Pool.objects.select_related("product"):
        pools.setdefault(pool.organization_id, []).append(pool)
    rows = [{"organization": org, "account": accounts.get(org.pk), "pools": pools.get(org.pk, [])} for org in resellers]
    lookup = KeyLookupForm(request.GET or None)
    if request.GET.get("key") and lookup.is_valid():
        try:
            found = license_get_by_key(key=lookup.cleaned_data["key"])
        except DomainError:
            lookup.add_error("key", _("No license has this key."))
        else:
            return redirect("licensing:ops_license", license_id=found.public_id)
    return render(request, "licensing/ops/index.html", {"rows": rows, "lookup": lookup})


@operator_page("ops:read")
@not_found_is_404
def ops_reseller(request: HttpRequest, organization_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    organization = reseller_get(ctx=ctx, public_id=organization_id)
    allotment_form = AllotmentForm(request.POST or None) if request.POST.get("action") == "allot" else AllotmentForm()
    reason_form = (
        ReasonForm(request.POST or None) if request.POST.get("action") in ("disable", "enable") else ReasonForm()
    )
    end_user_form = EndUserForm(request.POST or None) if request.POST.get("action") == "create" else EndUserForm()
    status = 200
    if request.method == "POST" and request.POST.get("action") == "create":
        end_user = _create_end_user(request, end_user_form, organization)
        if end_user is not None:
            return redirect(
                "licensing:ops_end_user", organization_id=organization.public_id, end_user_id=end_user.public_id
            )
        status = 422
    elif request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "allot" and allotment_form.is_valid():
                data = allotment_form.cleaned_data
                pool_test_allotment_grant(
                    ctx=ctx,
                    organization_id=organization.public_id,
                    product_id=data["product"].public_id,
                    quantity=data["quantity"],
                    reason=data["reason"],
                )
                messages.success(request, _("The Test Licenses were granted."))
                return redirect(request.path)
            if action in ("disable", "enable") and reason_form.is_valid():
                change = licenses_disable_all if action == "disable" else licenses_enable_all
                count = change(ctx=ctx, organization=organization, reason=reason_form.cleaned_data["reason"])
                messages.success(request, _("%(count)s licenses changed.") % {"count": count})
                return redirect(request.path)
        except DomainError as error:
            messages.error(request, error.message)
    board = dashboard(ctx=ctx, organization=organization)
    return render(
        request,
        "licensing/ops/reseller.html",
        {
            "organization": organization,
            "board": board,
            "chart": chart(board.series),
            "end_users": _page(request, end_user_list(ctx=ctx, organization=organization).order_by("name", "pk")),
            "licenses": license_list(ctx=ctx).filter(organization=organization).order_by("-assigned_at", "-pk")[:50],
            "allotment_form": allotment_form,
            "reason_form": reason_form,
            "form": end_user_form,
        },
        status=status,
    )


@operator_page("ops:read")
@not_found_is_404
def ops_end_user(request: HttpRequest, organization_id: UUID, end_user_id: UUID) -> HttpResponse:
    """A reseller's end user as staff see it; with ``ops:manage`` they assign End-Point and Test Licenses on the
    reseller's behalf, from its pool and allotment under the same rules (the services check the scope again)."""
    ctx = request.ctx  # type: ignore[attr-defined]
    organization = reseller_get(ctx=ctx, public_id=organization_id)
    context = _end_user_context(request, end_user_id, organization)
    status = 200
    if request.method == "POST":
        outcome: dict[str, Any] = {}
        status = _assign_from_form(request, outcome, end_user_id, organization)
        if status == 200:
            context = _end_user_context(request, end_user_id, organization)
        context.update(outcome)
    return render(request, "licensing/end_user_detail.html", context, status=status)


@operator_page("ops:read")
@not_found_is_404
def ops_license(request: HttpRequest, license_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    license = license_get(ctx=ctx, public_id=license_id)
    return render(
        request,
        "licensing/ops/license.html",
        {
            "license": license,
            "resets": license.resets.all(),
            "week_resets": resets_this_week(license=license),
            "form": ReasonForm(),
        },
    )


@operator_page("ops:manage")
@require_POST
def ops_license_offline(request: HttpRequest, license_id: UUID) -> HttpResponse:
    """Staff activate a license for a device without network access and hand over the certificate (RT-4.5: the end
    user cannot reset such an activation)."""
    ctx = request.ctx  # type: ignore[attr-defined]
    form = OfflineActivationForm(request.POST)
    certificate = None
    if form.is_valid():
        try:
            certificate = activation_offline_create(
                ctx=ctx,
                license_id=license_id,
                fingerprint=form.cleaned_data["fingerprint"],
                device_name=form.cleaned_data["device_name"],
            ).certificate
        except DomainError as error:
            messages.error(request, error.message)
    license = license_get(ctx=ctx, public_id=license_id)
    return render(
        request,
        "licensing/ops/license.html",
        {
            "license": license,
            "resets": license.resets.all(),
            "week_resets": resets_this_week(license=license),
            "form": ReasonForm(),
            "offline_form": form,
            "certificate": certificate,
        },
        status=200 if certificate else 422,
    )


@operator_page("ops:manage")
@require_POST
def ops_license_reset(request: HttpRequest, license_id: UUID) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            license_reset_override(ctx=ctx, license_id=license_id, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The device was freed; the reason is recorded."))
    else:
        messages.error(request, _("Give the reason for this action; it is recorded."))
    return redirect("licensing:ops_license", license_id=license_id)


RESELLER = {"surface": "reseller"}
urlpatterns = [
    path("reseller/licensing/", reseller_dashboard, RESELLER, name="dashboard"),
    path("reseller/licensing/end-users/", end_user_index, RESELLER, name="end_users"),
    path("reseller/licensing/end-users/<uuid:end_user_id>/", end_user_detail, RESELLER, name="end_user"),
    path("reseller/licensing/end-users/imports/<uuid:import_id>/", end_user_import, RESELLER, name="end_user_import"),
    path(
        "reseller/licensing/end-users/imports/<uuid:import_id>/progress/",
        end_user_import_progress,
        RESELLER,
        name="end_user_import_progress",
    ),
    path("ops/licensing/", ops_index, name="ops_index"),
    path("ops/licensing/resellers/<uuid:organization_id>/", ops_reseller, name="ops_reseller"),
    path(
        "ops/licensing/resellers/<uuid:organization_id>/end-users/<uuid:end_user_id>/",
        ops_end_user,
        name="ops_end_user",
    ),
    path("ops/licensing/licenses/<uuid:license_id>/", ops_license, name="ops_license"),
    path("ops/licensing/licenses/<uuid:license_id>/reset/", ops_license_reset, name="ops_license_reset"),
    path("ops/licensing/licenses/<uuid:license_id>/offline/", ops_license_offline, name="ops_license_offline"),
]
