from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from ninja import Schema
from pydantic import Field


class ChannelOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    name: str
    kind: str
    provider: str
    status: str
    sender: str
    identification_name: str
    identification_contact: str
    rate_per_second: float
    segment_price: Decimal
    currency: str
    append_identification: bool
    expected_daily_segments: int | None = Field(description="Empty: what the plan expects (PT-9.6).")
    throttle_over_expected: bool
    throttled_rate_per_second: float
    settings: dict[str, Any] = Field(description="The provider settings; never a secret (those are write-only).")


class ChannelIn(Schema):
    name: str = Field(max_length=120)
    provider: str = Field(pattern="^(twilio|smpp|smtp)$", description="smtp: an email channel.")
    sender: str = Field(max_length=254, description="E.164 number, alphanumeric sender ID, or the email address.")
    account_id: str = Field("", max_length=64, description="Twilio: the Account SID. SMPP: the system_id.")
    auth_token: str = Field("", description="Twilio. Stored encrypted; never returned.")
    password: str = Field("", description="SMPP. Stored encrypted; never returned.")
    smtp_password: str = Field("", description="Email. Stored encrypted; never returned.")
    imap_password: str = Field("", description="Email. Stored encrypted; never returned.")
    dkim_private_key: str = Field("", description="Email: PEM, RSA. Stored encrypted; never returned.")
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="Provider settings, not secret. SMPP: host, port (2775), system_type, gsm7_packing "
        "(unpacked|packed), send_bind (transmitter|transceiver), dlr_id_format (same|dec_to_hex|hex_to_dec), "
        "enquire_link_seconds (30), response_timeout_seconds (10); see docs/channels/sms.md. Email: smtp_host, "
        "smtp_port, smtp_security (starttls|tls|none), smtp_username, imap_host, imap_port, imap_security, "
        "imap_username, imap_folder (INBOX), dkim_domain, dkim_selector, display_name; see docs/channels/email.md.",
    )
    api_base_url: str = ""
    identification_name: str = ""
    identification_contact: str = ""
    rate_per_second: int = Field(10, ge=1, le=10_000)


class ChannelUpdateIn(Schema):
    """Only what is sent changes. A secret replaces the stored one; secrets are never returned."""

    name: str | None = Field(None, min_length=1, max_length=120)
    sender: str | None = Field(None, min_length=1, max_length=254)
    account_id: str | None = Field(None, max_length=64)
    api_base_url: str | None = None
    identification_name: str | None = Field(None, max_length=80, description="SMS: your name on promotional messages.")
    identification_contact: str | None = Field(None, max_length=80)
    append_identification: bool | None = None
    rate_per_second: Decimal | None = Field(None, gt=0, max_digits=8, decimal_places=2)
    segment_price: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=4)
    expected_daily_segments: int | None = Field(None, ge=1, description="null: follow the plan's expected volume.")
    throttle_over_expected: bool | None = None
    throttled_rate_per_second: Decimal | None = Field(None, gt=0, max_digits=8, decimal_places=2)
    settings: dict[str, Any] | None = Field(None, description="The provider settings, all of them (as on create).")
    auth_token: str | None = Field(None, min_length=1, description="Twilio. Write-only.")
    password: str | None = Field(None, min_length=1, description="SMPP. Write-only.")
    smtp_password: str | None = Field(None, min_length=1, description="Email. Write-only.")
    imap_password: str | None = Field(None, min_length=1, description="Email. Write-only.")
    dkim_private_key: str | None = Field(None, min_length=1, description="Email: PEM, RSA. Write-only.")


class ContactOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    name: str
    phone: str
    email: str
    labels: list[str] = Field(default_factory=list)
    created_at: datetime


class ContactIn(Schema):
    name: str = Field("", max_length=200)
    phone: str = ""
    email: str = ""


class ContactUpdateIn(Schema):
    name: str | None = Field(None, max_length=200)
    labels: list[Annotated[str, Field(max_length=40)]] | None = Field(
        None, max_length=50, description="Replaces the labels (trimmed, without duplicates, sorted)."
    )


class ConsentIn(Schema):
    channel_id: UUID
    source: str = Field(min_length=1, max_length=120)


class ConsentOut(Schema):
    channel_id: UUID
    marketing_consent_at: datetime | None
    marketing_consent_source: str
    opted_out_at: datetime | None

    @staticmethod
    def resolve_channel_id(obj: Any) -> UUID:
        return obj.channel.public_id


class ConversationOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    contact: ContactOut
    channel_id: UUID
    status: str
    assignee: str | None
    team: str
    labels: list[str]
    priority: str
    last_message_at: datetime | None
    unread_count: int

    @staticmethod
    def resolve_channel_id(obj: Any) -> UUID:
        return obj.channel.public_id

    @staticmethod
    def resolve_assignee(obj: Any) -> str | None:
        return obj.assignee.email if obj.assignee else None


class ConversationFilterIn(Schema):
    status: str = ""
    channel_id: UUID | None = None
    assignee: str = Field("", description="me, none, or empty for everyone's")
    label: str = ""
    q: str = ""


class ConversationUpdateIn(Schema):
    status: str | None = None
    assignee_id: UUID | None = Field(None, description="A membership id of your organisation.")
    unassign: bool = False
    labels: list[str] | None = None
    priority: str | None = Field(None, pattern="^(none|low|high|urgent)$")
    team: str | None = None


class AttachmentOut(Schema):
    url: str = Field(description="The provider's address of the media (not copied to us).")
    content_type: str


class MessageOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    direction: str
    kind: str
    body: str
    attachments: list[AttachmentOut] = Field(default_factory=list, description="MMS media: address and type.")
    status: str
    encoding: str
    segments: int
    is_promotional: bool
    provider_message_id: str
    error_code: str
    error_message: str
    created_at: datetime
    sent_at: datetime | None
    subject: str = Field("", description="Email: the subject.")
    sender_address: str = Field("", description="Email, received: the From header (name <address>).")
    html: str = Field("", description="Email: the HTML part, sanitised (no scripts; remote images in data-remote-src).")
    email_message_id: str = Field("", description="Email: the Message-ID, without angle brackets.")
    in_reply_to: str = ""
    references: list[str] = Field(default_factory=list, description="Email: the thread's Message-IDs, oldest first.")
    notes: list[dict[str, Any]] = Field(
        default_factory=list, description="Email: what could not be read (a code and its details)."
    )

    @staticmethod
    def resolve_references(obj: Any) -> list[str]:
        return str(getattr(obj, "references", "") or "").split()


class MessageIn(Schema):
    body: str = Field(min_length=1, max_length=100_000, description="SMS: at most INBOX_SMS_MAX_CHARACTERS (1600).")
    is_promotional: bool = False
    one_time: bool = Field(False, description="A pre-approved one-time message: no opt-out text is added.")


class NoteIn(Schema):
    body: str = Field(min_length=1, max_length=5000)


class CampaignIn(Schema):
    name: str = Field(max_length=200)
    channel_id: UUID
    contact_list_id: UUID
    body: str = Field(min_length=1, max_length=100_000, description="SMS: at most INBOX_SMS_MAX_CHARACTERS (1600).")
    is_promotional: bool = True
    scheduled_at: datetime | None = None
    subject: str = Field("", max_length=500, description="Email campaigns: the subject (the name when empty).")


class CampaignOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    name: str
    status: str
    body: str
    is_promotional: bool
    encoding: str
    segments_per_message: int
    total: int
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class CampaignReportOut(Schema):
    campaign: CampaignOut
    total: int
    done: int
    percent: int
    counts: dict[str, int]


class RecipientOut(Schema):
    phone: str
    status: str
    error: str
    updated_at: datetime | None


class ContactListIn(Schema):
    name: str = Field(max_length=200)


class ContactListOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    name: str


class CannedReplyOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    shortcut: str
    body: str


class CannedReplyIn(Schema):
    shortcut: str = Field(description="At most 40 letters, digits, hyphens and underscores; agents type /shortcut.")
    body: str


class CannedReplyUpdateIn(Schema):
    shortcut: str | None = None
    body: str | None = None


class ImportIn(Schema):
    csv: str = Field(description="CSV text with a phone column and an optional name column.")


class ImportOut(Schema):
    rows: int
    created: int
    added: int
    errors: list[tuple[int, str]]


class WebhookIn(Schema):
    url: str = Field(max_length=500)
    events: list[str] = Field(default_factory=list, description="Empty: every event.")


class WebhookOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    url: str
    events: list[str]
    is_active: bool


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Shown once: verify X-Trunkline-Signature with it.")


class WebhookDeliveryOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    event: str
    state: str
    attempts: int
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
