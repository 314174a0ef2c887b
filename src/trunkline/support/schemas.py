"""Input and output shapes of the support API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class DeadlineOut(Schema):
    milestone: str = Field(description="response, restoration or solution")
    target: str = Field(examples=["8 h"])
    due_at: datetime | None = Field(description="Null before the clock starts and while it is paused.")
    met_at: datetime | None
    breached_at: datetime | None


class AttachmentOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: UUID = Field(alias="public_id")
    author_name: str
    is_staff: bool
    is_internal: bool
    body: str
    at: datetime
    attachments: list[AttachmentOut]


class TicketOut(Schema):
    id: UUID
    number: int
    reference: str
    subject: str
    priority: str
    status: str
    service: str | None
    escalation_step: str
    channel: str
    representative_name: str
    received_at: datetime
    complete_at: datetime | None = Field(description="When the complete description arrived (PT-7.3).")
    clock_starts_at: datetime | None = Field(description="When the SLA clock starts counting (PT-7.1).")
    next_due_at: datetime | None
    deadlines: list[DeadlineOut]


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]


class TicketOpenIn(Schema):
    subject: str = Field(max_length=200)
    description: str = Field(description="What happens, since when, for whom: the complete written description.")
    priority: str = Field(examples=["high"], description="critical, high, medium or low (PT-7.6 guidance).")
    service: str | None = Field(None, description="Code of the affected service, e.g. telephony.")
    escalation_step: str = Field("help_desk", description="Step of the escalation path reached (PT-7.5).")


class MessageIn(Schema):
    body: str
    is_internal: bool = Field(False, description="Operator staff only: an internal note.")


class EscalateIn(Schema):
    step: str = Field(examples=["help_desk"])


class StatusIn(Schema):
    status: str = Field(examples=["waiting"])
    detail: str = ""


class RepresentativeOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    email: str
    phone: str
    is_active: bool


class MaintenanceIn(Schema):
    title_en: str
    title_bg: str
    text_en: str
    text_bg: str
    services: list[str] = Field(examples=[["telephony"]])
    starts_at: datetime
    ends_at: datetime | None = None


class MaintenanceOut(Schema):
    id: UUID = Field(alias="public_id")
    kind: str
    title_en: str
    title_bg: str
    starts_at: datetime
    ends_at: datetime | None
    status: str
    notice_sent_at: datetime | None
    notified_organizations: int
