"""How inbox pages are entered: the surface in the URL plus that surface's terms gate (as ``web.surfaces`` does;
the inbox sits below ``web`` in the layers, so it composes the same two decorators itself)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from trunkline.accounts.surfaces import View, surface_page
from trunkline.terms.gate import terms_required


def surface_required(view: View) -> View:
    @wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        surface = request.surface  # type: ignore[attr-defined]
        if surface.terms_kind:
            return terms_required(surface.terms_kind)(view)(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return surface_page(gated)
