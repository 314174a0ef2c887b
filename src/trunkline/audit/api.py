from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from trunkline.audit.schemas import AuditEventFilterIn, AuditEventOut
from trunkline.audit.selectors import AUDIT_ORDERINGS, audit_event_get, audit_event_list
from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate

router = Router(tags=["audit"])


@router.get(
    "/audit-events",
    response={200: Page[AuditEventOut], **ERROR_RESPONSES},
    operation_id="audit_event_list",
    summary="List audit events",
)
def audit_event_list_api(request: HttpRequest, params: Query[PageIn], filters: Query[AuditEventFilterIn]):
    """The audit trail of the organisation you act for, newest first."""
    events = audit_event_list(ctx=ctx_of(request), **filters.dict())
    return paginate(events, params, orderings=AUDIT_ORDERINGS)


@router.get(
    "/audit-events/{audit_event_id}",
    response={200: AuditEventOut, **ERROR_RESPONSES},
    operation_id="audit_event_get",
    summary="Get an audit event",
)
def audit_event_get_api(request: HttpRequest, audit_event_id: UUID):
    return audit_event_get(ctx=ctx_of(request), public_id=audit_event_id)
