"""One error base for the whole platform. Each error has a stable ``code``, an HTTP status and a human sentence.

Apps define their own errors in ``<app>/errors.py`` as subclasses (``PoolExhaustedError(ConflictError)`` with
``code = "licensing.pool_exhausted"``). The API renders every one of them as ``{"code", "message", "detail"}``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    message_template: ClassVar[Any] = _("The request could not be completed.")

    def __init__(self, message: str | None = None, *, detail: dict[str, Any] | None = None, **params: Any) -> None:
        self.params = params
        self.detail = detail or {}
        self.message = str(message) if message is not None else str(self.message_template) % params
        super().__init__(self.message)


class NotFoundError(DomainError):
    """The object does not exist, or belongs to another organisation: the two are indistinguishable on purpose."""

    code = "not_found"
    http_status = 404
    message_template = _("Not found.")


class AuthenticationRequiredError(DomainError):
    code = "authentication_required"
    http_status = 401
    message_template = _("Sign in or send a valid API key.")


class MissingScopeError(DomainError):
    code = "permission_denied"
    http_status = 403
    message_template = _("Your role or API key does not include the permission %(scope)s.")


class ForbiddenError(DomainError):
    code = "forbidden"
    http_status = 403
    message_template = _("You are not allowed to do this.")


class OrganizationRestrictedError(ForbiddenError):
    """The role grants the scope, but the organisation is suspended: it may sign in, see why, and pay."""

    code = "organization_suspended"
    message_template = _(
        "Your organisation is suspended (%(reason)s). You can sign in, see why and pay, but not use the services."
    )


class ConflictError(DomainError):
    code = "conflict"
    http_status = 409
    message_template = _("The request conflicts with the current state.")


class ValidationFailedError(DomainError):
    """Invalid input. ``fields`` maps each field name to its error sentences."""

    code = "validation_failed"
    http_status = 422
    message_template = _("Some fields are not valid.")

    def __init__(self, message: str | None = None, *, fields: dict[str, list[str]] | None = None, **params: Any):
        super().__init__(message, detail={"fields": fields or {}}, **params)
        self.fields = fields or {}
