from trunkline.commerce.services.agreements import (
    AgreementData,
    RepresentativeData,
    agreement_create,
    agreement_mark_provisioned,
    agreement_missing_data,
    agreement_update,
)

__all__ = [
    "AgreementData",
    "RepresentativeData",
    "agreement_create",
    "agreement_mark_provisioned",
    "agreement_missing_data",
    "agreement_update",
]
