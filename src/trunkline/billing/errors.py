from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ValidationFailedError


class BillingInvalidError(ValidationFailedError):
    code = "billing.invalid"
    message_template = _("Correct the marked fields.")


class StatementUnreadableError(ValidationFailedError):
    code = "billing.statement_unreadable"
    message_template = _("The bank statement could not be read: %(reason)s")


class DocumentStateError(ConflictError):
    code = "billing.document_state"
    message_template = _("%(document)s is %(status)s; that is not possible now.")


class CreditExceedsInvoiceError(ConflictError):
    code = "billing.credit_exceeds_invoice"
    message_template = _("A credit note can correct at most %(available)s of %(document)s.")


class NoCreditError(ConflictError):
    code = "billing.no_credit"
    message_template = _("There is no credit left to apply.")


class DisputeExistsError(ConflictError):
    code = "billing.dispute_exists"
    message_template = _("This penalty is already contested.")


class StatementLineStateError(ConflictError):
    code = "billing.statement_line_state"
    message_template = _("This bank line has already been dealt with.")
