"""The billing settings page in the back office: the policy numbers (due days, penalty multiplier) and the seller
printed on documents. Reading needs ``ops:read``; saving goes through ``billing_settings_update`` (``ops:manage``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from trunkline.accounts.surfaces import operator_page
from trunkline.billing.models import BillingPolicy, Seller
from trunkline.billing.services import billing_settings_update
from trunkline.billing.services.settings import POLICY_FIELDS, SELLER_FIELDS
from trunkline.core.errors import DomainError, ValidationFailedError


class PolicyForm(forms.ModelForm):
    class Meta:
        model = BillingPolicy
        fields = POLICY_FIELDS


class SellerForm(forms.ModelForm):
    class Meta:
        model = Seller
        fields = SELLER_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 2}), "address_bg": forms.Textarea(attrs={"rows": 2})}


@operator_page("ops:read")
def billing_settings(request: HttpRequest) -> HttpResponse:
    ctx = request.ctx  # type: ignore[attr-defined]
    policy, seller = BillingPolicy.current(), Seller.current()
    data = request.POST if request.method == "POST" else None
    policy_form = PolicyForm(data, instance=BillingPolicy(**model_to_dict(policy)), prefix="policy")
    seller_form = SellerForm(data, instance=Seller(**model_to_dict(seller)), prefix="seller")
    if data is not None and policy_form.is_valid() and seller_form.is_valid():
        try:
            billing_settings_update(ctx=ctx, policy=policy_form.cleaned_data, seller=seller_form.cleaned_data)
        except ValidationFailedError as error:
            for name, sentences in error.fields.items():
                form = policy_form if name in policy_form.fields else seller_form
                for sentence in sentences:
                    form.add_error(name if name in form.fields else None, sentence)
        except DomainError as error:
            policy_form.add_error(None, error.message)
        else:
            messages.success(request, _("The billing settings are saved. Documents already issued keep theirs."))
            return redirect("billing:ops_settings")
    failed = bool(policy_form.errors or seller_form.errors)
    return render(
        request,
        "billing/settings/settings.html",
        {"policy_form": policy_form, "seller_form": seller_form, "can_manage": ctx.has_scope("ops:manage")},
        status=422 if failed else 200,
    )


urlpatterns: list[URLPattern] = [path("ops/billing/settings/", billing_settings, name="ops_settings")]
