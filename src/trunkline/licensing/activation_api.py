"""The activation API at /licensing/v1/, called by the softphone. The license key is the credential
(``License-Key`` header). Every response — errors included — is signed with the vendor's Ed25519 key over the method,
path, host, date and body digest, so the client detects tampering and replay (echo of ``nonce``)."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Status
from ninja.security import APIKeyHeader

from trunkline.core import clock
from trunkline.core.api import ERROR_RESPONSES, ErrorOut, install_error_handlers
from trunkline.core.middleware import client_ip
from trunkline.licensing import signing
from trunkline.licensing.domain.certificates import response_signature
from trunkline.licensing.domain.weeks import next_week_starts_at
from trunkline.licensing.errors import RateLimitedError
from trunkline.licensing.schemas import (
    ActivateIn,
    CertificateOut,
    DeviceIn,
    PublicKeyOut,
    ResetIn,
    ResetOut,
    UpdatesIn,
    UpdatesOut,
    ValidationOut,
)
from trunkline.licensing.services import (
    Caller,
    Certified,
    Validation,
    activation_activate,
    activation_deactivate,
    activation_refresh,
    activation_reset,
    activation_updates,
    activation_validate,
)
from trunkline.licensing.throttle import throttle


class LicenseKey(APIKeyHeader):
    """The license key, sent as ``License-Key: XXXXX-XXXXX-XXXXX-XXXXX-XXXXX``."""

    param_name = "License-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> str | None:
        return key.strip() if key and key.strip() else None


class SignedNinjaAPI(NinjaAPI):
    def create_response(self, request: HttpRequest, data: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().create_response(request, data, *args, **kwargs)
        return sign(request, response)


def sign(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    headers = response_signature(
        private_key=signing.signing_key(),
        method=request.method or "GET",
        target=request.get_full_path(),
        host=request.get_host(),
        date=format_datetime(clock.now(), usegmt=True),
        body=response.content,
        kid=signing.public_key_id(),
    )
    for name, value in headers.items():
        response[name] = value
    return response


api = SignedNinjaAPI(
    title="Trunkline activation API",
    version="1",
    description=(
        "Called by the softphone. Send the license key in the `License-Key` header. Every response carries `Date`, "
        "`Digest` and `Trunkline-Signature` (Ed25519 over `(request-target) host date digest`); verify it with the "
        "vendor's public key (`GET /licensing/v1/public-key`). Refusals are `{code, message, detail}` with codes "
        "such as `already_active_on_another_device`, `expired`, `disabled`, `reset_limit_reached`."
    ),
    auth=LicenseKey(),
    urls_namespace="licensing_api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)


def _key(request: HttpRequest) -> str:
    return str(getattr(request, "auth", ""))


THROTTLED_SCOPE_KEY = "trunkline.licensing.throttled"


def _throttle(request: HttpRequest, action: str) -> None:
    """Count this request against the action's rates, unless the ASGI fast lane (``licensing.asgi``) already counted
    it before handing the request on (then repeat its verdict)."""
    scope = getattr(request, "scope", None) or {}
    if THROTTLED_SCOPE_KEY in scope:
        if scope[THROTTLED_SCOPE_KEY] is not None:
            raise RateLimitedError(seconds=scope[THROTTLED_SCOPE_KEY])
        return
    throttle(action, key=_key(request), ip=client_ip(request))


def _caller(request: HttpRequest) -> Caller:
    return Caller(ip=client_ip(request), user_agent=request.headers.get("User-Agent", "")[:500])


def certificate_out(certified: Certified, nonce: int | None) -> dict[str, Any]:
    return {
        "license_id": certified.license_id,
        "activation_id": certified.activation_id,
        "type": certified.kind,
        "product": certified.product,
        "certificate": certified.certificate,
        "expires_at": certified.expires_at,
        "nonce": nonce,
        "ts": clock.now(),
    }


@api.get("/public-key", auth=None, response={200: PublicKeyOut}, operation_id="licensing_public_key", tags=["keys"])
def public_key_api(request: HttpRequest) -> dict[str, str]:
    """The vendor's Ed25519 public key, to pin in the product (fetch it once, at build time)."""
    return {"key_id": signing.public_key_id(), "algorithm": "ed25519", "public_key_pem": signing.public_key_pem()}


