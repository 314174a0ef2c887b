from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, ForbiddenError, ValidationFailedError


class ScopeNotGrantableError(ValidationFailedError):
    code = "accounts.scope_not_grantable"
    message_template = _("You cannot give an API key a scope you do not hold yourself: %(scopes)s.")


class ApiKeyAlreadyRevokedError(ConflictError):
    code = "accounts.api_key_already_revoked"
    message_template = _("This API key is already revoked.")


class MembershipExistsError(ConflictError):
    code = "accounts.membership_exists"
    message_template = _("%(email)s is already a member of this organisation.")


class UnknownRoleError(ValidationFailedError):
    code = "accounts.unknown_role"
    message_template = _("%(role)s is not a role of this kind of organisation.")


class LastAdministratorError(ConflictError):
    code = "accounts.last_administrator"
    message_template = _("An organisation needs at least one active administrator.")


class CsrfFailedError(ForbiddenError):
    code = "accounts.csrf_failed"
    message_template = _("The CSRF token is missing or wrong. Reload the page, or call the API with an API key.")
