"""What onboarding needs from the terms context: the version of each document to show, its public page, and the
recording of an acceptance through the terms app's own service (never its tables)."""

from __future__ import annotations

from dataclasses import dataclass

from trunkline.core.context import RequestContext
from trunkline.onboarding.errors import TermsUnavailableError

# The documents a newcomer accepts with the registration checkbox, and a paid customer by signing the agreement.
REGISTRATION_DOCUMENTS = ("platform_terms", "privacy_notice")


@dataclass(frozen=True)
class ShownVersion:
    document: str  # the document kind, e.g. "platform_terms"
    version_id: str  # the version's public id
    title: str
    url: str  # its public page
    content_hash: str


def versions_to_show(*, language: str) -> dict[str, ShownVersion]:
    """The version in force of each registration document, in ``language`` where there is one."""
    raise TermsUnavailableError()


def acceptance_record(*, ctx: RequestContext, version_id: str, method: str, ip: str | None, user_agent: str) -> None:
    """Record the acceptance as evidence through the terms app (PT-1.2)."""
    raise TermsUnavailableError()
