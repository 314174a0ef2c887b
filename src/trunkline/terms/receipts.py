"""The evidence of an organisation's acceptances, exported: JSON for machines, a printable receipt (HTML and PDF)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest
from django.template.loader import render_to_string

from trunkline.tenancy.models import Organization
from trunkline.terms.models import TermsAcceptance


def acceptance_evidence(acceptance: TermsAcceptance) -> dict[str, Any]:
    """One acceptance as evidence: who, which organisation, which version (and its hash), when, how, from where."""
    version = acceptance.version
    document = version.document
    notice = acceptance.notice
    return {
        "id": str(acceptance.public_id),
        "organization": {"id": str(acceptance.organization.public_id), "name": acceptance.organization.name},
        "document": {
            "slug": document.slug,
            "title": document.title,
            "title_bg": document.title_bg,
            "kind": document.kind,
        },
        "version": {
            "id": str(version.public_id),
            "number": version.number,
            "language": version.language,
            "effective_at": version.effective_at.isoformat(),
            "url": f"{settings.PUBLIC_URL}{version.get_absolute_url()}",
        },
        "sha256": acceptance.sha256,
        "method": acceptance.method,
        "method_label": str(acceptance.get_method_display()),
        "person": acceptance.person_label or None,
        "signatory": acceptance.signatory or None,
        "reference": acceptance.reference or None,
        "recorded_by": acceptance.recorded_by_label or None,
        "accepted_at": acceptance.accepted_at.isoformat(),
        "ip": acceptance.ip,
        "user_agent": acceptance.user_agent or None,
        "notice": (
            {"id": str(notice.public_id), "sent_at": notice.sent_at.isoformat() if notice.sent_at else None}
            if notice is not None
            else None
        ),
    }


def evidence_export(
    *, organization: Organization, acceptances: Iterable[TermsAcceptance], at: datetime
) -> dict[str, Any]:
    return {
        "organization": {"id": str(organization.public_id), "name": organization.name, "kind": organization.kind},
        "exported_at": at.isoformat(),
        "acceptances": [acceptance_evidence(acceptance) for acceptance in acceptances],
    }


# WeasyPrint reports each rendering step at INFO; one receipt is not worth seven log lines.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"The receipt loads nothing from outside: {url}")


def receipt_pdf(context: dict[str, Any], request: HttpRequest | None = None) -> bytes:
    """The receipt as a PDF, rendered by WeasyPrint from the same template as the HTML page, with nothing fetched."""
    from weasyprint import CSS, HTML

    html = render_to_string("terms/receipt.html", {**context, "for_pdf": True}, request=request)
    stylesheet = finders.find("terms/receipt.css")
    assert isinstance(stylesheet, str)
    document = HTML(string=html, url_fetcher=_refuse_fetch)
    return bytes(document.write_pdf(stylesheets=[CSS(filename=stylesheet)]))
