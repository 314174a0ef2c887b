"""What billing does when other contexts change: on a reseller's termination every unpaid amount falls due at once
and nothing is refunded (RT-8.3)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from trunkline.billing.services.termination import invoices_due_at_once
from trunkline.tenancy.events import organization_status_changed


@receiver(organization_status_changed, dispatch_uid="billing.termination")
def on_termination(sender: Any, organization: Any, status: str, ctx: Any, **kwargs: Any) -> None:
    if status == "terminated":
        invoices_due_at_once(ctx=ctx, organization=organization)
