from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from trunkline.audit.models import AuditEvent
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError

AUDIT_ORDERINGS = ("created_at", "-created_at", "action", "-action")


def audit_event_list(
    *,
    ctx: RequestContext,
    action: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    all_organizations: bool = False,
) -> QuerySet[AuditEvent]:
    """An organisation's own events; operator staff may ask for every organisation's."""
    require_scope(ctx, "audit:read")
    events = AuditEvent.objects.select_related("organization")
    if not (all_organizations and ctx.is_operator and ctx.has_scope("ops:read")):
        events = events.for_org(ctx.organization)
    if action:
        events = events.filter(action__startswith=action)
    if target_id:
        events = events.filter(target_id=target_id)
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lt=until)
    return events


def audit_event_get(*, ctx: RequestContext, public_id: UUID) -> AuditEvent:
    visible = audit_event_list(ctx=ctx, all_organizations=True)
    try:
        return visible.get(public_id=public_id)
    except (AuditEvent.DoesNotExist, ValueError):
        raise NotFoundError() from None
