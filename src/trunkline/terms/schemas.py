from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class VersionOut(Schema):
    id: UUID = Field(alias="public_id")
    number: int
    language: str
    sha256: str
    effective_at: datetime
    published_at: datetime


class DocumentOut(Schema):
    id: UUID = Field(alias="public_id")
    slug: str
    title: str
    title_bg: str
    kind: str
    audience: str
    url: str
    current_version: VersionOut | None = Field(description="The version in force, in your organisation's language.")


class DocumentCreateIn(Schema):
    slug: str = Field(examples=["acceptable-use"], description="The page will be /terms/<slug>/.")
    title: str
    kind: str = Field(
        "other", description="reseller_terms, platform_terms, privacy_notice, data_processing_annex, other"
    )
    audience: str = Field(description="reseller, customer or all")


class VersionPublishIn(Schema):
    document_id: UUID
    language: str = Field(examples=["bg"], description="bg or en")
    text: str = Field(description="Markdown, stored and hashed exactly as sent.")
    effective_at: datetime | None = Field(None, description="Required for a new version; not for a translation.")
    number: int | None = Field(None, description="Give a version number to add its text in another language.")


class VersionPublishedOut(VersionOut):
    document_slug: str = Field(alias="document.slug")
    url: str


class StatusOut(Schema):
    document: str = Field(description="The document's slug.")
    kind: str
    version_id: UUID | None
    number: int | None
    accepted: bool
    accepted_at: datetime | None
    method: str | None


class AcceptanceOut(Schema):
    id: UUID = Field(alias="public_id")
    organization_id: UUID = Field(alias="organization.public_id")
    document: str = Field(alias="version.document.slug")
    version_id: UUID = Field(alias="version.public_id")
    number: int = Field(alias="version.number")
    language: str = Field(alias="version.language")
    sha256: str
    method: str
    person: str = Field(alias="person_label")
    signatory: str
    reference: str
    recorded_by: str = Field(alias="recorded_by_label")
    accepted_at: datetime
    ip: str | None
    user_agent: str


class AcceptanceFilterIn(Schema):
    organization_id: UUID | None = Field(None, description="Operator staff only: one organisation's evidence.")
    document: str | None = Field(None, description="A document's slug.")
    method: str | None = None


class ObjectionIn(Schema):
    version_id: UUID
    note: str = Field("", max_length=2000)


class ObjectionOut(Schema):
    id: UUID = Field(alias="public_id")
    organization_id: UUID = Field(alias="organization.public_id")
    document: str = Field(alias="version.document.slug")
    version_id: UUID = Field(alias="version.public_id")
    number: int = Field(alias="version.number")
    channel: str
    note: str
    objected_at: datetime
