"""Notices that follow other contexts' events."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from trunkline.notifications.services import notice_send
from trunkline.tenancy.events import organization_status_changed
from trunkline.tenancy.models import Organization


@receiver(organization_status_changed)
def organization_status_notice(
    sender: Any,
    *,
    organization: Organization,
    previous_status: str,
    status: str,
    reason: str,
    ctx: Any = None,
    **kwargs: Any,
) -> None:
    """Suspension, reactivation and termination are announced to the organisation's account email."""
    if not organization.email or status == previous_status:
        return
    if status == "active" and previous_status != "suspended":
        return  # the start of a contract is announced by registration or provisioning, not here
    notice_send(
        organization=organization,
        kind=f"organization.{status}",
        ctx=ctx,
        context={"reason": reason, "previous_status": previous_status},
    )
