"""The operator back office pages of onboarding: who may open them, and what the base template needs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from trunkline.accounts.auth import context_for_user


class OpsSurface:
    """What base.html reads of the surface (the same values as the web app's operator surface)."""

    kind = "operator"
    prefix = "ops"
    title = _("Operator back office")


OPS = OpsSurface()


def operator_page(scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in, acting for the operator organisation, holding ``scope``; sets ``request.ctx`` from
    accounts.auth.context_for_user. Anyone else acting for another kind of organisation gets 404."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            ctx = context_for_user(request, request.user)
            if ctx is None:
                return redirect("web:no_organization")
            if not ctx.is_operator:
                raise Http404
            request.ctx = ctx  # type: ignore[attr-defined]
            request.surface = OPS  # type: ignore[attr-defined]
            if not ctx.has_scope(scope):
                return render(request, "web/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
