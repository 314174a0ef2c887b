from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ForbiddenError, ValidationFailedError


class TermsUnavailableError(ConflictError):
    """The platform terms or the privacy notice has no version in force, so nobody can accept them yet."""

    code = "onboarding.terms_unavailable"
    http_status = 503
    message_template = _(
        "Registration is closed until the operator publishes the platform terms and the privacy notice. "
        "Please try again later."
    )


class TermsChangedError(ValidationFailedError):
    """A new version was published while the newcomer filled in the form: they must see it before accepting."""

    code = "onboarding.terms_changed"
    message_template = _(
        "The terms changed while you were filling in the form. Read the current version and tick the box again."
    )


class RegistrationThrottledError(ConflictError):
    code = "onboarding.registration_throttled"
    http_status = 429
    message_template = _("Too many registrations from your address. Please try again in an hour.")


class OperatorOnlyError(ForbiddenError):
    code = "onboarding.operator_only"
    message_template = _("Only operator staff can do this.")


class CountriesRequiredError(ValidationFailedError):
    code = "onboarding.countries_required"
    message_template = _("Allow at least one country.")
