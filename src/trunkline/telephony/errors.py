from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ForbiddenError, ValidationFailedError


class TelephonyInvalidError(ValidationFailedError):
    code = "telephony.invalid"


class NumberTakenError(ConflictError):
    code = "telephony.number_taken"
    message_template = _("The number %(number)s is already in use.")


class AddressTakenError(ConflictError):
    code = "telephony.address_taken"
    message_template = _("The address %(address)s already belongs to another trunk.")


class TelephonySuspendedError(ForbiddenError):
    code = "telephony.suspended"
    message_template = _("Your telephony service is suspended: %(reason)s")


class ConfigurationStateError(ConflictError):
    code = "telephony.configuration_state"
    message_template = _("The configuration request is %(status)s.")


class AssetStateError(ConflictError):
    code = "telephony.asset_state"
    message_template = _("The voice asset is %(status)s; this step is not possible now.")


class AssetFormatError(ValidationFailedError):
    code = "telephony.asset_format"
