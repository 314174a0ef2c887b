"""Shared world of the licensing tests: a product, a reseller with a pool, end users, and an operator."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from trunkline.commerce.models import Product
from trunkline.licensing.models import Pool
from trunkline.licensing.services import end_user_create, pool_credit_order
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
    """Stands in for commerce.Order where the commerce order models are not there: organisation, public id, lines."""

    organization: Any
    lines: FakeLines
    public_id: uuid.UUID = field(default_factory=uuid.uuid4)


def paid_order(organization: Any, product: Product, quantity: int) -> PaidOrder:
    return PaidOrder(organization=organization, lines=FakeLines([FakeLine(product, quantity)]))


def grow_pool(organization: Any, product: Product, quantity: int) -> Pool:
    pool_credit_order(order=paid_order(organization, product, quantity))
    return Pool.objects.get(organization=organization, product=product)


@pytest.fixture
def product(db) -> Product:
    return Product.objects.create(code="SOFTPHONE", name="Softphone End-Point License", retail_amount=Decimal("40.00"))


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
