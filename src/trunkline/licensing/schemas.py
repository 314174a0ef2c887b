"""Input and output schemas of the licensing APIs."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

# --- Reseller and operator API (/api/v1/licensing/...) ---------------------------------------------------------------


class PoolOut(Schema):
    pool_id: UUID
    product_id: UUID
    product_code: str
    purchased: int
    assigned: int
    forfeited: int
    available: int
    test_allotment: int
    test_assigned: int
    test_available: int


class EndUserIn(Schema):
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    is_affiliated: bool = Field(description="Required: true for an Affiliated Party, false for an independent one.")
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=500)
    external_reference: str = Field("", max_length=100)


class EndUserOut(Schema):
    end_user_id: UUID
    name: str
    email: str
    phone: str
    address: str
    is_affiliated: bool
    external_reference: str
    created_at: datetime


class AssignIn(Schema):
    product_id: UUID


class ActivationOut(Schema):
    activation_id: UUID
    device_name: str
    method: str
    activated_at: datetime
    ended_at: datetime | None
    ended_reason: str


class LicenseOut(Schema):
    license_id: UUID
    end_user_id: UUID
    product_code: str
    kind: str
    status: str
    key_hint: str
    assigned_at: datetime
    expires_at: datetime | None
    disabled: bool
    activations: list[ActivationOut]


class AssignedOut(LicenseOut):
    key: str = Field(description="Shown once. Only its hash is stored; it is also emailed to the end user.")


class AllotmentIn(Schema):
    product_id: UUID
    quantity: int = Field(ge=1, le=100_000)
    reason: str = Field(min_length=1, max_length=500)


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


class CountOut(Schema):
    count: int


# --- Activation API (/licensing/v1/) -------------------------------------------------------------------------------


class DeviceIn(Schema):
    fingerprint: str = Field(
        min_length=8, max_length=256, description="A stable device identifier, e.g. the SHA-256 of the disk serial."
    )
    nonce: int | None = Field(None, description="Echoed in the signed response, so it cannot be replayed.")


class ActivateIn(DeviceIn):
    device_name: str = Field("", max_length=200)
    product_version: str = Field("", max_length=64)


class ResetIn(Schema):
    fingerprint: str | None = Field(None, min_length=8, max_length=256)
    nonce: int | None = None


class UpdatesIn(DeviceIn):
    version: str = Field(min_length=1, max_length=64)


class CertificateOut(Schema):
    license_id: UUID
    activation_id: UUID
    type: str
    product: str
    certificate: str
    expires_at: datetime
    nonce: int | None
    ts: datetime


class ValidationOut(Schema):
    valid: bool
    code: str
    message: str
    license_id: UUID | None
    type: str | None
    expires_at: datetime | None
    nonce: int | None
    ts: datetime


class ResetOut(Schema):
    code: str
    reset_at: datetime
    next_reset_at: datetime | None
    nonce: int | None
    ts: datetime


class UpdatesOut(Schema):
    allowed: bool
    code: str
    message: str
    nonce: int | None
    ts: datetime


class PublicKeyOut(Schema):
    key_id: str
    algorithm: str
    public_key_pem: str
