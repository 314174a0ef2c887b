"""Penalty invoices (RT-6.4, the money part): staff record that a reseller wrongly provided N licenses; the penalty
is the policy multiplier (2) × the product's retail price × N, due after the policy's days (14). Contesting it
records a dispute and does not move the due date; a dispute resolved for the reseller credits the penalty in full,
and whatever was already paid becomes a refund due. Disabling licenses while it is overdue is licensing's part."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.billing.errors import BillingInvalidError, DisputeExistsError, DocumentStateError
from trunkline.billing.models import (
    DisputeStatus,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    PenaltyDispute,
    Purpose,
)
from trunkline.billing.selectors import penalty_quote
from trunkline.billing.services.documents import LineData, document_issue
from trunkline.billing.services.invoices import credit_note_for, require_staff
from trunkline.commerce.models import Product
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.tenancy.models import Organization

MAX_LICENSES = 1_000_000


def penalty_raise(
    *,
    ctx: RequestContext,
    organization_id: Any,
    product_id: Any,
    licenses: int,
    reason: str,
    multiplier: Decimal | None = None,
    at: datetime | None = None,
) -> Invoice:
    """Issue a penalty invoice to a reseller for ``licenses`` wrongly provided End-Point Licenses of a product.
    The multiplier is the licensing policy's for that reseller and product, unless ``multiplier`` is given."""
    at = at or clock.now()
    require_staff(ctx)
    errors: dict[str, list[str]] = {}
    if isinstance(licenses, bool) or not isinstance(licenses, int) or not 1 <= licenses <= MAX_LICENSES:
        errors["licenses"] = [_("Give the number of licenses wrongly provided, at least 1.")]
    if not reason.strip():
        errors["reason"] = [_("Describe the violation (which rule, which end users).")]
    try:
        reseller = Organization.objects.get(public_id=organization_id, kind="reseller")
    except (Organization.DoesNotExist, ValueError, TypeError, ValidationError):
        errors["organization_id"] = [_("Choose a reseller.")]
    try:
        product = Product.objects.get(public_id=product_id)
    except (Product.DoesNotExist, ValueError, TypeError, ValidationError):
        errors["product_id"] = [_("Choose the product of the licenses.")]
    if errors:
        raise BillingInvalidError(fields=errors)
    quote = penalty_quote(product=product, licenses=licenses, reseller=reseller, multiplier=multiplier, at=at)
    factor, unit = quote.multiplier, quote.unit
    with translation.override(reseller.language):  # the line is written in the buyer's language
        description = _(
            "Penalty for %(licenses)s wrongly provided %(product)s licenses: %(multiplier)s × retail price %(retail)s"
        ) % {
            "licenses": licenses,
            "product": product.name,
            "multiplier": factor.normalize(),
            "retail": product.retail_price,
        }
    with transaction.atomic():
        invoice = document_issue(
            ctx=ctx,
            organization=reseller,
            kind=DocumentKind.INVOICE,
            purpose=Purpose.PENALTY,
            lines=[
                LineData(
                    description=description,
                    quantity=Decimal(licenses),
                    unit_price=unit,
                    net=unit * licenses,
                    vat_rate=quote.vat_rate,
                    product_id=product.pk,
                )
            ],
            due_in_days=quote.due_days,
            at=at,
            currency=product.currency,
            note=reason.strip(),
        )
        audit_record(
            ctx=ctx,
            action="billing.penalty.raised",
            target=invoice,
            organization=reseller,
            changes={
                "licenses": licenses,
                "multiplier": str(factor),
                "retail": str(product.retail_price),
                "total": str(invoice.gross),
                "due_date": invoice.due_date.isoformat(),
            },
            at=at,
        )
    return invoice


def _penalty(ctx: RequestContext, invoice_id: Any) -> Invoice:
    invoices = Invoice.objects.select_for_update().select_related("organization", "series")
    if not ctx.is_operator:
        invoices = invoices.filter(organization=ctx.organization)
    try:
        invoice: Invoice = invoices.get(public_id=invoice_id, purpose=Purpose.PENALTY, kind=DocumentKind.INVOICE)
    except (Invoice.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    return invoice


def penalty_dispute_open(*, ctx: RequestContext, invoice_id: Any, reason: str, at: datetime | None = None):
    """The reseller contests a penalty. Recorded with its grounds; the due date stays as it is (RT-6.4)."""
    at = at or clock.now()
    require_scope(ctx, "billing:manage")
    if not reason.strip():
        raise BillingInvalidError(fields={"reason": [_("Give your grounds for contesting the penalty.")]})
    with transaction.atomic():
        invoice = _penalty(ctx, invoice_id)
        if PenaltyDispute.objects.filter(invoice=invoice).exists():
            raise DisputeExistsError()
        dispute = PenaltyDispute.objects.create(
            invoice=invoice, reason=reason.strip(), opened_at=at, opened_by=ctx.user
        )
        audit_record(
            ctx=ctx,
            action="billing.penalty.disputed",
            target=invoice,
            organization=invoice.organization,
            changes={"reason": dispute.reason, "due_date": invoice.due_date.isoformat()},
            at=at,
        )
    return dispute


def penalty_dispute_resolve(
    *, ctx: RequestContext, invoice_id: Any, for_reseller: bool, resolution: str, at: datetime | None = None
) -> PenaltyDispute:
    """Staff close a dispute. Upheld: nothing changes. For the reseller: a credit note cancels the penalty, and what
    was paid of it becomes a refund due (RT-6.4)."""
    at = at or clock.now()
    require_staff(ctx)
    if not resolution.strip():
        raise BillingInvalidError(fields={"resolution": [_("Record the decision and what it rests on.")]})
    with transaction.atomic():
        invoice = _penalty(ctx, invoice_id)
        try:
            dispute = PenaltyDispute.objects.select_for_update().get(invoice=invoice)
        except PenaltyDispute.DoesNotExist:
            raise NotFoundError() from None
        if dispute.status != DisputeStatus.OPEN:
            raise DocumentStateError(document=invoice.display_number, status=dispute.get_status_display())
        dispute.status = DisputeStatus.RESOLVED_FOR_RESELLER if for_reseller else DisputeStatus.UPHELD
        dispute.resolution, dispute.resolved_at, dispute.resolved_by = resolution.strip(), at, ctx.user
        dispute.save()
        if for_reseller and invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
            credit_note_for(ctx=ctx, invoice=invoice, reason=resolution.strip(), net=None, at=at)
        audit_record(
            ctx=ctx,
            action="billing.penalty.dispute_resolved",
            target=invoice,
            organization=invoice.organization,
            changes={"outcome": dispute.status, "resolution": dispute.resolution},
            at=at,
        )
    return dispute
