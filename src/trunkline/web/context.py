from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from trunkline.tenancy.selectors import organization_list_for_user


def surface(request: HttpRequest) -> dict[str, Any]:
    """What the base template needs on every page: the surface, the acting organisation, the others to switch to."""
    ctx = getattr(request, "ctx", None)
    user = getattr(request, "user", None)
    organizations = list(organization_list_for_user(user=user)) if user is not None and user.is_authenticated else []
    return {
        "ctx": ctx,
        "surface": getattr(request, "surface", None),
        "switchable_organizations": organizations,
        "operator_name": settings.OPERATOR_NAME,
    }
