"""Shared world of the licensing tests: a product, a reseller with a pool, end users, and an operator."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from trunkline.billing.services import invoice_order, payment_record
from trunkline.commerce.models import Product
from trunkline.commerce.services import order_place_online
from trunkline.core import clock
from trunkline.licensing.models import Pool
from trunkline.licensing.services import end_user_create, pool_credit_order
from trunkline.tenancy.models import Membership
from trunkline.testing.factories import ctx_for, member


@dataclass
class FakeLine:
    product: Product
    quantity: int

    @property
    def product_id(self) -> int:
        return self.product.pk


@dataclass
class FakeLines:
    items: list[FakeLine]

    def select_related(self, *names: str) -> FakeLines:
        return self

    def all(self) -> list[FakeLine]:
        return self.items


@dataclass
class PaidOrder:
    """Stands in for a paid commerce.Order (organisation, public id, lines) where a test is about the licensing side
    alone: ``pool_credit_order`` replayed with crafted orders; pools of many throw-away products that have no price
    in any book; and transactional tests (worker threads must see committed rows), which run after a flush of the
    migrations' terms documents that an order's acceptance needs. Everything else grows pools through real, fully
    paid orders (``grow_pool``)."""

    organization: Any
    lines: FakeLines
    public_id: uuid.UUID = field(default_factory=uuid.uuid4)


def paid_order(organization: Any, product: Product, quantity: int) -> PaidOrder:
    return PaidOrder(organization=organization, lines=FakeLines([FakeLine(product, quantity)]))


def credit_pool_directly(organization: Any, product: Product, quantity: int) -> Pool:
    """Credit a pool with a stand-in order, without commerce and billing (see ``PaidOrder`` for when)."""
    pool_credit_order(order=paid_order(organization, product, quantity))
    return Pool.objects.get(organization=organization, product=product)


def grow_pool(organization: Any, product: Product, quantity: int) -> Pool:
    """Grow the reseller's pool the real way (RT-3.3): an Online Order placed by the reseller, invoiced by staff and
    paid in full through billing, whose ``order_paid`` event credits the pool."""
    reseller = Membership.objects.filter(organization=organization).order_by("pk").first() or member(
        kind="reseller", role="admin", organization=organization
    )
    order = order_place_online(
        ctx=ctx_for(reseller), product_id=product.public_id, quantity=quantity, accept_terms=True
    )
    staff = ctx_for(member(kind="operator", role="staff"))
    invoice = invoice_order(ctx=staff, order_id=order.public_id)
    payment_record(
        ctx=staff,
        organization_id=organization.public_id,
        amount=invoice.gross_amount,
        currency=invoice.currency,
        received_on=clock.now().date(),
        invoice_ids=[invoice.public_id],
    )
    return Pool.objects.get(organization=organization, product=product)


@pytest.fixture
def product(db) -> Product:
    """The catalog's End-Point License product, priced in the default book, so real orders can buy it (seeded again
    where an earlier transactional test flushed the migrations' rows)."""
    from importlib import import_module

    from django.apps import apps

    import_module("trunkline.commerce.migrations.0003_default_price_book").create(apps, None)
    return Product.objects.get(code="EPL-PRO")


@pytest.fixture
def reseller(db):
    return member(kind="reseller", role="admin")


@pytest.fixture
def reseller_ctx(reseller):
    return ctx_for(reseller)


@pytest.fixture
def operator_ctx(db):
    return ctx_for(member(kind="operator", role="staff"))


def new_end_user(ctx: Any, *, affiliated: bool = False, name: str = "Ana Petrova") -> Any:
    return end_user_create(
        ctx=ctx, name=name, email=f"user{uuid.uuid4().hex[:8]}@example.com", is_affiliated=affiliated
    )


@pytest.fixture(autouse=True)
def default_policy(request: pytest.FixtureRequest) -> None:
    """The default policy row the migration seeds, seeded again where an earlier transactional test flushed it."""
    uses_database = request.node.get_closest_marker("django_db") is not None or "db" in request.fixturenames
    if not uses_database:
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    from importlib import import_module

    from django.apps import apps

    import_module("trunkline.licensing.migrations.0002_default_policy").create(apps, None)
