from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from trunkline.commerce.models.agreements import CURRENCY_CHOICES
from trunkline.commerce.services.agreements import REQUIRED_FIELDS
from trunkline.commerce.validators import country_choices, phone_e164
from trunkline.core.money import DEFAULT_CURRENCY
from trunkline.onboarding.legal import ShownVersion
from trunkline.tenancy.models import StatusGround

HONEYPOT = "homepage"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class RegistrationForm(forms.Form):
    """The free-plan registration form (PT-5.2)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email"), max_length=254)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        help_text=_("International format (+359 88 123 4567), or as dialled in the country you choose below."),
    )
    company = forms.CharField(label=_("Company"), max_length=200)
    website = forms.URLField(label=_("Website"), max_length=300, assume_scheme="https")
    employees_serving_end_users = forms.IntegerField(
        label=_("Employees who serve end users"),
        min_value=1,
        max_value=100_000,
        help_text=_("How many of your people will answer your customers through Trunkline."),
    )
    country = forms.ChoiceField(label=_("Country"))
    accept_terms = forms.BooleanField(
        error_messages={"required": _("Accept the platform terms and the privacy notice to register.")}
    )
    # A trap for robots: hidden from people (and from screen readers); a filled-in value means a robot.
    homepage = forms.CharField(label=_("Leave this field empty"), required=False, max_length=300)
    platform_terms_version = forms.CharField(widget=forms.HiddenInput, max_length=64)
    privacy_notice_version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, shown: dict[str, ShownVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *country_choices()]  # type: ignore[attr-defined]
        self.fields["accept_terms"].label = format_html(
            str(
                _(
                    'I accept the <a href="{}" target="_blank">platform terms</a> and the '
                    '<a href="{}" target="_blank">privacy notice</a>.'
                )
            ),
            shown["platform_terms"].url,
            shown["privacy_notice"].url,
        )
        self.fields[HONEYPOT].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["first_name"].widget.attrs.update({"autocomplete": "given-name"})
        self.fields["last_name"].widget.attrs.update({"autocomplete": "family-name"})
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["company"].widget.attrs.update({"autocomplete": "organization"})
        if not self.is_bound:
            self.initial.setdefault("platform_terms_version", shown["platform_terms"].version_id)
            self.initial.setdefault("privacy_notice_version", shown["privacy_notice"].version_id)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        phone = cleaned.get("phone")
        if phone:
            try:
                cleaned["phone"] = phone_e164(phone, region=cleaned.get("country") or None)
            except ValidationError as error:
                self.add_error("phone", error)
        return cleaned

    def visible_fields_without_trap(self) -> list[forms.BoundField]:
        return [field for field in self.visible_fields() if field.name != HONEYPOT]


class AgreementForm(forms.Form):
    """A paid-plan agreement as staff enter it; every field but the customer's name may wait for a later visit."""

    reference = forms.CharField(label=_("Agreement number"), max_length=64, required=False)
    customer_name = forms.CharField(label=_("Customer (company name)"), max_length=200)
    customer_country = forms.ChoiceField(label=_("Registered country"), required=False)
    account_email = forms.EmailField(
        label=_("Account email"),
        required=False,
        help_text=_("Notices go here, and the account's first user is invited at this address."),
    )
    plan_name = forms.CharField(label=_("Plan"), max_length=100, required=False)
    term_start = forms.DateField(label=_("Term start"), required=False, widget=DateInput)
    term_end = forms.DateField(label=_("Term end"), required=False, widget=DateInput)
    price_amount = forms.DecimalField(
        label=_("Monthly price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    price_currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial=DEFAULT_CURRENCY)
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DateInput)
    expected_daily_segments = forms.IntegerField(
        label=_("Expected SMS segments per day"),
        required=False,
        min_value=1,
        help_text=_("The traffic the plan expects; above it you are alerted. Empty: the default."),
    )
    allowed_countries = forms.MultipleChoiceField(
        label=_("Other countries the agreement allows access from"),
        required=False,
        help_text=_("The registered country is always allowed."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in REQUIRED_FIELDS:  # not required for a draft, so not marked optional either
            self.fields[name].needed = True  # type: ignore[attr-defined]
        choices = country_choices()
        self.fields["customer_country"].choices = [("", "—"), *choices]  # type: ignore[attr-defined]
        self.fields["allowed_countries"].choices = choices  # type: ignore[attr-defined]
        self.fields["allowed_countries"].widget.attrs.update({"size": 6})


class RepresentativeForm(forms.Form):
    """One row of representatives: an empty row is ignored, a started one needs all three."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.needed = True  # type: ignore[attr-defined]


def representative_formset_class(*, blank_rows: int) -> type[forms.BaseFormSet]:
    """Up to ten representatives; the page offers ``blank_rows`` empty rows after those already entered."""
    return forms.formset_factory(RepresentativeForm, extra=blank_rows, max_num=10, validate_max=True)


class ResellerForm(forms.Form):
    name = forms.CharField(label=_("Reseller (company name)"), max_length=200)
    country = forms.ChoiceField(label=_("Registered country"))
    email = forms.EmailField(label=_("Account email"), help_text=_("Notices about the organisation go here."))
    first_user_email = forms.EmailField(
        label=_("First user's email"), help_text=_("This person receives a link to set their own password.")
    )
    first_user_first_name = forms.CharField(label=_("First user's first name"), max_length=150, required=False)
    first_user_last_name = forms.CharField(label=_("First user's last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language of notices"), choices=settings.LANGUAGES, initial="bg")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *country_choices()]  # type: ignore[attr-defined]


class StatusChangeForm(forms.Form):
    """Suspension and termination: a ground and a reason the organisation will read (PT-6.3, PT-6.12)."""

    ground = forms.ChoiceField(label=_("Ground"), choices=[("", "—"), *StatusGround.choices])
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReactivateForm(forms.Form):
    reason = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CountriesForm(forms.Form):
    allowed_countries = forms.MultipleChoiceField(label=_("Allowed countries"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["allowed_countries"].choices = country_choices()  # type: ignore[attr-defined]
        self.fields["allowed_countries"].widget.attrs.update({"size": 6})
