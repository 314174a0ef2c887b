from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import NotFoundError, ValidationFailedError


class NoRecipientError(ValidationFailedError):
    code = "notifications.no_recipient"
    message_template = _("The organisation has no account email to send the notice to.")


class NoticeLinkInvalidError(NotFoundError):
    code = "notifications.link_invalid"
    message_template = _("This link is not valid. Open it exactly as it appears in the email.")
