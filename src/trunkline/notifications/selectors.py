from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError
from trunkline.notifications.models import Notice


def notice_list(*, ctx: RequestContext, organization_id: UUID | None = None) -> QuerySet[Notice]:
    """The notices sent to the acting organisation; operator staff may read any organisation's log."""
    require_scope(ctx, "organization:read")
    notices = Notice.objects.select_related("organization").prefetch_related("events")
    if ctx.is_operator and ctx.has_scope("ops:read"):
        return notices.filter(organization__public_id=organization_id) if organization_id else notices
    return notices.for_org(ctx.organization)


def notice_get(*, ctx: RequestContext, public_id: UUID) -> Notice:
    try:
        return notice_list(ctx=ctx).get(public_id=public_id)
    except Notice.DoesNotExist:
        raise NotFoundError() from None
