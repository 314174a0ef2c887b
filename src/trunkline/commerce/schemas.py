"""Input and output shapes of the commerce API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import Field


class ProductOut(Schema):
    id: UUID = Field(alias="public_id")
    code: str
    name: str
    retail_price: Decimal = Field(alias="retail_amount")
    currency: str
    vat_rate: Decimal = Field(description="Percent, e.g. 20.00.")


class ProductCreateIn(Schema):
    code: str = Field(examples=["EPL-PRO"])
    name: str
    retail_price: Decimal = Field(examples=["49.00"])
    currency: str = "EUR"
    vat_rate: Decimal = Field(Decimal("20"), description="Percent.")


class PriceQuoteIn(Schema):
    product_id: UUID
    quantity: int = Field(ge=1)


class TierOut(Schema):
    min_quantity: int
    max_quantity: int | None = Field(description="Exclusive; null means no upper bound.")
    unit_price: Decimal


class PriceQuoteOut(Schema):
    product_id: UUID
    quantity: int
    book_id: UUID
    is_default_book: bool
    version_id: UUID
    effective_from: datetime
    tier: TierOut
    unit_price: Decimal
    currency: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_rate: Decimal
    is_reverse_charge: bool


class ProductTiersOut(Schema):
    product_id: UUID
    product_code: str
    currency: str
    tiers: list[TierOut]


class PriceBookOut(Schema):
    book_id: UUID
    name: str
    is_default_book: bool
    version_id: UUID | None
    effective_from: datetime | None
    products: list[ProductTiersOut]


class TierIn(Schema):
    product_id: UUID
    min_quantity: int
    max_quantity: int | None = None
    unit_price: Decimal


class PriceBookVersionIn(Schema):
    organization_id: UUID | None = Field(None, description="A reseller's id; empty for the default book.")
    effective_from: datetime | None = Field(None, description="Default now; never in the past.")
    note: str = ""
    tiers: list[TierIn]


class PriceBookVersionOut(Schema):
    version_id: UUID
    book_id: UUID
    organization_id: UUID | None
    effective_from: datetime
