"""Paid-plan agreements: what the operator signed with a customer, recorded before the organisation exists (PT-5.5)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import PublicIdModel, TimestampedModel
from trunkline.core.money import DEFAULT_CURRENCY, MINOR_UNITS, Money

CURRENCY_CHOICES = [(code, code) for code in MINOR_UNITS]


class Agreement(PublicIdModel):
    """A signed paid-plan agreement. Staff record it (a draft may be incomplete), then provision the customer
    organisation from it once every required piece of data is present; from then on it is read-only."""

    reference = models.CharField(_("agreement number"), max_length=64, blank=True)
    customer_name = models.CharField(_("customer (company name)"), max_length=200)
    customer_country = models.CharField(_("registered country"), max_length=2, blank=True)
    account_email = models.EmailField(_("account email"), blank=True)
    plan_name = models.CharField(_("plan"), max_length=100, blank=True)
    term_start = models.DateField(_("term start"), null=True, blank=True)
    term_end = models.DateField(_("term end"), null=True, blank=True)
    price_amount = models.DecimalField(
        _("monthly price"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    price_currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    # PT-9.6: the traffic the plan expects; sends above it alert the operator (a channel may override it)
    expected_daily_segments = models.PositiveIntegerField(
        _("expected SMS segments per day"), null=True, blank=True, help_text=_("Empty: the operator's default.")
    )
    allowed_countries = models.JSONField(
        _("countries the agreement also allows"), default=list, blank=True, help_text=_("ISO codes, e.g. DE, RO.")
    )
    organization = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provisioned_at = models.DateTimeField(_("organisation created at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_end__isnull=True)
                | models.Q(term_start__isnull=True)
                | models.Q(term_end__gt=models.F("term_start")),
                name="commerce_agreement_term_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference or _('Agreement')} · {self.customer_name}"

    @property
    def is_provisioned(self) -> bool:
        return self.organization_id is not None

    @property
    def price(self) -> Money | None:
        return None if self.price_amount is None else Money.of(self.price_amount, self.price_currency)


class AgreementRepresentative(TimestampedModel):
    """A person the customer authorised to act for it under the agreement."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="representatives")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=20, help_text=_("E.164, e.g. +359881234567."))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name
