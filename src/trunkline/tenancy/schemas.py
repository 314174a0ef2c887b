from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import EmailStr, Field


class OrganizationOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    kind: str
    status: str
    status_reason: str
    country: str
    time_zone: str
    language: str
    created_at: datetime


class OrganizationUpdateIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    time_zone: str | None = None
    language: str | None = None
    email: EmailStr | None = None
