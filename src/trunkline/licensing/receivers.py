"""Licensing follows other contexts' events: a fully paid order grows the pools (RT-3.3); an organisation's
termination forfeits its unused licenses (RT-8.3); a paid penalty invoice re-enables its licenses (RT-6.4).

``order_paid(order, ctx)`` and ``invoice_paid(invoice, ctx)`` are sent inside the transaction that marks the document
paid, so the pool grows (or the licenses come back) in that same transaction or not at all.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from trunkline.billing.events import invoice_paid
from trunkline.commerce.events import order_paid
from trunkline.core import clock
from trunkline.licensing import enforcement
from trunkline.licensing.services import pool_credit_order, reseller_terminated
from trunkline.tenancy.events import organization_status_changed


@receiver(order_paid, dispatch_uid="licensing.order_paid")
def order_paid_received(sender: Any, order: Any, ctx: Any = None, **kwargs: Any) -> None:
    """Grow the reseller's pools by the order's license counts, once per order (unique credit per order)."""
    if order.organization.kind != "reseller":
        return
    pool_credit_order(order=order, ctx=ctx)


@receiver(invoice_paid, dispatch_uid="licensing.invoice_paid")
def invoice_paid_received(sender: Any, invoice: Any, ctx: Any = None, **kwargs: Any) -> None:
    """A fully paid penalty invoice re-enables the reseller's licenses if no other penalty is overdue."""
    if invoice.purpose != "penalty":
        return
    enforcement.penalty_paid(organization=invoice.organization, ctx=ctx, at=clock.now())


@receiver(organization_status_changed, dispatch_uid="licensing.reseller_terminated")
def organization_status_changed_received(
    sender: Any, organization: Any, previous_status: str, status: str, ctx: Any = None, **kwargs: Any
) -> None:
    if organization.kind == "reseller" and status == "terminated" and previous_status != "terminated":
        reseller_terminated(organization=organization, ctx=ctx)
