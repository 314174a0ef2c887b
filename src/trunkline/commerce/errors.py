from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ValidationFailedError


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
