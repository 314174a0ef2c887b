"""The licensing context's writers. Import them from here."""

from trunkline.licensing.services.activations import (
    Caller,
    Certified,
    Validation,
    activation_activate,
    activation_deactivate,
    activation_offline_create,
    activation_refresh,
    activation_reset,
    activation_updates,
    activation_validate,
    license_reset_override,
)
from trunkline.licensing.services.end_users import ImportReport, end_user_create, end_user_import_csv, end_user_update
from trunkline.licensing.services.licenses import (
    license_assign,
    license_get_by_key,
    license_test_assign,
    license_tests_expire,
    licenses_disable_all,
    licenses_enable_all,
    reseller_terminated,
)
from trunkline.licensing.services.pools import (
    account_of,
    policy_for,
    policy_set,
    pool_credit_order,
    pool_get_or_create,
    pool_test_allotment_grant,
)

__all__ = [
    "Caller",
    "Certified",
    "ImportReport",
    "Validation",
    "account_of",
    "activation_activate",
    "activation_deactivate",
    "activation_offline_create",
    "activation_refresh",
    "activation_reset",
    "activation_updates",
    "activation_validate",
    "end_user_create",
    "end_user_import_csv",
    "end_user_update",
    "license_assign",
    "license_get_by_key",
    "license_reset_override",
    "license_test_assign",
    "license_tests_expire",
    "licenses_disable_all",
    "licenses_enable_all",
    "policy_for",
    "policy_set",
    "pool_credit_order",
    "pool_get_or_create",
    "pool_test_allotment_grant",
    "reseller_terminated",
]
