from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from trunkline.onboarding.access import SURFACE_PREFIXES, refuse


class CountryAccessMiddleware:
    """Every request of a signed-in session to a surface (and to the API by session) is checked against the acting
    organisation's allowed countries (PT-8.3), so a session carried abroad stops working. Goes after the
    authentication and message middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.path.startswith(SURFACE_PREFIXES)
            and "Authorization" not in request.headers
        ):
            refused = refuse(request, user=user, where="session")
            if refused is not None:
                return refused
        return self.get_response(request)
