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
    vat_number: str
    address: str
    created_at: datetime


class OrganizationUpdateIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    time_zone: str | None = None
    language: str | None = None
    email: EmailStr | None = None
    vat_number: str | None = Field(None, max_length=20, description="EU VAT number, e.g. BG175074752")
    address: str | None = Field(None, max_length=500, description="Registered address, as printed on invoices")
