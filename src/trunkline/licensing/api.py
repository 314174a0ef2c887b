"""The reseller's and the operator's licensing API inside /api/v1/: pools, end users, assignment, Test Licenses, and
staff actions (test allotments, reset overrides, disable all)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.core.errors import NotFoundError
from trunkline.licensing.models import License, Pool
from trunkline.licensing.schemas import (
    AllotmentIn,
    AssignedOut,
    AssignIn,
    CountOut,
    EndUserIn,
    EndUserOut,
    LicenseOut,
    PoolOut,
    ReasonIn,
)
from trunkline.licensing.selectors import end_user_get, end_user_list, license_get, pool_list, reseller_get
from trunkline.licensing.services import (
    end_user_create,
    license_assign,
    license_key_reissue,
    license_reset_override,
    license_test_assign,
    licenses_disable_all,
    licenses_enable_all,
    pool_test_allotment_grant,
)

router = Router(tags=["licensing"])


def pool_out(pool: Pool) -> dict[str, Any]:
    return {
        "pool_id": pool.public_id,
        "product_id": pool.product.public_id,
        "product_code": pool.product.code,
        "purchased": pool.purchased,
        "assigned": pool.assigned,
        "forfeited": pool.forfeited,
        "available": pool.available,
        "test_allotment": pool.test_allotment,
        "test_assigned": pool.test_assigned,
        "test_available": pool.test_available,
    }


def end_user_out(end_user: Any) -> dict[str, Any]:
    return {
        "end_user_id": end_user.public_id,
        "name": end_user.name,
        "email": end_user.email,
        "phone": end_user.phone,
        "address": end_user.address,
        "is_affiliated": end_user.is_affiliated,
        "external_reference": end_user.external_reference,
        "created_at": end_user.created_at,
    }


def license_out(license: License, key: str | None = None) -> dict[str, Any]:
    out = {
        "license_id": license.public_id,
        "end_user_id": license.end_user.public_id,
        "product_code": license.product.code,
        "kind": license.kind,
        "status": license.status,
        "key_hint": license.key_hint,
        "assigned_at": license.assigned_at,
        "expires_at": license.expires_at,
        "disabled": license.disabled_at is not None,
        "activations": [
            {
                "activation_id": activation.public_id,
                "device_name": activation.device_name,
                "method": activation.method,
                "activated_at": activation.activated_at,
                "ended_at": activation.ended_at,
                "ended_reason": activation.ended_reason,
            }
            for activation in license.activations.all()
        ],
    }
    if key is not None:
        out["key"] = key
    return out


@router.get(
    "/licensing/pools",
    response={200: list[PoolOut], **ERROR_RESPONSES},
    operation_id="licensing_pool_list",
    summary="Your pools",
)
def pool_list_api(request: HttpRequest) -> list[dict[str, Any]]:
    """Per product: purchased (fully paid orders), assigned, forfeited, available, and the Test License allotment."""
    return [pool_out(pool) for pool in pool_list(ctx=ctx_of(request))]


@router.get(
    "/licensing/end-users",
    response={200: Page[EndUserOut], **ERROR_RESPONSES},
    operation_id="licensing_end_user_list",
    summary="Your end users",
)
def end_user_list_api(request: HttpRequest, params: Query[PageIn], q: str = "") -> dict[str, Any]:
    """Search by name, email, phone or your reference with ``q``."""
    page = paginate(end_user_list(ctx=ctx_of(request), query=q), params, orderings=("name", "-created_at", "email"))
    page["items"] = [end_user_out(end_user) for end_user in page["items"]]
    return page


@router.post(
    "/licensing/end-users",
    response={201: EndUserOut, **ERROR_RESPONSES},
    operation_id="licensing_end_user_create",
    summary="Create an end user",
)
def end_user_create_api(request: HttpRequest, payload: EndUserIn):
    """The Affiliated Party flag is required (RT-4.11)."""
    end_user = end_user_create(ctx=ctx_of(request), **payload.dict())
    return Status(201, end_user_out(end_user))


@router.get(
    "/licensing/end-users/{end_user_id}",
    response={200: EndUserOut, **ERROR_RESPONSES},
    operation_id="licensing_end_user_get",
    summary="One end user",
)
def end_user_get_api(request: HttpRequest, end_user_id: UUID) -> dict[str, Any]:
    return end_user_out(end_user_get(ctx=ctx_of(request), public_id=end_user_id))


@router.post(
    "/licensing/end-users/{end_user_id}/licenses",
    response={201: AssignedOut, **ERROR_RESPONSES},
    operation_id="licensing_license_assign",
    summary="Assign an End-Point License",
)
def license_assign_api(request: HttpRequest, end_user_id: UUID, payload: AssignIn):
    """Takes one license from your pool (409 ``licensing.pool_exhausted`` when none is left; 409
    ``licensing.affiliate_cap_exceeded`` beyond the Affiliated Party cap). The key is in this response only."""
    license, key = license_assign(ctx=ctx_of(request), end_user_id=end_user_id, product_id=payload.product_id)
    return Status(201, license_out(license, key))


@router.post(
    "/licensing/end-users/{end_user_id}/test-licenses",
    response={201: AssignedOut, **ERROR_RESPONSES},
    operation_id="licensing_license_test_assign",
    summary="Assign a Test License",
)
def license_test_assign_api(request: HttpRequest, end_user_id: UUID, payload: AssignIn):
    """From your test allotment; valid 14 days; only to end users without an End-Point License; 2 occasions each."""
    license, key = license_test_assign(ctx=ctx_of(request), end_user_id=end_user_id, product_id=payload.product_id)
    return Status(201, license_out(license, key))


@router.post(
    "/licensing/licenses/{license_id}/key",
    response={200: AssignedOut, **ERROR_RESPONSES},
    operation_id="licensing_license_key_reissue",
    summary="Send the end user a new license key",
)
def license_key_reissue_api(request: HttpRequest, license_id: UUID) -> dict[str, Any]:
    """Only the key's hash is stored, so a lost key cannot be sent again: a new key replaces it at once (the old one
    stops working; the device binding stays), is emailed to the end user and is in this response only. Resellers for
    their licenses, operator staff for any; at most ``LICENSING_KEY_REISSUES_PER_DAY`` a day per license (429
    ``licensing.key_reissue_limit``). Audited."""
    ctx = ctx_of(request)
    license, key = license_key_reissue(ctx=ctx, license_id=license_id)
    return license_out(license_get(ctx=ctx, public_id=license.public_id), key)


@router.get(
    "/licensing/licenses/{license_id}",
    response={200: LicenseOut, **ERROR_RESPONSES},
    operation_id="licensing_license_get",
    summary="One license with its activations",
)
def license_get_api(request: HttpRequest, license_id: UUID) -> dict[str, Any]:
    return license_out(license_get(ctx=ctx_of(request), public_id=license_id))


# --- Operator staff ------------------------------------------------------------------------------------------------


def _operator(request: HttpRequest) -> Any:
    ctx = ctx_of(request)
    if not ctx.is_operator:
        raise NotFoundError()  # other kinds do not learn that staff endpoints exist
    return ctx


@router.post(
    "/licensing/licenses/{license_id}/reset-override",
    response={200: LicenseOut, **ERROR_RESPONSES},
    operation_id="licensing_license_reset_override",
    summary="Reset a license beyond the weekly allowance (operator staff)",
)
def license_reset_override_api(request: HttpRequest, license_id: UUID, payload: ReasonIn) -> dict[str, Any]:
    ctx = _operator(request)
    license_reset_override(ctx=ctx, license_id=license_id, reason=payload.reason)
    return license_out(license_get(ctx=ctx, public_id=license_id))


@router.get(
    "/licensing/resellers/{organization_id}/end-users",
    response={200: Page[EndUserOut], **ERROR_RESPONSES},
    operation_id="licensing_reseller_end_user_list",
    summary="A reseller's end users (operator staff)",
)
def reseller_end_user_list_api(
    request: HttpRequest, organization_id: UUID, params: Query[PageIn], q: str = ""
) -> dict[str, Any]:
    ctx = _operator(request)
    reseller = reseller_get(ctx=ctx, public_id=organization_id)
    page = paginate(
        end_user_list(ctx=ctx, query=q, organization=reseller), params, orderings=("name", "-created_at", "email")
    )
    page["items"] = [end_user_out(end_user) for end_user in page["items"]]
    return page


@router.post(
    "/licensing/resellers/{organization_id}/end-users",
    response={201: EndUserOut, **ERROR_RESPONSES},
    operation_id="licensing_reseller_end_user_create",
    summary="Create an end user on a reseller's behalf (operator staff)",
)
def reseller_end_user_create_api(request: HttpRequest, organization_id: UUID, payload: EndUserIn):
    """As the reseller would (RT-4.11: the flag is required); audited with the staff member as the actor and the
    reseller as the organisation. Needs ``ops:manage``."""
    ctx = _operator(request)
    reseller = reseller_get(ctx=ctx, public_id=organization_id)
    return Status(201, end_user_out(end_user_create(ctx=ctx, organization=reseller, **payload.dict())))


@router.post(
    "/licensing/resellers/{organization_id}/end-users/{end_user_id}/licenses",
    response={201: AssignedOut, **ERROR_RESPONSES},
    operation_id="licensing_reseller_license_assign",
    summary="Assign an End-Point License on a reseller's behalf (operator staff)",
)
def reseller_license_assign_api(request: HttpRequest, organization_id: UUID, end_user_id: UUID, payload: AssignIn):
    """From the reseller's pool, under its Affiliated Party cap, exactly as the reseller's own assignment; audited as
    the staff member on behalf of the reseller. The key is in this response only."""
    ctx = _operator(request)
    reseller = reseller_get(ctx=ctx, public_id=organization_id)
    license, key = license_assign(
        ctx=ctx, end_user_id=end_user_id, product_id=payload.product_id, organization=reseller
    )
    return Status(201, license_out(license, key))


@router.post(
    "/licensing/resellers/{organization_id}/end-users/{end_user_id}/test-licenses",
    response={201: AssignedOut, **ERROR_RESPONSES},
    operation_id="licensing_reseller_license_test_assign",
    summary="Assign a Test License on a reseller's behalf (operator staff)",
)
def reseller_license_test_assign_api(request: HttpRequest, organization_id: UUID, end_user_id: UUID, payload: AssignIn):
    """From the reseller's test allotment, under the RT-4.6 rules; audited as the staff member."""
    ctx = _operator(request)
    reseller = reseller_get(ctx=ctx, public_id=organization_id)
    license, key = license_test_assign(
        ctx=ctx, end_user_id=end_user_id, product_id=payload.product_id, organization=reseller
    )
    return Status(201, license_out(license, key))