@api.post(
    "/activate",
    response={201: CertificateOut, 429: ErrorOut, **ERROR_RESPONSES},
    operation_id="licensing_activate",
    tags=["activation"],
)
def activate_api(request: HttpRequest, payload: ActivateIn):
    """Bind the license to this device and get a signed certificate; the same device again is idempotent."""
    _throttle(request, "activate")
    certified = activation_activate(
        key=_key(request),
        fingerprint=payload.fingerprint,
        device_name=payload.device_name,
        product_version=payload.product_version,
        caller=_caller(request),
    )
    return Status(201, certificate_out(certified, payload.nonce))


@api.post(
    "/validate",
    response={200: ValidationOut, 429: ErrorOut, **ERROR_RESPONSES},
    operation_id="licensing_validate",
    tags=["activation"],
)
def validate_api(request: HttpRequest, payload: DeviceIn) -> dict[str, Any]:
    """Valid on this device, or a code: ``not_found``, ``expired``, ``disabled``, ``not_activated_on_this_device``."""
    _throttle(request, "validate")
    return validation_out(activation_validate(key=_key(request), fingerprint=payload.fingerprint), payload.nonce)


def validation_out(result: Validation, nonce: int | None) -> dict[str, Any]:
    return {
        "valid": result.valid,
        "code": result.code,
        "message": result.message,
        "license_id": result.license_id,
        "type": result.kind,
        "expires_at": result.expires_at,
        "nonce": nonce,
        "ts": clock.now(),
    }


@api.post(
    "/refresh",
    response={200: CertificateOut, 429: ErrorOut, **ERROR_RESPONSES},
    operation_id="licensing_refresh",
    tags=["activation"],
)
def refresh_api(request: HttpRequest, payload: DeviceIn) -> dict[str, Any]:
    """A fresh certificate for this device (refused while the license is disabled or expired)."""
    _throttle(request, "refresh")
    return certificate_out(activation_refresh(key=_key(request), fingerprint=payload.fingerprint), payload.nonce)


def _reset_out(reset: Any, nonce: int | None) -> dict[str, Any]:
    zone = str(reset.policy.get("reset_time_zone") or "Europe/Sofia")
    return {
        "code": reset.activation.ended_reason or "reset",
        "reset_at": reset.at,
        "next_reset_at": next_week_starts_at(reset.at, zone),
        "nonce": nonce,
        "ts": clock.now(),
    }


@api.post(
    "/reset",
    response={200: ResetOut, 429: ErrorOut, **ERROR_RESPONSES},
    operation_id="licensing_reset",
    tags=["activation"],
)
def reset_api(request: HttpRequest, payload: ResetIn) -> dict[str, Any]:
    """Free the device to activate on another one: online activations only, once per ISO week (Europe/Sofia)."""
    _throttle(request, "reset")
    reset = activation_reset(key=_key(request), fingerprint=payload.fingerprint, caller=_caller(request))
    reset.activation.refresh_from_db()
    return _reset_out(reset, payload.nonce)


@api.post(
    "/deactivate",
    response={200: ResetOut, 429: ErrorOut, **ERROR_RESPONSES},
    operation_id="licensing_deactivate",
    tags=["activation"],
)
def deactivate_api(request: HttpRequest, payload: DeviceIn) -> dict[str, Any]:
    """Deactivate this device; it counts as the week's reset."""
    _throttle(request, "reset")
    reset = activation_deactivate(key=_key(request), fingerprint=payload.fingerprint, caller=_caller(request))
    reset.activation.refresh_from_db()
    return _reset_out(reset, payload.nonce)


@api.post(
    "/updates",
    response={200: UpdatesOut, 429: ErrorOut, **ERROR_RESPONSES},
    operation_id="licensing_updates",
    tags=["activation"],
)
def updates_api(request: HttpRequest, payload: UpdatesIn) -> dict[str, Any]:
    """May this license install ``version``? Refused (``updates_not_allowed``) after the reseller's termination."""
    _throttle(request, "updates")
    result = activation_updates(key=_key(request), fingerprint=payload.fingerprint, version=payload.version)
    return {
        "allowed": result.valid,
        "code": result.code,
        "message": result.message,
        "nonce": payload.nonce,
        "ts": clock.now(),
    }
