"""Orders of End-Point Licenses by resellers: Online Orders placed in the System and Purchase Orders signed by both
sides (RT-2.1, RT-3.4). An order keeps the price book version and tier it was priced with (RT-3.5)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import OrganizationScopedModel, PublicIdModel
from trunkline.core.money import DEFAULT_CURRENCY, MINOR_UNITS, Money

CURRENCY_CHOICES = [(code, code) for code in MINOR_UNITS]


class OrderKind(models.TextChoices):
    ONLINE = "online", _("Online Order")
    PURCHASE = "purchase", _("Purchase Order")


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")  # an Online Order binds when placed
    AWAITING_SIGNATURES = "awaiting_signatures", _("Awaiting signatures")
    BINDING = "binding", _("Binding")  # a Purchase Order signed by both sides
    INVOICED = "invoiced", _("Invoiced")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


# Where each transition may start from; the services check it under a row lock.
INVOICEABLE = (OrderStatus.PLACED, OrderStatus.BINDING)
CANCELLABLE = (OrderStatus.PLACED, OrderStatus.AWAITING_SIGNATURES, OrderStatus.BINDING)


class Order(OrganizationScopedModel):
    """What a reseller (``organization``) ordered, priced from its book when the order was placed."""

    kind = models.CharField(_("kind"), max_length=16, choices=OrderKind.choices)
    status = models.CharField(_("status"), max_length=24, choices=OrderStatus.choices)
    price_book_version = models.ForeignKey(
        "commerce.PriceBookVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("price book version")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    gross_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    is_reverse_charge = models.BooleanField(_("reverse charge"), default=False)
    buyer_vat_number = models.CharField(_("buyer's VAT number"), max_length=20, blank=True)
    placed_at = models.DateTimeField(_("placed at"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terms_acceptance = models.ForeignKey(
        "terms.TermsAcceptance", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    binding_at = models.DateTimeField(_("binding since"), null=True, blank=True)
    invoiced_at = models.DateTimeField(_("invoiced at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"ORD-{self.pk:06d}"

    @property
    def net(self) -> Money:
        return Money.of(self.net_amount, self.currency)

    @property
    def vat(self) -> Money:
        return Money.of(self.vat_amount, self.currency)

    @property
    def gross(self) -> Money:
        return Money.of(self.gross_amount, self.currency)

    @property
    def is_binding(self) -> bool:
        return self.status not in (OrderStatus.AWAITING_SIGNATURES, OrderStatus.CANCELLED)


class OrderLine(models.Model):
    """One product of an order at the unit price of the tier its quantity fell in, kept as it was priced."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("commerce.Product", on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    tier_min_quantity = models.PositiveIntegerField(_("tier from"))
    tier_max_quantity = models.PositiveIntegerField(_("tier up to (excluding)"), null=True, blank=True)
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class SignatureSide(models.TextChoices):
    RESELLER = "reseller", _("Reseller")
    VENDOR = "vendor", _("Vendor")


class SignatureMethod(models.TextChoices):
    CLICK = "click", _("Signed in the System (“I agree”)")
    UPLOADED = "uploaded", _("Uploaded signed document")


class OrderSignature(PublicIdModel):
    """One side's signature of a Purchase Order, with its evidence (RT-3.4): who clicked from where, or the signed
    document someone uploaded and whose signature it carries."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="signatures")
    side = models.CharField(_("side"), max_length=16, choices=SignatureSide.choices)
    method = models.CharField(_("method"), max_length=16, choices=SignatureMethod.choices)
    signer_name = models.CharField(_("signed by"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_label = models.CharField(_("recorded by"), max_length=254)
    signed_at = models.DateTimeField(_("signed at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    document = models.FileField(_("signed document"), upload_to="order-signatures/%Y/%m/", blank=True)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)

    class Meta:
        ordering = ["order", "signed_at"]
        constraints = [models.UniqueConstraint(fields=["order", "side"], name="commerce_one_signature_per_side")]

    def __str__(self) -> str:
        return f"{self.order} · {self.get_side_display()} · {self.signer_name}"
