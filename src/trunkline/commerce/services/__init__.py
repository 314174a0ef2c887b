from trunkline.commerce.services.agreements import (
    AgreementData,
    RepresentativeData,
    agreement_create,
    agreement_mark_provisioned,
    agreement_missing_data,
    agreement_update,
)
from trunkline.commerce.services.catalog import TierData, price_book_version_publish, product_create
from trunkline.commerce.services.orders import (
    order_cancel,
    order_mark_invoiced,
    order_mark_paid,
    order_place_online,
    order_sign,
    purchase_order_create,
)

__all__ = [
    "AgreementData",
    "RepresentativeData",
    "TierData",
    "agreement_create",
    "agreement_mark_provisioned",
    "agreement_missing_data",
    "agreement_update",
    "order_cancel",
    "order_mark_invoiced",
    "order_mark_paid",
    "order_place_online",
    "order_sign",
    "price_book_version_publish",
    "product_create",
    "purchase_order_create",
]
