"""A world for billing tests: a reseller with an order, and staff to invoice it and record its payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from trunkline.billing.models import Invoice
from trunkline.billing.services import invoice_order, payment_record
from trunkline.commerce.models import Order, Product
from trunkline.commerce.services import order_place_online
from trunkline.tenancy.models import Membership
from trunkline.testing.factories import ctx_for, member


@dataclass
class World:
    staff: Membership
    reseller: Membership
    product: Product

    @property
    def staff_ctx(self) -> Any:
        return ctx_for(self.staff)

    @property
    def reseller_ctx(self) -> Any:
        return ctx_for(self.reseller)

    def order(self, quantity: int = 10) -> Order:
        return order_place_online(ctx=self.reseller_ctx, product_id=self.product.public_id, quantity=quantity)

    def invoiced(self, quantity: int = 10, kind: str = "proforma") -> Invoice:
        order = self.order(quantity)
        return invoice_order(ctx=self.staff_ctx, order_id=order.public_id, kind=kind)

    def pay(self, invoice: Invoice, amount: str, reference: str | None = None, **kwargs: Any) -> Any:
        return payment_record(
            ctx=self.staff_ctx,
            organization_id=invoice.organization.public_id,
            amount=Decimal(amount),
            currency=invoice.currency,
            received_on=kwargs.pop("received_on", date(2026, 11, 2)),
            reference=reference if reference is not None else f"Payment of {invoice.display_number}",
            **kwargs,
        )


def billing_world(*, email: str = "billing@reseller.example.com") -> World:
    staff = member(kind="operator", role="staff")
    reseller = member(kind="reseller", role="admin", accepted_terms=True)
    reseller.organization.email = email
    reseller.organization.save(update_fields=["email"])
    return World(staff=staff, reseller=reseller, product=Product.objects.get(code="EPL-PRO"))
