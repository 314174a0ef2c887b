"""Licensing errors: stable codes for the reseller API, the pages and the activation API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trunkline.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError


class PoolExhaustedError(ConflictError):
    code = "licensing.pool_exhausted"
    message_template = _("No End-Point License of this product is available in your pool.")


class TestAllotmentExhaustedError(ConflictError):
    __test__ = False  # not a pytest test class
    code = "licensing.test_allotment_exhausted"
    message_template = _("No Test License of this product is left in your allotment.")


class AffiliateCapExceededError(ConflictError):
    code = "licensing.affiliate_cap_exceeded"
    message_template = _(
        "At most %(cap)s %% of the End-Point Licenses you provide may go to Affiliated Parties; this assignment "
        "would make it %(affiliated)s of %(provided)s."
    )


class TestLicenseRefusedError(ConflictError):
    __test__ = False  # not a pytest test class
    code = "licensing.test_license_refused"
    message_template = _("%(reason)s")


class LicensingDisabledError(ConflictError):
    code = "licensing.disabled"
    message_template = _("All licenses of this reseller are disabled until the overdue penalty is paid.")


class ResellerTerminatedError(ForbiddenError):
    code = "licensing.reseller_terminated"
    message_template = _("The reseller's agreement was terminated.")


class ResetReasonRequiredError(DomainError):
    code = "licensing.reason_required"
    http_status = 422
    message_template = _("Give the reason for this action; it is recorded.")


class KeyReissueLimitError(DomainError):
    code = "licensing.key_reissue_limit"
    http_status = 429
    message_template = _(
        "A new key was already sent %(limit)s times in the last 24 hours; the next one is possible from %(next_at)s."
    )


class NoPolicyError(NotFoundError):
    code = "licensing.no_policy"
    message_template = _("No licensing policy applies to this product.")


class ActivationRefusedError(DomainError):
    """A refusal of the activation API. ``code`` is one of ACTIVATION_CODES; the HTTP status depends on it."""

    http_status = 409
    message_template = _("%(reason)s")

    def __init__(self, code: str, message: str, *, http_status: int = 409, detail: dict | None = None) -> None:
        super().__init__(message, detail=detail)
        self.code = code  # type: ignore[misc]
        self.http_status = http_status  # type: ignore[misc]


class RateLimitedError(DomainError):
    code = "rate_limited"
    http_status = 429
    message_template = _("Too many requests; try again in %(seconds)s seconds.")
