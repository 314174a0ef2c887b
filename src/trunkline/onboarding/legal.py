"""What onboarding needs from the terms context: the version of each document to show, whether it is still the one
in force, and the recording of an acceptance through the terms app's own service (never its tables)."""

from __future__ import annotations

from dataclasses import dataclass

from trunkline.core.context import RequestContext
from trunkline.core.errors import NotFoundError
from trunkline.onboarding.errors import TermsUnavailableError
from trunkline.terms.selectors import terms_current_number, terms_version_by_id, terms_version_current_for_kind
from trunkline.terms.services import terms_accept

# The documents a newcomer accepts with the registration checkbox, and a paid customer by signing the agreement.
REGISTRATION_DOCUMENTS = ("platform_terms", "privacy_notice")


@dataclass(frozen=True)
class ShownVersion:
    document: str  # the document kind, e.g. "platform_terms"
    version_id: str  # the public id of the text shown (one version, one language)
    title: str
    url: str  # the document's public page
    content_hash: str  # SHA-256 of the exact text


def versions_to_show(*, language: str) -> dict[str, ShownVersion]:
    """The version in force of each registration document, in ``language`` where it has a text."""
    shown: dict[str, ShownVersion] = {}
    for kind in REGISTRATION_DOCUMENTS:
        version = terms_version_current_for_kind(kind=kind, language=language)
        if version is None:
            raise TermsUnavailableError()
        shown[kind] = ShownVersion(
            document=kind,
            version_id=str(version.public_id),
            title=version.document.title,
            url=version.document.get_absolute_url(),
            content_hash=version.sha256,
        )
    return shown


def is_in_force(*, document: str, version_id: str) -> bool:
    """Whether ``version_id`` is a text of the version of ``document`` in force now (in any language)."""
    try:
        version = terms_version_by_id(version_id=version_id)
    except NotFoundError:
        return False
    return version.document.kind == document and version.number == terms_current_number(document=version.document)


def acceptance_record(
    *,
    ctx: RequestContext,
    version_id: str,
    method: str,
    ip: str | None,
    user_agent: str,
    organization_id: object = None,
    signatory: str = "",
    reference: str = "",
) -> None:
    """Record the acceptance as evidence through the terms app (PT-1.2)."""
    terms_accept(
        ctx=ctx,
        version_id=version_id,
        method=method,
        ip=ip,
        user_agent=user_agent,
        organization_id=organization_id,
        signatory=signatory,
        reference=reference,
    )
