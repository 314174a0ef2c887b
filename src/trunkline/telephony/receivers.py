"""Telephony listens to the organisation lifecycle: a suspended or terminated organisation's calls are refused by the
edge from the next call on, so the routing snapshot is republished when an organisation's status changes."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from trunkline.telephony.services.routing import publish_after_commit
from trunkline.tenancy.events import organization_status_changed


@receiver(organization_status_changed, dispatch_uid="telephony.republish_on_status")
def republish_on_status_change(sender: Any, **kwargs: Any) -> None:
    publish_after_commit()
