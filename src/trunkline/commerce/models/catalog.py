"""The catalog and its price books: products with a retail price and VAT rate, and versioned volume tiers (RT-3.5)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import PublicIdModel
from trunkline.core.money import DEFAULT_CURRENCY, MINOR_UNITS, Money

CURRENCY_CHOICES = [(code, code) for code in MINOR_UNITS]


class Product(PublicIdModel):
    """Something the vendor sells, e.g. the softphone End-Point License, with its retail price and VAT rate."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    retail_amount = models.DecimalField(
        _("retail price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def retail_price(self) -> Money:
        return Money.of(self.retail_amount, self.currency)


class PriceBook(PublicIdModel):
    """A reseller's own price book, or the default book (no organisation) for resellers without one (RT-3.5)."""

    organization = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Coalesce("organization", 0), name="commerce_one_price_book_per_organization")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.organization_id is None


class PriceBookVersion(PublicIdModel):
    """The tiers of a book from ``effective_from`` (UTC) until the next version. Never edited: staff publish a new
    one instead."""

    book = models.ForeignKey(PriceBook, on_delete=models.PROTECT, related_name="versions")
    effective_from = models.DateTimeField(_("effective from"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["book", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["book", "effective_from"], name="commerce_one_version_per_book_and_time")
        ]

    def __str__(self) -> str:
        return f"{self.book} @ {self.effective_from.isoformat()}"


class PriceTier(models.Model):
    """One quantity range of one product in a version: ``[min_quantity, max_quantity)``, or open-ended when max is
    empty, at ``unit_price`` for every unit of the order (volume pricing)."""

    version = models.ForeignKey(PriceBookVersion, on_delete=models.PROTECT, related_name="tiers")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    min_quantity = models.PositiveIntegerField(_("from quantity"), validators=[MinValueValidator(1)])
    max_quantity = models.PositiveIntegerField(_("up to (excluding)"), null=True, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)

    class Meta:
        ordering = ["version", "product", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["version", "product", "min_quantity"], name="commerce_one_tier_per_start"),
            models.CheckConstraint(
                condition=models.Q(max_quantity__isnull=True) | models.Q(max_quantity__gt=models.F("min_quantity")),
                name="commerce_tier_range_not_empty",
            ),
        ]

    def __str__(self) -> str:
        upper = "∞" if self.max_quantity is None else str(self.max_quantity)
        return f"[{self.min_quantity}, {upper}) {self.unit_price} {self.currency}"

    @property
    def price(self) -> Money:
        return Money.of(self.unit_price, self.currency)
