"""Errors of the support desk, each with a stable code."""

from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ForbiddenError, ValidationFailedError


class NotRepresentativeError(ForbiddenError):
    """PT-7.4: only the people the customer's agreement lists may open tickets."""

    code = "support.not_representative"
    message_template = _(
        "Only the authorised representatives listed on your organisation's agreement can open support tickets. "
        "Ask your organisation to add you, or contact one of its representatives."
    )


class TicketClosedError(ConflictError):
    code = "support.ticket_closed"
    message_template = _("This ticket is closed; open a new one.")


class TicketStatusChangeError(ConflictError):
    code = "support.status_change_refused"
    message_template = _("A ticket cannot move from %(current)s to %(wanted)s.")


class EscalationBackwardsError(ConflictError):
    """PT-7.5: the escalation path is walked forwards only."""

    code = "support.escalation_backwards"
    message_template = _("The ticket is already at %(current)s; escalation only moves forward along the path.")


class MaintenanceNoticeTooLateError(ValidationFailedError):
    """PT-6.7: planned maintenance is announced at least the lead time ahead."""

    code = "support.maintenance_notice_too_late"
    message_template = _(
        "Planned maintenance must be announced at least %(hours)s hours before it starts. "
        "The earliest start for a notice sent now is %(earliest)s."
    )


class AttachmentTooLargeError(ValidationFailedError):
    code = "support.attachment_too_large"
    message_template = _("An attachment may be at most %(limit)s MB.")
