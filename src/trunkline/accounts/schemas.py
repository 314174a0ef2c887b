from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import EmailStr, Field


class MembershipOfMeOut(Schema):
    organization_id: UUID = Field(alias="organization.public_id")
    organization_name: str = Field(alias="organization.name")
    organization_kind: str = Field(alias="organization.kind")
    role: str


class MeOut(Schema):
    id: UUID = Field(alias="public_id")
    email: str
    first_name: str
    last_name: str
    language: str
    time_zone: str
    acting_organization_id: UUID
    scopes: list[str]
    memberships: list[MembershipOfMeOut]


class MeUpdateIn(Schema):
    language: str | None = Field(None, pattern="^(en|bg)$")
    time_zone: str | None = None


class MembershipOut(Schema):
    id: UUID = Field(alias="public_id")
    email: str = Field(alias="user.email")
    first_name: str = Field(alias="user.first_name")
    last_name: str = Field(alias="user.last_name")
    role: str
    is_active: bool
    invitation_sent_at: datetime | None
    created_at: datetime


class MembershipCreateIn(Schema):
    email: EmailStr
    role: str
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)


class MembershipUpdateIn(Schema):
    role: str


class ApiKeyOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The secret. Shown only in this response; store it now.")


class ApiKeyCreateIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1)
