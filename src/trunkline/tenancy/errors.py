from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ValidationFailedError


class StatusTransitionError(ConflictError):
    code = "tenancy.status_transition_refused"
    message_template = _("An organisation that is %(current)s cannot be %(wanted)s.")


class ReasonRequiredError(ValidationFailedError):
    code = "tenancy.reason_required"
    message_template = _("Give the reason, so the organisation and the audit trail can see it.")
