from trunkline.onboarding.services.access import access_refusal_record, country_access_init, country_access_set
from trunkline.onboarding.services.provisioning import (
    ResellerData,
    customer_provision,
    customer_provision_from_data,
    reseller_provision,
)
from trunkline.onboarding.services.registration import (
    RegistrationData,
    registration_confirm,
    registration_password_set,
    registration_submit,
)

__all__ = [
    "RegistrationData",
    "ResellerData",
    "access_refusal_record",
    "country_access_init",
    "country_access_set",
    "customer_provision",
    "customer_provision_from_data",
    "registration_confirm",
    "registration_password_set",
    "registration_submit",
    "reseller_provision",
]
