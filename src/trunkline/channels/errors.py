from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import DomainError


class WebhookSignatureInvalidError(DomainError):
    code = "channels.signature_invalid"
    http_status = 403
    message_template = _("The webhook signature is not valid.")


class ChannelDisabledError(DomainError):
    code = "channels.disabled"
    http_status = 409
    message_template = _("The channel %(name)s is disabled.")
