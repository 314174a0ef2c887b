from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class NoticeEventOut(Schema):
    status: str
    detail: str
    at: datetime


class NoticeOut(Schema):
    id: UUID = Field(alias="public_id")
    organization_id: UUID = Field(alias="organization.public_id")
    kind: str
    recipient: str
    language: str
    subject: str
    body: str
    status: str
    attempts: int
    sent_at: datetime | None
    acknowledged_at: datetime | None
    created_at: datetime
    events: list[NoticeEventOut]


class NoticeFilterIn(Schema):
    organization_id: UUID | None = Field(None, description="Operator staff only: one organisation's notices.")
    kind: str | None = None
    status: str | None = None
