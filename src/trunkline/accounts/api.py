from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from trunkline.accounts.models import ApiKey
from trunkline.accounts.schemas import (
    ApiKeyCreatedOut,
    ApiKeyCreateIn,
    ApiKeyOut,
    MembershipCreateIn,
    MembershipOut,
    MembershipUpdateIn,
    MeOut,
    MeUpdateIn,
)
from trunkline.accounts.services import (
    api_key_create,
    api_key_revoke,
    membership_add,
    membership_change_role,
    membership_remove,
    user_preferences_update,
)
from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import ForbiddenError
from trunkline.tenancy.models import Membership
from trunkline.tenancy.selectors import membership_get, membership_list

router = Router(tags=["people"])


def _me(ctx: RequestContext) -> dict:
    if ctx.user is None:
        raise ForbiddenError("An API key acts for an organisation, not a person; /me needs a signed-in user.")
    user = ctx.user
    return {
        "public_id": user.public_id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "time_zone": user.time_zone,
        "acting_organization_id": ctx.organization.public_id,
        "scopes": sorted(ctx.scopes),
        "memberships": list(Membership.objects.filter(user=user, is_active=True).select_related("organization")),
    }


@router.get("/me", response={200: MeOut, **ERROR_RESPONSES}, operation_id="me_get", summary="Who am I")
def me_get_api(request: HttpRequest):
    """The signed-in person, the organisation they act for and their scopes there."""
    return _me(ctx_of(request))


@router.patch(
    "/me", response={200: MeOut, **ERROR_RESPONSES}, operation_id="me_update", summary="Update my preferences"
)
def me_update_api(request: HttpRequest, payload: MeUpdateIn):
    ctx = ctx_of(request)
    if ctx.user is None:
        raise ForbiddenError("An API key acts for an organisation, not a person; /me needs a signed-in user.")
    user_preferences_update(user=ctx.user, **payload.dict(exclude_none=True))
    return _me(ctx)


@router.get(
    "/memberships",
    response={200: Page[MembershipOut], **ERROR_RESPONSES},
    operation_id="membership_list",
    summary="List members",
)
def membership_list_api(request: HttpRequest, params: Query[PageIn], role: str | None = None):
    memberships = membership_list(ctx=ctx_of(request))
    if role:
        memberships = memberships.filter(role=role)
    return paginate(memberships, params, orderings=("created_at", "-created_at", "user__email", "-user__email"))


@router.post(
    "/memberships",
    response={201: MembershipOut, **ERROR_RESPONSES},
    operation_id="membership_add",
    summary="Add a member",
)
def membership_add_api(request: HttpRequest, payload: MembershipCreateIn):
    """Add a person; a newcomer receives a single-use link to set a password."""
    return Status(201, membership_add(ctx=ctx_of(request), **payload.dict()))


@router.get(
    "/memberships/{membership_id}",
    response={200: MembershipOut, **ERROR_RESPONSES},
    operation_id="membership_get",
    summary="Get a member",
)
def membership_get_api(request: HttpRequest, membership_id: UUID):
    ctx = ctx_of(request)
    return membership_get(ctx=ctx, public_id=membership_id)


@router.patch(
    "/memberships/{membership_id}",
    response={200: MembershipOut, **ERROR_RESPONSES},
    operation_id="membership_change_role",
    summary="Change a member's role",
)
def membership_change_role_api(request: HttpRequest, membership_id: UUID, payload: MembershipUpdateIn):
    return membership_change_role(ctx=ctx_of(request), membership_id=membership_id, role=payload.role)


@router.delete(
    "/memberships/{membership_id}",
    response={204: None, **ERROR_RESPONSES},
    operation_id="membership_remove",
    summary="Remove a member",
)
def membership_remove_api(request: HttpRequest, membership_id: UUID):
    membership_remove(ctx=ctx_of(request), membership_id=membership_id)
    return Status(204, None)


@router.get(
    "/api-keys",
    response={200: Page[ApiKeyOut], **ERROR_RESPONSES},
    operation_id="api_key_list",
    summary="List API keys",
)
def api_key_list_api(request: HttpRequest, params: Query[PageIn]):
    ctx = ctx_of(request)
    require_scope(ctx, "api_keys:manage")
    return paginate(ApiKey.objects.for_org(ctx.organization), params, orderings=("created_at", "-created_at", "name"))


@router.post(
    "/api-keys",
    response={201: ApiKeyCreatedOut, **ERROR_RESPONSES},
    operation_id="api_key_create",
    summary="Create an API key",
)
def api_key_create_api(request: HttpRequest, payload: ApiKeyCreateIn):
    """Create a key with some of your own scopes. The secret is in this response only."""
    api_key, plaintext = api_key_create(ctx=ctx_of(request), name=payload.name, scopes=payload.scopes)
    api_key.key = plaintext  # type: ignore[attr-defined]
    return Status(201, api_key)


@router.get(
    "/api-keys/{api_key_id}",
    response={200: ApiKeyOut, **ERROR_RESPONSES},
    operation_id="api_key_get",
    summary="Get an API key",
)
def api_key_get_api(request: HttpRequest, api_key_id: UUID):
    ctx = ctx_of(request)
    require_scope(ctx, "api_keys:manage")
    return ApiKey.objects.get_for_org(ctx.organization, public_id=api_key_id)


@router.post(
    "/api-keys/{api_key_id}/revoke",
    response={200: ApiKeyOut, **ERROR_RESPONSES},
    operation_id="api_key_revoke",
    summary="Revoke an API key",
)
def api_key_revoke_api(request: HttpRequest, api_key_id: UUID):
    """Revoke a key at once; calls made with it answer 401 from now on."""
    return api_key_revoke(ctx=ctx_of(request), api_key_id=api_key_id)
