"""The four surfaces of the UI (operator, reseller, customer, public) and who may enter each page of them.

Every app's pages use these decorators, so entering a surface works the same everywhere; the web app adds the terms
gate in front of its own pages (``trunkline.web.surfaces``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from trunkline.accounts.auth import context_for_user
from trunkline.core.errors import NotFoundError

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Surface:
    kind: str  # the organisation kind that enters it
    prefix: str
    title: Any
    terms_kind: str = ""  # the legal document whose version in force must be accepted before use (RT-2.1, PT-1.2)

    @property
    def home(self) -> str:
        return f"/{self.prefix}/"


SURFACES = {
    "operator": Surface(kind="operator", prefix="ops", title=_("Operator back office")),
    "reseller": Surface(kind="reseller", prefix="reseller", title=_("Reseller portal"), terms_kind="reseller_terms"),
    "customer": Surface(kind="customer", prefix="app", title=_("Customer app"), terms_kind="platform_terms"),
}
BY_PREFIX = {surface.prefix: surface for surface in SURFACES.values()}


def _enter(request: HttpRequest, wanted: Surface | None) -> HttpResponse | None:
    """Set ``request.ctx`` and ``request.surface``, or answer why the person cannot enter."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    ctx = context_for_user(request, request.user)
    if ctx is None:
        return redirect("web:no_organization")
    if wanted is None:
        raise Http404
    if ctx.organization.kind != wanted.kind:  # the same page on the person's own surface
        return redirect(request.path.replace(wanted.home, SURFACES[ctx.organization.kind].home, 1))
    request.ctx = ctx  # type: ignore[attr-defined]
    request.surface = wanted  # type: ignore[attr-defined]
    return None


def _not_found_as_404(view: View, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """A selector's ``NotFoundError`` (an unknown id, or another organisation's object) is the 404 page."""
    try:
        return view(request, *args, **kwargs)
    except NotFoundError:
        raise Http404 from None


def surface_page(view: View) -> View:
    """A page under ``/<surface>/``: signed in, acting for an organisation of that surface's kind. Someone of
    another kind is sent to the same page on their own surface."""

    @wraps(view)
    def wrapper(request: HttpRequest, surface: str, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = _enter(request, BY_PREFIX.get(surface))
        return refused or _not_found_as_404(view, request, *args, **kwargs)

    return wrapper


def operator_page(scope: str) -> Callable[[View], View]:
    """A back-office page: acting for the operator and holding ``scope`` (403 page otherwise); other kinds get 404."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.is_authenticated:
                ctx = context_for_user(request, request.user)
                if ctx is not None and not ctx.is_operator:
                    raise Http404
            refused = _enter(request, SURFACES["operator"])
            if refused:
                return refused
            if not request.ctx.has_scope(scope):  # type: ignore[attr-defined]
                return render(request, "web/forbidden.html", status=403)
            return _not_found_as_404(view, request, *args, **kwargs)

        return wrapper

    return decorate
