from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.core.errors import NotFoundError
from trunkline.tenancy.schemas import OrganizationOut, OrganizationUpdateIn
from trunkline.tenancy.selectors import organization_get, organization_list
from trunkline.tenancy.services import organization_update

router = Router(tags=["organizations"])


@router.get(
    "/organizations",
    response={200: Page[OrganizationOut], **ERROR_RESPONSES},
    operation_id="organization_list",
    summary="List organisations",
)
def organization_list_api(request: HttpRequest, params: Query[PageIn], kind: str | None = None):
    """The organisation you act for; operator staff see all of them."""
    organizations = organization_list(ctx=ctx_of(request))
    if kind:
        organizations = organizations.filter(kind=kind)
    return paginate(organizations, params, orderings=("name", "-name", "created_at", "-created_at"))


@router.get(
    "/organizations/{organization_id}",
    response={200: OrganizationOut, **ERROR_RESPONSES},
    operation_id="organization_get",
    summary="Get an organisation",
)
def organization_get_api(request: HttpRequest, organization_id: UUID):
    return organization_get(ctx=ctx_of(request), public_id=organization_id)


@router.patch(
    "/organizations/{organization_id}",
    response={200: OrganizationOut, **ERROR_RESPONSES},
    operation_id="organization_update",
    summary="Update your organisation",
)
def organization_update_api(request: HttpRequest, organization_id: UUID, payload: OrganizationUpdateIn):
    """Change the profile of the organisation you act for."""
    ctx = ctx_of(request)
    if ctx.organization.public_id != organization_id:
        raise NotFoundError()
    return organization_update(ctx=ctx, **payload.dict(exclude_unset=True, exclude_none=True))
