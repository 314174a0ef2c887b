"""Input and output shapes of the commerce API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from trunkline.commerce.models import (
    Order,
    OrderKind,
    OrderLine,
    OrderSignature,
    OrderStatus,
    SignatureMethod,
    SignatureSide,
)


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


class OrderFilterIn(Schema):
    status: OrderStatus | None = None
    kind: OrderKind | None = None
    organization_id: UUID | None = Field(None, description="A reseller's id (operator staff only).")
    placed_from: datetime | None = Field(None, description="Placed at or after.")
    placed_to: datetime | None = Field(None, description="Placed before (exclusive).")


class OrderLineOut(Schema):
    product_id: UUID
    product_code: str
    description: str
    quantity: int
    unit_price: Decimal
    tier_min_quantity: int
    tier_max_quantity: int | None = Field(description="Exclusive; null means no upper bound.")
    net: Decimal = Field(alias="net_amount")

    @staticmethod
    def resolve_product_id(line: OrderLine) -> UUID:
        return line.product.public_id

    @staticmethod
    def resolve_product_code(line: OrderLine) -> str:
        return line.product.code


class OrderSignatureOut(Schema):
    id: UUID = Field(alias="public_id")
    side: SignatureSide
    method: SignatureMethod
    signer_name: str
    recorded_by: str = Field(alias="recorded_by_label")
    signed_at: datetime
    has_document: bool
    document_sha256: str

    @staticmethod
    def resolve_has_document(signature: OrderSignature) -> bool:
        return bool(signature.document)


class OrderOut(Schema):
    id: UUID = Field(alias="public_id")
    number: str = Field(alias="display_number", examples=["ORD-000042"])
    kind: OrderKind
    status: OrderStatus
    organization_id: UUID
    organization_name: str
    price_book_version_id: UUID
    currency: str
    net: Decimal = Field(alias="net_amount")
    vat_rate: Decimal = Field(description="Percent, e.g. 20.00.")
    vat: Decimal = Field(alias="vat_amount")
    gross: Decimal = Field(alias="gross_amount")
    is_reverse_charge: bool
    buyer_vat_number: str
    placed_at: datetime
    binding_at: datetime | None
    invoiced_at: datetime | None
    paid_at: datetime | None
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    lines: list[OrderLineOut]
    signatures: list[OrderSignatureOut]

    @staticmethod
    def resolve_organization_id(order: Order) -> UUID:
        return order.organization.public_id

    @staticmethod
    def resolve_organization_name(order: Order) -> str:
        return order.organization.name

    @staticmethod
    def resolve_price_book_version_id(order: Order) -> UUID:
        return order.price_book_version.public_id

    @staticmethod
    def resolve_lines(order: Order) -> list[OrderLine]:
        return list(order.lines.all())

    @staticmethod
    def resolve_signatures(order: Order) -> list[OrderSignature]:
        return list(order.signatures.all())


class OrderPlaceIn(Schema):
    product_id: UUID
    quantity: int = Field(ge=1, le=1_000_000, examples=[250])
    accept_terms: bool = Field(
        False, description="Required true if your organisation has not accepted the reseller terms in force (RT-2.1)."
    )


class PurchaseOrderCreateIn(Schema):
    product_id: UUID
    quantity: int = Field(ge=1, le=1_000_000, examples=[250])
    organization_id: UUID | None = Field(None, description="The reseller's id: required for operator staff.")


class OrderCancelIn(Schema):
    reason: str = Field(max_length=500)
