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


class CarrierOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    addresses: list[str]
    gateway: str
    is_active: bool


class CarrierIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    addresses: list[str] = Field(examples=[["198.51.100.10"]])
    gateway: str = Field("", description="The address calls to the public network go to; empty for none.")


class OpsConfigurationRequestOut(ConfigurationRequestOut):
    organization: str

    @staticmethod
    def resolve_organization(obj: object) -> str:
        return obj.organization.name  # type: ignore[attr-defined]


class VoiceAssetOut(Schema):
    id: UUID = Field(alias="public_id")
    kind: str = Field(description="greeting (played on answer) or music (played while the call is forwarded).")
    origin: str = Field(description="customer: your own file; operator: recorded by the operator from a text.")
    title: str
    text: str
    status: str
    is_paid: bool
    is_acknowledged: bool
    text_approved_at: datetime | None
    text_rejected_at: datetime | None
    text_feedback: str
    rights_declared_at: datetime | None
    format_report: dict[str, object]
    claim_reason: str
    created_at: datetime


class OpsVoiceAssetOut(VoiceAssetOut):
    organization: str

    @staticmethod
    def resolve_organization(obj: object) -> str:
        return obj.organization.name  # type: ignore[attr-defined]


class VoiceAssetIn(Schema):
    kind: str = Field(pattern="^(greeting|music)$")
    origin: str = Field(pattern="^(customer|operator)$")
    title: str = Field(min_length=1, max_length=200)
    text: str = Field("", max_length=5000, description="For a message the operator records: what it should say.")


class TextFeedbackIn(Schema):
    feedback: str = Field("", max_length=500)


class TextProposalIn(Schema):
    text: str = Field(min_length=1, max_length=5000)


class RightsClaimIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class UserNumberMediaIn(Schema):
    greeting_id: UUID | None = None
    music_id: UUID | None = None


class AfterHoursNumberIn(Schema):
    number: str = Field(min_length=3, max_length=32)
    destination: str = ""
    ring_seconds: int | None = Field(None, ge=1, le=300)


class BusinessHoursIn(Schema):
    is_enabled: bool
    weekly: list[str] = Field(
        min_length=7,
        max_length=7,
        description="Seven days, Monday first, each like '08:30-12:00, 13:00-17:30'; empty: closed.",
        examples=[["08:30-17:30"] * 5 + ["", ""]],
    )
    closed_on_holidays: bool = True
    after_hours: str = Field("busy", pattern="^(forward|message|busy)$")
    after_hours_numbers: list[AfterHoursNumberIn] = []
    message_id: UUID | None = Field(None, description="A greeting of yours, for after_hours=message.")


class BusinessHoursOut(Schema):
    is_enabled: bool
    weekly: list[str]
    closed_on_holidays: bool
    after_hours: str
    after_hours_numbers: list[dict[str, object]]
    message_id: UUID | None

    @staticmethod
    def resolve_weekly(obj: object) -> list[str]:
        from trunkline.telephony.domain.hours import format_day

        return [format_day(day) for day in obj.weekly]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_message_id(obj: object) -> UUID | None:
        message = obj.message  # type: ignore[attr-defined]
        return message.public_id if message else None
