"""Operator back office: organisations, the agreements paid customers are provisioned from (PT-5.5), resellers, and
each organisation's lifecycle, allowed countries and notices. Credentials never appear here (RT-4.2)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trunkline.accounts.surfaces import operator_page
from trunkline.audit.selectors import audit_event_list
from trunkline.commerce.models import Agreement
from trunkline.commerce.selectors import agreement_for_organization, agreement_get, agreement_list
from trunkline.commerce.services import AgreementData, RepresentativeData, agreement_create, agreement_update
from trunkline.commerce.validators import country_name
from trunkline.core.errors import DomainError, ValidationFailedError
from trunkline.notifications.selectors import notice_list
from trunkline.onboarding.access import allowed_countries
from trunkline.onboarding.forms import (
    AgreementForm,
    CountriesForm,
    ReactivateForm,
    ResellerForm,
    StatusChangeForm,
    representative_formset_class,
)
from trunkline.onboarding.selectors import registration_for
from trunkline.onboarding.services import (
    ResellerData,
    country_access_set,
    customer_provision_from_data,
    reseller_provision,
)
from trunkline.tenancy.models import Organization, OrganizationStatus
from trunkline.tenancy.selectors import organization_get, organization_list
from trunkline.tenancy.services import organization_reactivate, organization_suspend, organization_terminate

PAGE_SIZE = 25
NOTICES_SHOWN = 50


def _page(request: HttpRequest, queryset: Any) -> dict[str, Any]:
    """What includes/pagination.html reads: the page and the query string without the page number."""
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")), "querystring": query.urlencode()}


@operator_page("ops:read")
def organization_index(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    organizations = organization_list(ctx=ctx).exclude(kind="operator").order_by("name", "pk")
    kind = request.GET.get("kind", "")
    if kind in ("customer", "reseller"):
        organizations = organizations.filter(kind=kind)
    drafts = agreement_list(ctx=ctx).filter(organization__isnull=True).order_by("-created_at")
    return render(
        request,
        "onboarding/ops/organization_index.html",
        {"table": _page(request, organizations), "kind": kind, "drafts": drafts},
    )


@operator_page("ops:manage")
def organization_new(request: HttpRequest) -> HttpResponse:
    """Choose what to create: a paid customer from an agreement, or a reseller."""
    drafts = agreement_list(ctx=request.ctx).filter(organization__isnull=True)  # type: ignore[attr-defined]
    return render(request, "onboarding/ops/organization_new.html", {"drafts": drafts})


# --- Paid customers from an agreement (PT-5.5) --------------------------------------------------------------------


def _agreement_initial(agreement: Agreement) -> dict[str, Any]:
    fields = (
        "reference",
        "customer_name",
        "customer_country",
        "account_email",
        "plan_name",
        "term_start",
        "term_end",
        "price_amount",
        "price_currency",
        "signed_on",
        "expected_daily_segments",
        "allowed_countries",
    )
    return {name: getattr(agreement, name) for name in fields}


def _representative_formset(data: Any = None, initial: list[dict[str, str]] | None = None) -> Any:
    initial = initial or []
    formset_class = representative_formset_class(blank_rows=max(1, 3 - len(initial)))
    return formset_class(data, initial=initial, prefix="representatives")


def _agreement_data(form: AgreementForm, representatives: Any) -> AgreementData:
    data = form.cleaned_data
    return AgreementData(
        reference=data["reference"],
        customer_name=data["customer_name"],
        customer_country=data["customer_country"],
        account_email=data["account_email"],
        plan_name=data["plan_name"],
        term_start=data["term_start"],
        term_end=data["term_end"],
        price_amount=data["price_amount"],
        price_currency=data["price_currency"],
        signed_on=data["signed_on"],
        expected_daily_segments=data["expected_daily_segments"],
        allowed_countries=tuple(data["allowed_countries"]),
        representatives=tuple(
            RepresentativeData(
                name=row.cleaned_data.get("name", ""),
                email=row.cleaned_data.get("email", ""),
                phone=row.cleaned_data.get("phone", ""),
            )
            for row in representatives.forms
        ),
    )


def _show_errors(error: ValidationFailedError, form: AgreementForm, representatives: Any) -> list[str]:
    """Put each field error of the service beside its field; return those about the representatives as a whole."""
    about_representatives: list[str] = []
    form.add_error(None, error.message)
    for name, sentences in error.fields.items():
        parts = name.split(".")
        for sentence in sentences:
            if parts[0] == "representatives" and len(parts) == 3 and int(parts[1]) < len(representatives.forms):
                representatives.forms[int(parts[1])].add_error(parts[2], sentence)
            elif name == "representatives":
                about_representatives.append(sentence)
            else:
                form.add_error(name if name in form.fields else None, sentence)
    return about_representatives


def _agreement_page(request: HttpRequest, agreement: Agreement | None) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    representatives_errors: list[str] = []
    if request.method == "POST":
        form = AgreementForm(request.POST)
        representatives = _representative_formset(request.POST)
        if form.is_valid() and representatives.is_valid():
            data = _agreement_data(form, representatives)
            agreement_id = agreement.public_id if agreement is not None else None
            try:
                if request.POST.get("action") == "provision":
                    organization = customer_provision_from_data(ctx=ctx, data=data, agreement_id=agreement_id)
                    messages.success(
                        request,
                        _("%(name)s is set up; its first user was emailed a link to set their own password.")
                        % {"name": organization.name},
                    )
                    return redirect("onboarding:ops_organization", organization_id=organization.public_id)
                saved = (
                    agreement_create(ctx=ctx, data=data)
                    if agreement_id is None
                    else agreement_update(ctx=ctx, agreement_id=agreement_id, data=data)
                )
                messages.success(request, _("The agreement is saved as a draft."))
                return redirect("onboarding:ops_agreement", agreement_id=saved.public_id)
            except ValidationFailedError as error:
                representatives_errors = _show_errors(error, form, representatives)
            except DomainError as error:
                form.add_error(None, error.message)
    else:
        form = AgreementForm(initial=_agreement_initial(agreement) if agreement is not None else None)
        initial = (
            [{"name": r.name, "email": r.email, "phone": r.phone} for r in agreement.representatives.all()]
            if agreement is not None
            else []
        )
        representatives = _representative_formset(initial=initial)
    invalid = bool(form.errors or any(row.errors for row in representatives.forms) or representatives_errors)
    return render(
        request,
        "onboarding/ops/agreement_form.html",
        {
            "form": form,
            "representatives": representatives,
            "representatives_errors": representatives_errors,
            "agreement": agreement,
        },
        status=422 if invalid else 200,
    )


@operator_page("ops:manage")
@require_http_methods(["GET", "POST"])
def customer_new(request: HttpRequest) -> HttpResponse:
    return _agreement_page(request, None)


@operator_page("ops:manage")
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, agreement_id: UUID) -> HttpResponse:
    agreement = agreement_get(ctx=request.ctx, public_id=agreement_id)  # type: ignore[attr-defined]
    if agreement.is_provisioned:
        assert agreement.organization is not None
        return redirect("onboarding:ops_organization", organization_id=agreement.organization.public_id)
    return _agreement_page(request, agreement)


# --- Resellers ------------------------------------------------------------------------------------------------


@operator_page("ops:manage")
@require_http_methods(["GET", "POST"])
def reseller_new(request: HttpRequest) -> HttpResponse:
    form = ResellerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = reseller_provision(ctx=request.ctx, data=ResellerData(**form.cleaned_data))  # type: ignore[attr-defined]
        except ValidationFailedError as error:
            for name, sentences in error.fields.items():
                for sentence in sentences:
                    form.add_error(name if name in form.fields else None, sentence)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(name)s is set up; its first user was emailed a link to set their own password.")
                % {"name": organization.name},
            )
            return redirect("onboarding:ops_organization", organization_id=organization.public_id)
    return render(request, "onboarding/ops/reseller_form.html", {"form": form}, status=422 if form.errors else 200)


# --- One organisation -------------------------------------------------------------------------------------------

LIFECYCLE_ACTIONS = ("suspend", "reactivate", "terminate", "countries")


def _lifecycle_forms(organization: Organization, data: Any = None, action: str = "") -> dict[str, Any]:
    countries_initial = {"allowed_countries": list(allowed_countries(organization))}
    return {
        "suspend": StatusChangeForm(data if action == "suspend" else None, prefix="suspend"),
        "terminate": StatusChangeForm(data if action == "terminate" else None, prefix="terminate"),
        "reactivate": ReactivateForm(data if action == "reactivate" else None, prefix="reactivate"),
        "countries": CountriesForm(
            data if action == "countries" else None, prefix="countries", initial=countries_initial
        ),
    }


def _perform(ctx: Any, organization: Organization, action: str, data: dict[str, Any]) -> str:
    if action == "suspend":
        organization_suspend(ctx=ctx, organization_id=organization.public_id, **data)
        return _("%(name)s is suspended.")
    if action == "reactivate":
        organization_reactivate(ctx=ctx, organization_id=organization.public_id, **data)
        return _("%(name)s is active again.")
    if action == "terminate":
        organization_terminate(ctx=ctx, organization_id=organization.public_id, **data)
        return _("%(name)s is terminated.")
    country_access_set(ctx=ctx, organization_id=organization.public_id, countries=data["allowed_countries"])
    return _("The allowed countries of %(name)s are saved.")


@operator_page("ops:read")
@require_http_methods(["GET", "POST"])
def organization_detail(request: HttpRequest, organization_id: UUID) -> HttpResponse:
    """The organisation, its status with reason and actor, its agreement or registration, allowed countries, the
    lifecycle buttons (tenancy's services) and its notices log."""
    ctx = request.ctx  # type: ignore[attr-defined]
    organization = organization_get(ctx=ctx, public_id=organization_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = _lifecycle_forms(organization, request.POST, action)
    status = 200
    if request.method == "POST":
        if not ctx.has_scope("ops:manage"):
            return render(request, "web/forbidden.html", status=403)
        form = forms.get(action)
        if form is None:
            status = 400
        elif form.is_valid():
            try:
                done = _perform(ctx, organization, action, form.cleaned_data)
            except ValidationFailedError as error:
                for name, sentences in error.fields.items():
                    for sentence in sentences:
                        form.add_error(name if name in form.fields else None, sentence)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, done % {"name": organization.name})
                return redirect("onboarding:ops_organization", organization_id=organization.public_id)
        if form is not None and form.errors:
            status = 422
    history = (
        audit_event_list(ctx=ctx, target_id=str(organization.public_id), all_organizations=True).filter(
            action__in=[f"organization.{state}" for state in OrganizationStatus.values] + ["organization.created"]
        )[:20]
        if ctx.has_scope("audit:read")
        else []
    )
    codes = allowed_countries(organization)
    return render(
        request,
        "onboarding/ops/organization_detail.html",
        {
            "organization": organization,
            "agreement": agreement_for_organization(organization=organization),
            "registration": registration_for(organization=organization),
            "allowed_countries": [(code, country_name(code)) for code in codes],
            "country": country_name(organization.country),
            "forms": forms,
            "history": history,
            "notices": notice_list(ctx=ctx, organization_id=organization.public_id)
            .filter(organization=organization)
            .order_by("-created_at")[:NOTICES_SHOWN],
            "can_manage": ctx.has_scope("ops:manage"),
        },
        status=status,
    )
