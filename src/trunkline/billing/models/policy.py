"""Billing policy and the seller as printed on invoices: data the operator edits, one row each, seeded by a
migration. Every document copies what it used, so a later edit never changes an issued one."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.validators import validate_iban, validate_vat_number


class BillingPolicy(models.Model):
    """Numbers of the billing rules (RT-6.4 and the payment terms of invoices). The penalty multiplier is not here:
    it is part of the licensing policy (per product, overridable per reseller), see ``selectors.penalty_quote``."""

    invoice_due_days = models.PositiveIntegerField(_("invoices due after (days)"), default=7)
    penalty_due_days = models.PositiveIntegerField(_("penalty invoices due after (days)"), default=14)
    penalty_vat_rate = models.DecimalField(
        _("VAT rate on penalties (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Penalties are compensation, outside the scope of VAT unless your accountant says otherwise."),
    )

    class Meta:
        verbose_name = _("billing policy")

    def __str__(self) -> str:
        return str(_("Billing policy"))

    @classmethod
    def current(cls) -> BillingPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class Seller(models.Model):
    """The vendor as it appears on its invoices."""

    name = models.CharField(_("company name"), max_length=200)
    name_bg = models.CharField(_("company name in Bulgarian"), max_length=200, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, validators=[validate_vat_number])
    company_id = models.CharField(_("company ID (EIK)"), max_length=20, blank=True)
    address = models.TextField(_("registered address"))
    address_bg = models.TextField(_("registered address in Bulgarian"), blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    email = models.EmailField(_("billing email"), blank=True)

    class Meta:
        verbose_name = _("seller")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Seller:
        seller = cls.objects.order_by("pk").first()
        if seller is None:
            seller = cls.objects.create(
                name="Trunkline Vendor EOOD", vat_number="BG175074752", address="Sofia, Bulgaria", iban=""
            )
        return seller
