from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import Field


class AuditEventOut(Schema):
    id: UUID = Field(alias="public_id")
    organization_id: UUID | None = Field(None, alias="organization.public_id")
    actor: str = Field(alias="actor_label")
    action: str
    target_type: str
    target_id: str
    target_label: str
    changes: dict[str, Any]
    ip: str | None
    request_id: str
    created_at: datetime


class AuditEventFilterIn(Schema):
    action: str | None = Field(None, description="Events whose action starts with this, e.g. api_key.")
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    all_organizations: bool = Field(False, description="Operator staff only: events of every organisation.")
