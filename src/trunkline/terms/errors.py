"""Errors of the terms context, each with a stable code."""

from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ForbiddenError, NotFoundError, ValidationFailedError


class LegalDocumentInvalidError(ValidationFailedError):
    code = "terms.document_invalid"
    message_template = _("The document could not be created: correct the marked fields.")


class TermsVersionInvalidError(ValidationFailedError):
    code = "terms.version_invalid"
    message_template = _("The version could not be published: correct the marked fields.")


class AcceptanceInvalidError(ValidationFailedError):
    code = "terms.acceptance_invalid"
    message_template = _("The acceptance could not be recorded: correct the marked fields.")


class TermsNotApplicableError(ValidationFailedError):
    code = "terms.not_applicable"
    message_template = _("%(document)s does not apply to your organisation.")


class TermsVersionSupersededError(ConflictError):
    code = "terms.version_superseded"
    message_template = _("A newer version of %(document)s is in force. Read it and accept that one.")


class PersonRequiredError(ForbiddenError):
    code = "terms.person_required"
    message_template = _("Only a signed-in person can accept terms; an API key cannot.")


class TermsAcceptanceRequiredError(ForbiddenError):
    """The acting organisation has not accepted the version in force of a document the action needs."""

    code = "terms.acceptance_required"
    message_template = _("Your organisation must first accept the current version of %(document)s.")


class ObjectionInvalidError(ValidationFailedError):
    code = "terms.objection_invalid"
    message_template = _("The objection could not be recorded: correct the marked fields.")


class NothingToObjectError(ConflictError):
    code = "terms.nothing_to_object"
    message_template = _("Your organisation was not notified of a change to version %(number)s of %(document)s.")


class ObjectionPeriodOverError(ConflictError):
    code = "terms.objection_period_over"
    message_template = _("The 7 days to object to version %(number)s of %(document)s ended on %(deadline)s.")


class ObjectionExistsError(ConflictError):
    code = "terms.objection_exists"
    message_template = _("Your organisation has already objected to version %(number)s of %(document)s.")


class AlreadyAcceptedError(ConflictError):
    code = "terms.already_accepted"
    message_template = _("Your organisation has already accepted version %(number)s of %(document)s.")


class ObjectionLinkInvalidError(NotFoundError):
    code = "terms.link_invalid"
    message_template = _("This link is not valid. Open it exactly as it appears in the email.")
