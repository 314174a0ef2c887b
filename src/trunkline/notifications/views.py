from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from trunkline.core.errors import DomainError
from trunkline.core.middleware import client_ip
from trunkline.notifications.services import notice_acknowledge


@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the button (mail scanners prefetch links, so reading is never recorded by a GET); POST records it."""
    if request.method == "GET":
        return render(request, "notifications/acknowledge.html", {"token": token})
    try:
        notice = notice_acknowledge(token=token, ip=client_ip(request))
    except DomainError as error:
        return render(request, "notifications/acknowledge.html", {"error": error.message}, status=error.http_status)
    return render(request, "notifications/acknowledge.html", {"notice": notice})
