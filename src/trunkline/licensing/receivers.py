"""Licensing follows other contexts' events: a fully paid order grows the pools (RT-3.3); an organisation's
termination forfeits its unused licenses (RT-8.3); a paid penalty invoice re-enables its licenses (RT-6.4).

Commerce and billing events are connected when those modules exist (they are landed by other work); the receivers
follow the agreed contract: ``order_paid(order, ctx)`` and ``invoice_paid(invoice, ctx)``, both sent inside the
transaction that marks the document paid, so the pool grows (or the licenses come back) in that same transaction.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.dispatch import Signal, receiver

from trunkline.core import clock
from trunkline.licensing import enforcement
from trunkline.licensing.services import pool_credit_order, reseller_terminated
from trunkline.tenancy.events import organization_status_changed

logger = logging.getLogger(__name__)


def order_paid_received(sender: Any, order: Any, ctx: Any = None, **kwargs: Any) -> None:
    """Grow the reseller's pools by the order's license counts, once per order."""
    if getattr(order.organization, "kind", None) != "reseller":
        return
    pool_credit_order(order=order, ctx=ctx)


def invoice_paid_received(sender: Any, invoice: Any, ctx: Any = None, **kwargs: Any) -> None:
    """A fully paid penalty invoice re-enables the reseller's licenses if no other penalty is overdue."""
    if getattr(invoice, "purpose", "") != "penalty":
        return
    enforcement.penalty_paid(organization=invoice.organization, ctx=ctx, at=clock.now())


@receiver(organization_status_changed, dispatch_uid="licensing.reseller_terminated")
def organization_status_changed_received(
    sender: Any, organization: Any, previous_status: str, status: str, ctx: Any = None, **kwargs: Any
) -> None:
    if organization.kind == "reseller" and status == "terminated" and previous_status != "terminated":
        reseller_terminated(organization=organization, ctx=ctx)


def _signal(module: str, name: str) -> Signal | None:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


ORDER_PAID = _signal("trunkline.commerce.events", "order_paid")
INVOICE_PAID = _signal("trunkline.billing.events", "invoice_paid")
if ORDER_PAID is not None:
    ORDER_PAID.connect(order_paid_received, dispatch_uid="licensing.order_paid")
if INVOICE_PAID is not None:
    INVOICE_PAID.connect(invoice_paid_received, dispatch_uid="licensing.invoice_paid")
