from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models, transaction

from trunkline.audit.models import AuditEvent
from trunkline.core import clock
from trunkline.core.context import RequestContext


def audit_record(
    *,
    ctx: RequestContext | None,
    action: str,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    organization: Any = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the service's transaction, so the event and the change land together."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction.")
    return AuditEvent.objects.create(
        organization=organization if organization is not None else (ctx.organization if ctx else None),
        actor=ctx.user if ctx else None,
        actor_label=ctx.actor_label if ctx else "system",
        api_key_id=ctx.api_key_id if ctx else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(getattr(target, "public_id", None) or getattr(target, "pk", "")) if target is not None else "",
        target_label=str(target)[:300] if target is not None else "",
        changes=changes or {},
        ip=ctx.ip if ctx else None,
        user_agent=(ctx.user_agent if ctx else "")[:500],
        request_id=ctx.request_id if ctx else "",
        created_at=at or clock.now(),
    )
