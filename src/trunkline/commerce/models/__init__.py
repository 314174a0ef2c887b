from trunkline.commerce.models.agreements import Agreement, AgreementRepresentative
from trunkline.commerce.models.catalog import PriceBook, PriceBookVersion, PriceTier, Product
from trunkline.commerce.models.orders import (
    CANCELLABLE,
    INVOICEABLE,
    Order,
    OrderKind,
    OrderLine,
    OrderSignature,
    OrderStatus,
    SignatureMethod,
    SignatureSide,
)

__all__ = [
    "CANCELLABLE",
    "INVOICEABLE",
    "Agreement",
    "AgreementRepresentative",
    "Order",
    "OrderKind",
    "OrderLine",
    "OrderSignature",
    "OrderStatus",
    "PriceBook",
    "PriceBookVersion",
    "PriceTier",
    "Product",
    "SignatureMethod",
    "SignatureSide",
]
