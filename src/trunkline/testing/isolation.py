"""What the cross-organisation walk needs to know about each path parameter: how to make an object of that kind
in a given organisation. Every app that adds an endpoint with a new ``{..._id}`` parameter registers a maker here;
the walk fails for a parameter nobody registered, so no endpoint escapes the check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from trunkline.accounts.models import ApiKey
from trunkline.audit.services import audit_record
from trunkline.notifications.services import notice_send
from trunkline.tenancy.models import Membership
from trunkline.testing.factories import api_key_for, ctx_for, member

ObjectMaker = Callable[[Membership], Any]


def _api_key(owner: Membership) -> Any:
    plaintext = api_key_for(owner, ["organization:read"])
    return ApiKey.objects.get(prefix=plaintext.split("_")[1]).public_id


def _membership(owner: Membership) -> Any:
    return member(organization=owner.organization, role="agent").public_id


def _notice(owner: Membership) -> Any:
    owner.organization.email = owner.organization.email or "office@example.com"
    owner.organization.save(update_fields=["email"])
    [notice] = notice_send(organization=owner.organization, kind="organization.suspended", context={"reason": "test"})
    return notice.public_id


def _audit_event(owner: Membership) -> Any:
    with transaction.atomic():
        return audit_record(ctx=ctx_for(owner), action="test.isolation").public_id


OBJECT_MAKERS: dict[str, ObjectMaker] = {
    "organization_id": lambda owner: owner.organization.public_id,
    "membership_id": _membership,
    "api_key_id": _api_key,
    "audit_event_id": _audit_event,
    "notice_id": _notice,
}

# Request bodies that pass validation, so the walk reaches the object lookup (a 422 would hide a leak).
VALID_BODIES: dict[str, dict[str, Any]] = {
    "organization_update": {"name": "Intruder"},
    "membership_change_role": {"role": "agent"},
}

# Operations that answer without authentication, on purpose.
PUBLIC_OPERATIONS: set[str] = set()
