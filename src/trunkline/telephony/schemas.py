from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import Field


class BusinessNumberOut(Schema):
    id: UUID = Field(alias="public_id")
    number: str
    destination: str
    position: int
    ring_seconds: int


class UserNumberOut(Schema):
    id: UUID = Field(alias="public_id")
    number: str
    label: str
    source: str
    is_active: bool
    business_numbers: list[BusinessNumberOut]

    @staticmethod
    def resolve_business_numbers(obj: object) -> list[object]:
        return list(obj.business_numbers.all())  # type: ignore[attr-defined]


class UserNumberIn(Schema):
    number: str = Field(min_length=3, max_length=32, examples=["+35970010001"])
    label: str = Field("", max_length=100)
    source: str = Field("operator", description="operator: provided by the operator; customer: your own number.")


class BusinessNumberIn(Schema):
    number: str = Field(min_length=3, max_length=32, examples=["+35928880001"])
    destination: str = Field("", description="One of your trunk addresses; empty to reach it through the carrier.")
    ring_seconds: int | None = Field(None, ge=1, le=300)


class BusinessNumberUpdateIn(Schema):
    ring_seconds: int | None = Field(None, ge=1, le=300)
    destination: str | None = None


class HuntOrderIn(Schema):
    order: list[UUID] = Field(description="Every business number of the User Number, in the order to ring them.")


class TrunkOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    addresses: list[str]
    calling_numbers: list[str]
    is_active: bool


class TrunkIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    addresses: list[str] = Field(examples=[["203.0.113.10"]])
    calling_numbers: list[str] = Field(examples=[["35921234567", "3592888*"]])


class TrunkUpdateIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    addresses: list[str] | None = None
    calling_numbers: list[str] | None = None


class CallAttemptOut(Schema):
    position: int
    number: str
    sip_code: int
    outcome: str


class CallOut(Schema):
    id: UUID = Field(alias="public_id")
    call_id: str
    direction: str
    a_number: str
    b_number: str
    user_number: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    disposition: str
    sip_code: int | None
    reason: str
    answered_by: str
    duration_seconds: int
    attempts: list[CallAttemptOut]

    @staticmethod
    def resolve_user_number(obj: object) -> str | None:
        user_number = obj.user_number  # type: ignore[attr-defined]
        return user_number.number if user_number else None

    @staticmethod
    def resolve_attempts(obj: object) -> list[object]:
        return list(obj.attempts.all())  # type: ignore[attr-defined]


class TallyOut(Schema):
    calls: int
    answered: int
    missed: int
    busy: int
    failed: int
    talk_seconds: int
    asr: Decimal | None = Field(description="Answered calls as a percentage of calls.")
    acd: Decimal | None = Field(description="Average duration of answered calls, seconds.")


class BucketOut(TallyOut):
    label: str


class StatisticsOut(Schema):
    zone: str
    group: str
    total: TallyOut
    buckets: list[BucketOut]
    by_user_number: list[BucketOut]
    by_business_number: list[BucketOut]
    rejected: int


class ConfigurationRequestOut(Schema):
    id: UUID = Field(alias="public_id")
    details: str
    status: str
    information_complete_at: datetime | None
    working_days: int | None
    due_on: date | None
    completed_at: datetime | None
    created_at: datetime


class ConfigurationRequestIn(Schema):
    details: str = Field(min_length=1, max_length=5000)


class BandwidthOut(Schema):
    ip_phone_lines: int
    web_phone_lines: int
    ip_phone_kbits: int
    web_phone_kbits: int
    total_kbits: int
