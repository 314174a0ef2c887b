"""The four surfaces of the UI and who may enter each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from trunkline.accounts.auth import context_for_user
from trunkline.terms.gate import terms_required


@dataclass(frozen=True)
class Surface:
    kind: str  # the organisation kind that enters it
    prefix: str
    title: Any
    terms_kind: str = ""  # the legal document whose version in force must be accepted before use (RT-2.1, PT-1.2)


SURFACES = {
    "operator": Surface(kind="operator", prefix="ops", title=_("Operator back office")),
    "reseller": Surface(kind="reseller", prefix="reseller", title=_("Reseller portal"), terms_kind="reseller_terms"),
    "customer": Surface(kind="customer", prefix="app", title=_("Customer app"), terms_kind="platform_terms"),
}
BY_PREFIX = {surface.prefix: surface for surface in SURFACES.values()}


def surface_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, acting for an organisation whose kind matches the surface in the URL; sets ``request.ctx``."""

    @wraps(view)
    def wrapper(request: HttpRequest, surface: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        ctx = context_for_user(request, request.user)
        if ctx is None:
            return redirect("web:no_organization")
        wanted = BY_PREFIX.get(surface)
        if wanted is None:
            raise Http404
        if ctx.organization.kind != wanted.kind:
            return redirect("web:surface_home", surface=SURFACES[ctx.organization.kind].prefix)
        request.ctx = ctx  # type: ignore[attr-defined]
        request.surface = wanted  # type: ignore[attr-defined]
        if wanted.terms_kind:
            return terms_required(wanted.terms_kind)(view)(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapper
