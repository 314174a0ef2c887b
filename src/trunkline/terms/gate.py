"""The terms gate: an action that needs the version in force of a document accepted first (RT-2.1, PT-1.2).

Views use the decorator ``terms_required(kind)``: a person whose organisation has not accepted is sent to the
accept page, which records the click and continues to the page they wanted. Services use ``terms_require_accepted``,
which raises ``TermsAcceptanceRequiredError`` (403) with the accept page in ``detail``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from trunkline.accounts.auth import context_for_user
from trunkline.tenancy.models import Organization
from trunkline.terms.errors import TermsAcceptanceRequiredError
from trunkline.terms.selectors import terms_acceptance_current


def accept_url(*, slug: str, next_url: str = "") -> str:
    path = reverse("terms:accept", kwargs={"slug": slug})
    return f"{path}?{urlencode({'next': next_url})}" if next_url else path


def terms_require_accepted(*, organization: Organization, kind: str, at: datetime | None = None) -> None:
    """Raise ``TermsAcceptanceRequiredError`` unless ``organization`` accepted the version in force of ``kind``."""
    status = terms_acceptance_current(organization=organization, kind=kind, at=at)
    if status.accepted:
        return
    assert status.document is not None
    assert status.version is not None
    raise TermsAcceptanceRequiredError(
        document=status.document.display_title,
        detail={
            "document": status.document.slug,
            "kind": kind,
            "version_id": str(status.version.public_id),
            "number": status.version.number,
            "accept_url": accept_url(slug=status.document.slug),
        },
    )


def _continue_to(request: HttpRequest) -> str:
    """Where to go after accepting: this page for a GET; for a form post, the page the form was on."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"


def terms_required(kind: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view decorator: signed in, and the acting organisation has accepted the version in force of ``kind``;
    otherwise the person goes to ``/terms/<slug>/accept/?next=<this page>`` first."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            ctx = getattr(request, "ctx", None) or context_for_user(request, request.user)
            if ctx is not None:
                status = terms_acceptance_current(organization=ctx.organization, kind=kind)
                if not status.accepted:
                    assert status.document is not None
                    return HttpResponseRedirect(accept_url(slug=status.document.slug, next_url=_continue_to(request)))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
