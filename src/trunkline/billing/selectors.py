"""Tenant-scoped reads of billing: a reseller or customer sees its own documents, payments and balance; operator
staff see everyone's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import QuerySet, Sum

from trunkline.billing.calendar import business_date
from trunkline.billing.models import (
    BillingPolicy,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    LineStatus,
    Payment,
    Purpose,
    Refund,
    StatementLine,
)
from trunkline.commerce.models import Product
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.core.money import DEFAULT_CURRENCY, Money, round_half_up
from trunkline.tenancy.models import Organization


def _billing_reader(ctx: RequestContext) -> None:
    require_scope(ctx, "ops:read" if ctx.is_operator else "billing:read")


def invoice_list(
    *,
    ctx: RequestContext,
    kind: str = "",
    status: str = "",
    purpose: str = "",
    organization_id: Any = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    overdue: bool = False,
    order_id: Any = None,
) -> QuerySet[Invoice]:
    """Documents, newest first, filtered. Staff may filter by organisation; everyone else sees only their own."""
    _billing_reader(ctx)
    invoices = Invoice.objects.select_related("series", "organization", "order")
    if not ctx.is_operator:
        invoices = invoices.filter(organization=ctx.organization)
    elif organization_id:
        invoices = invoices.filter(organization__public_id=organization_id)
    if order_id:
        invoices = invoices.filter(order__public_id=order_id)
    if kind:
        invoices = invoices.filter(kind=kind)
    if status:
        invoices = invoices.filter(status=status)
    if purpose:
        invoices = invoices.filter(purpose=purpose)
    if issued_from:
        invoices = invoices.filter(issue_date__gte=issued_from)
    if issued_to:
        invoices = invoices.filter(issue_date__lte=issued_to)
    if overdue:
        invoices = invoices.filter(status=InvoiceStatus.ISSUED, due_date__lt=business_date(clock.now()))
    return invoices


def invoice_get(*, ctx: RequestContext, invoice_id: Any) -> Invoice:
    try:
        invoice: Invoice = (
            invoice_list(ctx=ctx).prefetch_related("lines", "allocations__payment").get(public_id=invoice_id)
        )
    except (Invoice.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    return invoice


def payment_list(*, ctx: RequestContext, organization_id: Any = None) -> QuerySet[Payment]:
    _billing_reader(ctx)
    payments = Payment.objects.select_related("organization").prefetch_related("allocations__invoice__series")
    if not ctx.is_operator:
        return payments.filter(organization=ctx.organization)
    return payments.filter(organization__public_id=organization_id) if organization_id else payments


def refund_list(*, ctx: RequestContext) -> QuerySet[Refund]:
    _billing_reader(ctx)
    refunds = Refund.objects.select_related("organization", "credit_note__series")
    return refunds if ctx.is_operator else refunds.filter(organization=ctx.organization)


def statement_lines_to_review(*, ctx: RequestContext) -> QuerySet[StatementLine]:
    require_scope(ctx, "ops:read")
    if not ctx.is_operator:
        return StatementLine.objects.none()
    return StatementLine.objects.filter(status=LineStatus.UNMATCHED).select_related("statement")


@dataclass(frozen=True)
class Balance:
    """What an organisation owes (open documents), of which overdue, and its credit (unallocated payments)."""

    outstanding: Money
    overdue: Money
    credit: Money

    @property
    def net(self) -> Money:
        return self.outstanding - self.credit


def balance_of(*, organization: Any, currency: str = DEFAULT_CURRENCY, at: datetime | None = None) -> Balance:
    today = business_date(at or clock.now())
    open_documents = Invoice.objects.filter(
        organization=organization,
        status=InvoiceStatus.ISSUED,
        currency=currency,
        kind__in=[DocumentKind.PROFORMA, DocumentKind.INVOICE],
    )
    outstanding = sum((invoice.outstanding.amount for invoice in open_documents), Decimal(0))
    overdue = sum((invoice.outstanding.amount for invoice in open_documents if invoice.due_date < today), Decimal(0))
    paid = Payment.objects.filter(organization=organization, currency=currency).aggregate(
        amount=Sum("amount"), allocated=Sum("allocated_amount")
    )
    credit = (paid["amount"] or Decimal(0)) - (paid["allocated"] or Decimal(0))
    # SUM over decimals comes back from SQLite through a float; round every figure to the cent once.
    return Balance(
        outstanding=Money.of(outstanding, currency).rounded(),
        overdue=Money.of(overdue, currency).rounded(),
        credit=Money.of(credit, currency).rounded(),
    )


def organizations_with_overdue_penalties(*, at: datetime | None = None) -> set[int]:
    """Ids of organisations with an issued, unpaid penalty invoice past its due date (RT-6.4), for licensing."""
    today = business_date(at or clock.now())
    return set(
        Invoice.objects.filter(
            purpose=Purpose.PENALTY, kind=DocumentKind.INVOICE, status=InvoiceStatus.ISSUED, due_date__lt=today
        ).values_list("organization_id", flat=True)
    )


# Where the penalty multiplier comes from (RT-6.4: "2 × the retail price"). It is licensing policy — per product,
# overridable per reseller — and licensing sits above billing, so it registers its lookup here when its app is ready.
PenaltyMultiplierSource = Callable[[Organization | None, Product], Decimal]
penalty_multiplier_sources: list[PenaltyMultiplierSource] = []


def penalty_multiplier_for(*, reseller: Organization | None, product: Product) -> Decimal:
    if not penalty_multiplier_sources:
        raise ImproperlyConfigured("No penalty multiplier source is registered (the licensing app registers one).")
    return penalty_multiplier_sources[-1](reseller, product)


@dataclass(frozen=True)
class PenaltyQuote:
    """What ``penalty_raise`` issues for ``licenses`` of ``product`` (RT-6.4): multiplier × retail price per license,
    VAT at the policy's penalty rate (each rounded half-up once, as on the document), due after the policy's days."""

    product: Product
    licenses: int
    multiplier: Decimal
    unit: Decimal
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal
    due_days: int
    due_date: date


def penalty_quote(
    *,
    product: Product,
    licenses: int,
    reseller: Organization | None = None,
    multiplier: Decimal | None = None,
    at: datetime | None = None,
) -> PenaltyQuote:
    policy = BillingPolicy.current()
    factor = penalty_multiplier_for(reseller=reseller, product=product) if multiplier is None else multiplier
    unit = product.retail_amount * factor
    net = round_half_up(unit * licenses, product.currency)
    vat = round_half_up(net * policy.penalty_vat_rate / 100, product.currency)
    return PenaltyQuote(
        product=product,
        licenses=licenses,
        multiplier=factor,
        unit=unit,
        net=net,
        vat_rate=policy.penalty_vat_rate,
        vat=vat,
        total=net + vat,
        due_days=policy.penalty_due_days,
        due_date=business_date(at or clock.now()) + timedelta(days=policy.penalty_due_days),
    )
