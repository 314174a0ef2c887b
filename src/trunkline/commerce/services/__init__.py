from trunkline.commerce.services.agreements import (
    AgreementData,
    RepresentativeData,
    agreement_create,
    agreement_mark_provisioned,
    agreement_missing_data,
    agreement_update,
)
from trunkline.commerce.services.catalog import TierData, price_book_version_publish, product_create

__all__ = [
    "AgreementData",
    "RepresentativeData",
    "TierData",
    "agreement_create",
    "agreement_mark_provisioned",
    "agreement_missing_data",
    "agreement_update",
    "price_book_version_publish",
    "product_create",
]
