from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.notifications.schemas import NoticeFilterIn, NoticeOut
from trunkline.notifications.selectors import notice_get, notice_list

router = Router(tags=["notices"])


@router.get(
    "/notices", response={200: Page[NoticeOut], **ERROR_RESPONSES}, operation_id="notice_list", summary="List notices"
)
def notice_list_api(request: HttpRequest, params: Query[PageIn], filters: Query[NoticeFilterIn]):
    """Notices sent to your organisation, with their delivery log and acknowledgement (PT-27)."""
    notices = notice_list(ctx=ctx_of(request), organization_id=filters.organization_id)
    if filters.kind:
        notices = notices.filter(kind=filters.kind)
    if filters.status:
        notices = notices.filter(status=filters.status)
    return paginate(notices, params, orderings=("created_at", "-created_at", "sent_at", "-sent_at"))


@router.get(
    "/notices/{notice_id}",
    response={200: NoticeOut, **ERROR_RESPONSES},
    operation_id="notice_get",
    summary="Get a notice",
)
def notice_get_api(request: HttpRequest, notice_id: UUID):
    return notice_get(ctx=ctx_of(request), public_id=notice_id)
