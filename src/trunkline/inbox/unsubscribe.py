"""The unsubscribe link of promotional email (PT-10.8), at ``/u/<signed token>/``: no login, the signed token is the
authority. A POST opts the address out of the channel at once: the RFC 8058 one-click POST from the mail client
(``List-Unsubscribe=One-Click``, no CSRF token possible) or the confirm button of the page. A GET only shows that
page (mail scanners prefetch links, so a GET changes nothing), in the organisation's language."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from trunkline.core.errors import DomainError
from trunkline.inbox.services.email import email_unsubscribe, unsubscribe_of


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        channel, address = unsubscribe_of(token)
    except DomainError as error:
        return render(request, "inbox/unsubscribe.html", {"error": error.message}, status=error.http_status)
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    with translation.override(channel.organization.language or "en"):
        context = {"organization": channel.organization.name, "address": address}
        if request.method == "GET":
            return render(request, "inbox/unsubscribe.html", context)
        email_unsubscribe(token=token, source="email:one-click" if one_click else "email:unsubscribe-page")
        if one_click:
            return HttpResponse("", status=200)
        return render(request, "inbox/unsubscribe.html", {**context, "done": True})
