from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ForbiddenError, ValidationFailedError


class AgreementIncompleteError(ValidationFailedError):
    """Provisioning was asked for, but the agreement lacks data a paid-plan organisation needs (PT-5.5)."""

    code = "commerce.agreement_incomplete"
    message_template = _("The agreement is not complete yet: fill in the marked fields first.")


class AgreementProvisionedError(ConflictError):
    code = "commerce.agreement_provisioned"
    message_template = _("An organisation was already created from this agreement; it can no longer be changed.")


class PriceUnavailableError(ConflictError):
    """No price book version in force at that time lists the product."""

    code = "commerce.price_unavailable"
    message_template = _("There is no price for this product at that time.")


class OrderInvalidError(ValidationFailedError):
    code = "commerce.order_invalid"
    message_template = _("The order could not be saved: correct the marked fields.")


class ResellerOnlyError(ForbiddenError):
    code = "commerce.reseller_only"
    message_template = _("Only a reseller can do this for itself.")


class OrderStateError(ConflictError):
    code = "commerce.order_state"
    message_template = _("Order %(number)s is %(status)s; that is not possible now.")


class OrderNotBindingError(ConflictError):
    """RT-3.4: a Purchase Order binds, and can be invoiced, only after both sides have signed."""

    code = "commerce.order_not_binding"
    message_template = _("Purchase Order %(number)s is not binding yet: both the reseller and the vendor must sign it.")


class SignatureExistsError(ConflictError):
    code = "commerce.signature_exists"
    message_template = _("The %(side)s side has already signed this order.")
