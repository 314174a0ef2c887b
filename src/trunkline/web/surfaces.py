"""The web app's pages sit behind the terms gate as well: a reseller or customer uses its surface only after
accepting the version in force of its terms (RT-2.1, PT-1.2)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from trunkline.accounts.surfaces import SURFACES, View, surface_page
from trunkline.terms.gate import terms_required

__all__ = ["SURFACES", "surface_required"]


def surface_required(view: View) -> View:
    """``surface_page`` plus the terms gate of the surface in the URL."""

    @wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        surface = request.surface  # type: ignore[attr-defined]
        if surface.terms_kind:
            return terms_required(surface.terms_kind)(view)(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return surface_page(gated)