@router.post(
    "/licensing/resellers/{organization_id}/test-allotments",
    response={200: PoolOut, **ERROR_RESPONSES},
    operation_id="licensing_pool_test_allotment_grant",
    summary="Grant Test Licenses to a reseller (operator staff)",
)
def pool_test_allotment_grant_api(request: HttpRequest, organization_id: UUID, payload: AllotmentIn) -> dict[str, Any]:
    ctx = _operator(request)
    pool = pool_test_allotment_grant(
        ctx=ctx,
        organization_id=organization_id,
        product_id=payload.product_id,
        quantity=payload.quantity,
        reason=payload.reason,
    )
    return pool_out(pool)


@router.post(
    "/licensing/resellers/{organization_id}/disable-all",
    response={200: CountOut, **ERROR_RESPONSES},
    operation_id="licensing_disable_all",
    summary="Disable every license of a reseller (operator staff)",
)
def disable_all_api(request: HttpRequest, organization_id: UUID, payload: ReasonIn) -> dict[str, int]:
    ctx = _operator(request)
    organization = reseller_get(ctx=ctx, public_id=organization_id)
    return {"count": licenses_disable_all(ctx=ctx, organization=organization, reason=payload.reason)}


@router.post(
    "/licensing/resellers/{organization_id}/enable-all",
    response={200: CountOut, **ERROR_RESPONSES},
    operation_id="licensing_enable_all",
    summary="Enable a reseller's licenses again (operator staff)",
)
def enable_all_api(request: HttpRequest, organization_id: UUID, payload: ReasonIn) -> dict[str, int]:
    ctx = _operator(request)
    organization = reseller_get(ctx=ctx, public_id=organization_id)
    return {"count": licenses_enable_all(ctx=ctx, organization=organization, reason=payload.reason)}
