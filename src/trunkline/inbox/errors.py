from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ValidationFailedError


class OptedOutError(ConflictError):
    code = "inbox.opted_out"
    message_template = _("%(contact)s opted out of promotional messages from this sender on %(at)s.")


class SenderIdentificationMissingError(ValidationFailedError):
    code = "inbox.sender_identification_missing"
    message_template = _(
        "Promotional messages must carry your identification (name and contact). Set them on the channel %(channel)s."
    )


class InvalidPhoneError(ValidationFailedError):
    code = "inbox.invalid_phone"
    message_template = _("%(phone)s is not a valid phone number.")


class EmptyMessageError(ValidationFailedError):
    code = "inbox.empty_message"
    message_template = _("Write a message first.")


class MessageTooLongError(ValidationFailedError):
    code = "inbox.message_too_long"
    message_template = _("An SMS can have at most %(limit)s characters.")


class CampaignStateError(ConflictError):
    code = "inbox.campaign_state"
    message_template = _("The campaign is %(status)s: it cannot be %(action)s.")


class NoPhoneError(ConflictError):
    code = "inbox.no_phone"
    message_template = _("The contact has no phone number.")


class NoEmailError(ConflictError):
    code = "inbox.no_email"
    message_template = _("The contact has no email address.")


class UnsubscribeLinkError(ValidationFailedError):
    code = "inbox.unsubscribe_link"
    message_template = _("This unsubscribe link is not valid.")
