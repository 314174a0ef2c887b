"""Create the licensing benchmark's data with the project's own services and print the license keys as JSON.

Run by ``bench/licensing.py`` against a fresh, migrated database: one reseller with a paid pool of N End-Point
Licenses of the catalog's product, N end users, one license assigned to each. The keys exist only in this output.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")
django.setup()

from trunkline.commerce.models import Product  # noqa: E402
from trunkline.licensing.models import EndUser  # noqa: E402
from trunkline.licensing.services import license_assign, pool_credit_order  # noqa: E402
from trunkline.testing.factories import ctx_for, member  # noqa: E402


@dataclass
class Line:
    product: Any
    quantity: int

    @property
    def product_id(self) -> int:
        return int(self.product.pk)


@dataclass
class Lines:
    items: list[Line]

    def select_related(self, *names: str) -> Lines:
        return self

    def all(self) -> list[Line]:
        return self.items


@dataclass
class Order:
    organization: Any
    lines: Lines
    public_id: uuid.UUID = field(default_factory=uuid.uuid4)


count = int(sys.argv[1])
reseller = member(kind="reseller", role="admin", email="bench-reseller@example.test")
ctx = ctx_for(reseller)
product = Product.objects.get(code="EPL-PRO")
pool_credit_order(order=Order(reseller.organization, Lines([Line(product, count)])))
EndUser.objects.bulk_create(
    EndUser(organization=reseller.organization, name=f"End user {n}", email=f"u{n}@example.test", is_affiliated=False)
    for n in range(count)
)
keys = [
    license_assign(ctx=ctx, end_user_id=end_user_id, product_id=product.public_id)[1]
    for end_user_id in EndUser.objects.filter(organization=reseller.organization).values_list("public_id", flat=True)
]
print(json.dumps({"keys": keys}))
