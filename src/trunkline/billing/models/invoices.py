"""Invoices, proforma invoices and credit notes. A document gets its number when it is issued, under a lock on its
series, so numbers have no gaps; its lines store net, VAT and gross with the rate applied and are never recomputed.
The buyer and seller are copied onto the document as they were on the day of issue."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import OrganizationScopedModel
from trunkline.core.money import DEFAULT_CURRENCY, MINOR_UNITS, Money

CURRENCY_CHOICES = [(code, code) for code in MINOR_UNITS]
NUMBER_DIGITS = 10


class NumberSeries(models.Model):
    """One numbering series: ``next_number`` is taken and incremented inside the issuing transaction, with the row
    locked, so a rolled-back issue gives its number back and two issues never share one."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8, blank=True)
    next_number = models.PositiveBigIntegerField(_("next number"), default=1)

    class Meta:
        verbose_name_plural = _("number series")

    def __str__(self) -> str:
        return f"{self.code} ({self.prefix or '-'}{self.next_number:0{NUMBER_DIGITS}d})"


class DocumentKind(models.TextChoices):
    PROFORMA = "proforma", _("Proforma invoice")
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


# Which series each kind is numbered in: proformas are not tax documents and have their own; invoices and credit
# notes share the one gapless tax series (Bulgarian VAT Act: 10 digits, never reset).
SERIES_OF_KIND = {DocumentKind.PROFORMA: "proforma", DocumentKind.INVOICE: "tax", DocumentKind.CREDIT_NOTE: "tax"}


class Purpose(models.TextChoices):
    ORDER = "order", _("Order")
    PENALTY = "penalty", _("Penalty")
    CORRECTION = "correction", _("Correction")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")  # open: waiting for payment
    PAID = "paid", _("Paid")
    CREDITED = "credited", _("Credited")  # a credit note cancelled what was still owed
    SUPERSEDED = "superseded", _("Superseded")  # a paid proforma, replaced by its tax invoice
    SETTLED = "settled", _("Settled")  # a credit note, applied


class Invoice(OrganizationScopedModel):
    """A billing document issued to ``organization``."""

    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    status = models.CharField(_("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    series = models.ForeignKey(NumberSeries, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=16)
    order = models.ForeignKey("commerce.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    proforma = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="final_invoices"
    )  # the proforma a tax invoice was issued for
    credited = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )  # the document a credit note corrects
    issue_date = models.DateField(_("date of issue"))
    tax_event_date = models.DateField(_("date of the taxable event"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    gross_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    paid_amount = models.DecimalField(_("paid"), max_digits=14, decimal_places=2, default=Decimal("0"))
    credited_amount = models.DecimalField(_("credited"), max_digits=14, decimal_places=2, default=Decimal("0"))
    is_reverse_charge = models.BooleanField(_("reverse charge"), default=False)
    note = models.TextField(_("note"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="bg")
    buyer_name = models.CharField(_("buyer"), max_length=200)
    buyer_vat_number = models.CharField(_("buyer's VAT number"), max_length=20, blank=True)
    buyer_country = models.CharField(_("buyer's country"), max_length=2, blank=True)
    buyer_address = models.TextField(_("buyer's address"), blank=True)
    seller = models.JSONField(_("seller as printed"), default=dict)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    due_now_reason = models.CharField(_("due at once because"), max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="billing_one_document_per_number"),
        ]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"{self.series.prefix}{self.number}"

    def money(self, amount: Decimal) -> Money:
        return Money.of(amount, self.currency)

    @property
    def gross(self) -> Money:
        return self.money(self.gross_amount)

    @property
    def outstanding(self) -> Money:
        """What is still owed: the total less payments and credit notes, never below zero."""
        if self.kind == DocumentKind.CREDIT_NOTE:
            return Money.zero(self.currency)
        remaining = self.gross_amount - self.paid_amount - self.credited_amount
        return self.money(max(remaining, Decimal("0")))

    @property
    def is_tax_document(self) -> bool:
        return self.kind != DocumentKind.PROFORMA


class InvoiceLine(models.Model):
    """One line as issued. Credit notes carry negative amounts."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("line"))
    description = models.CharField(_("description"), max_length=300)
    product = models.ForeignKey("commerce.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    gross_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            # No CHECK that gross = net + VAT: SQLite adds decimals as binary floats (0.05 + 0.01 ≠ 0.06 there).
            # document_issue computes it in Decimal, and the property tests prove it.
            models.UniqueConstraint(fields=["invoice", "position"], name="billing_one_line_per_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Penalty upheld")
    RESOLVED_FOR_RESELLER = "for_reseller", _("Resolved for the reseller")


class PenaltyDispute(models.Model):
    """A reseller contests a penalty invoice (RT-6.4). The due date does not move while it is open."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="dispute")
    status = models.CharField(_("status"), max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    reason = models.TextField(_("grounds"))
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.invoice} · {self.get_status_display()}"
