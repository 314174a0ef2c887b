"""Forms of the licensing pages. The services validate again; forms only shape the input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trunkline.commerce.models import Product

AFFILIATION_CHOICES = [("no", _("Independent third party")), ("yes", _("Affiliated Party"))]


class EndUserForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("Email"), help_text=_("The license key is sent to this address."))
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    affiliation = forms.ChoiceField(
        label=_("Relationship"),
        choices=AFFILIATION_CHOICES,
        widget=forms.RadioSelect,
        help_text=_(
            "Required. The share of Affiliated Parties among the licenses you provide is capped "
            "(10 percent by default)."
        ),
    )
    external_reference = forms.CharField(label=_("Your reference"), max_length=100, required=False)


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: name, email, phone, address, affiliated (yes/no), reference. UTF-8, first line headers."),
    )


class AssignForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True), to_field_name="public_id", empty_label=None
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (recorded)"), max_length=500)


class AllotmentForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True), to_field_name="public_id", empty_label=None
    )
    quantity = forms.IntegerField(label=_("Test Licenses"), min_value=1, max_value=100_000)
    reason = forms.CharField(label=_("Reason (recorded)"), max_length=500)


class KeyLookupForm(forms.Form):
    key = forms.CharField(label=_("License key"), max_length=64)


class OfflineActivationForm(forms.Form):
    fingerprint = forms.CharField(
        label=_("Device fingerprint"),
        min_length=8,
        max_length=256,
        help_text=_("As the softphone shows it on the device (trunkline-license fingerprint)."),
    )
    device_name = forms.CharField(label=_("Device name"), max_length=200, required=False)
