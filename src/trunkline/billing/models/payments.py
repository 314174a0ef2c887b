"""Money received and paid back. A payment is allocated to invoices; what no invoice needs stays as the payer's
credit (overpayment). Bank statement lines are stored once each, by a key stable across re-imports."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import OrganizationScopedModel, PublicIdModel
from trunkline.core.money import DEFAULT_CURRENCY, MINOR_UNITS, Money

CURRENCY_CHOICES = [(code, code) for code in MINOR_UNITS]


class StatementImport(PublicIdModel):
    """One uploaded bank statement file and what its import did."""

    filename = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    format = models.CharField(_("format"), max_length=16)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entries = models.PositiveIntegerField(_("entries"), default=0)
    new_entries = models.PositiveIntegerField(_("new"), default=0)
    duplicates = models.PositiveIntegerField(_("already imported"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class LineStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    UNMATCHED = "unmatched", _("Needs review")
    IGNORED = "ignored", _("Ignored")
    OUTGOING = "outgoing", _("Outgoing")


class StatementLine(PublicIdModel):
    """One bank statement entry, stored once: ``dedupe_key`` is the same when the same line is imported again."""

    statement = models.ForeignKey(StatementImport, on_delete=models.PROTECT, related_name="lines")
    dedupe_key = models.CharField(_("key"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=LineStatus.choices)
    booking_date = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.TextField(_("reference"), blank=True)
    counterparty_name = models.CharField(_("payer"), max_length=200, blank=True)
    counterparty_iban = models.CharField(_("payer's IBAN"), max_length=34, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-booking_date", "-id"]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.currency} {self.counterparty_name}"


class Payment(OrganizationScopedModel):
    """Money ``organization`` paid us, by bank transfer."""

    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=300, blank=True)
    statement_line = models.OneToOneField(
        StatementLine, null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    allocated_amount = models.DecimalField(_("allocated"), max_digits=14, decimal_places=2, default=Decimal("0"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_label = models.CharField(_("recorded by"), max_length=254)

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(allocated_amount__lte=models.F("amount")), name="billing_allocated_within_payment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} · {self.received_on}"

    @property
    def unallocated(self) -> Money:
        """The part no invoice took: the payer's credit."""
        return Money.of(self.amount - self.allocated_amount, self.currency)


class PaymentAllocation(models.Model):
    """Part of a payment paying part of an invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    allocated_at = models.DateTimeField(_("allocated at"))

    class Meta:
        ordering = ["allocated_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="billing_allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} → {self.invoice}"


class RefundStatus(models.TextChoices):
    DUE = "due", _("To be paid back")
    PAID = "paid", _("Paid back")


class Refund(OrganizationScopedModel):
    """Money owed back to ``organization`` — only where a credit note cancels an amount already paid, e.g. a penalty
    dispute resolved for the reseller (RT-6.4). Staff mark it paid with the bank reference."""

    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)
    credit_note = models.OneToOneField("billing.Invoice", on_delete=models.PROTECT, related_name="refund")
    status = models.CharField(_("status"), max_length=8, choices=RefundStatus.choices, default=RefundStatus.DUE)
    paid_on = models.DateField(_("paid back on"), null=True, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} · {self.get_status_display()}"
