from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.channels.domain import status as statuses
from trunkline.core.ids import new_public_id
from trunkline.core.models import OrganizationScopedModel

# The common delivery-status vocabulary (channels.domain.status) as people read it, in their language
STATUS_LABELS = {
    statuses.PENDING: _("Waiting"),
    statuses.ACCEPTED: _("Accepted"),
    statuses.QUEUED: _("Queued"),
    statuses.SENT: _("Sent"),
    statuses.DELIVERED: _("Delivered"),
    statuses.READ: _("Read"),
    statuses.FAILED: _("Failed"),
    statuses.UNDELIVERED: _("Not delivered"),
    statuses.CANCELED: _("Cancelled"),
    statuses.RECEIVED: _("Received"),
    statuses.UNKNOWN: _("Unknown"),
}
STATUS_CHOICES = [(value, STATUS_LABELS[value]) for value in statuses.ALL]


class Contact(OrganizationScopedModel):
    """An end user the organisation talks with, on any channel."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)  # E.164
    email = models.EmailField(_("email"), blank=True)
    labels = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "phone"], condition=~models.Q(phone=""), name="inbox_contact_phone_once"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.phone or self.email


class IdentityKind(models.TextChoices):
    PHONE = "phone", _("Phone (E.164)")
    EMAIL = "email", _("Email")
    PLATFORM = "platform", _("Platform id")


class ContactIdentity(OrganizationScopedModel):
    """How one contact is reached on a channel kind: an E.164 number, an email address, a platform's user id."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=IdentityKind.choices)
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "kind", "value"], name="inbox_identity_once")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ContactList(OrganizationScopedModel):
    name = models.CharField(_("name"), max_length=200)
    contacts = models.ManyToManyField(Contact, related_name="lists", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Consent(OrganizationScopedModel):
    """A contact's marketing consent and opt-out for one channel (one sender) (PT-8.13)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.ForeignKey("messaging_channels.Channel", on_delete=models.CASCADE, related_name="+")
    marketing_consent_at = models.DateTimeField(null=True, blank=True)
    marketing_consent_source = models.CharField(max_length=120, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opted_out_source = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "channel"], name="inbox_consent_once")]
        indexes = [models.Index(fields=["channel", "opted_out_at"], name="inbox_consent_opted_out")]

    def __str__(self) -> str:
        return f"{self.contact_id}@{self.channel_id}"

    @property
    def is_opted_out(self) -> bool:
        return self.opted_out_at is not None


class ConsentEvent(models.Model):
    """The evidence: every opt-in, opt-out and consent change, with what triggered it."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32)
    source = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")


class Priority(models.TextChoices):
    NONE = "none", _("None")
    LOW = "low", _("Low")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Conversation(OrganizationScopedModel):
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    channel = models.ForeignKey("messaging_channels.Channel", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.CharField(_("team"), max_length=80, blank=True)
    labels = models.JSONField(default=list, blank=True)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NONE)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_message_preview = models.CharField(max_length=160, blank=True)
    unread_count = models.PositiveIntegerField(default=0)
    # Email: replies come back to reply+<token>@<channel domain>, and "[#token]" in a subject finds the conversation
    # when the threading headers are lost.
    reply_token = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [models.Index(fields=["organization", "status", "-last_message_at"], name="inbox_conv_list")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "reply_token"],
                condition=~models.Q(reply_token=""),
                name="inbox_reply_token_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} via {self.channel_id}"


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")
    AUTOMATIC = "automatic", _("Automatic reply")


class Message(OrganizationScopedModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    kind = models.CharField(max_length=16, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    body = models.TextField()
    attachments = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.ForeignKey("messaging_channels.Channel", on_delete=models.PROTECT, related_name="+")
    provider_message_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=statuses.PENDING)
    encoding = models.CharField(max_length=8, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    is_promotional = models.BooleanField(default=False)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # inbound: when received
    # Email (issue 9): the headers that thread it, the sanitised HTML, and what went wrong reading it.
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    sender_address = models.CharField(max_length=254, blank=True)  # inbound From: as written (name <address>)
    html = models.TextField(blank=True)  # sanitised (channels.domain.mail.html): safe for a sandboxed frame
    email_message_id = models.CharField(max_length=255, blank=True)  # without brackets; ours on outbound mail
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)  # ids separated by spaces, oldest first
    notes = models.JSONField(default=list, blank=True)  # [{"code": "unknown_charset", "charset": …}, …]

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "email_message_id"], name="inbox_message_email_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "direction", "provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="inbox_message_provider_id_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.body[:30]}"


def attachment_path(instance: MessageAttachment, filename: str) -> str:
    """Under the organisation, a random name: nothing the sender chose reaches the file system."""
    return f"inbox/{instance.organization.public_id}/{new_public_id().hex}"


class MessageAttachment(OrganizationScopedModel):
    """A file that came with an email (or an inline image), kept in Django's storage; served only to the
    organisation's agents, as a download (Content-Disposition: attachment, nosniff)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=200)  # as the sender named it, for the download only
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content_id = models.CharField(max_length=255, blank=True)  # inline images: what cid: sources refer to
    is_inline = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class CannedReply(OrganizationScopedModel):
    shortcut = models.SlugField(_("shortcut"), max_length=40)
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["shortcut"]
        constraints = [models.UniqueConstraint(fields=["organization", "shortcut"], name="inbox_canned_once")]

    def __str__(self) -> str:
        return self.shortcut


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to send")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Handed to the provider")
    FAILED = "failed", _("Failed")


class Delivery(OrganizationScopedModel):
    """The outbox: one outbound SMS to one number, sent at most once for its idempotency key, retried with backoff.

    ``status`` follows the provider's reports in the common vocabulary, forward only."""

    channel = models.ForeignKey("messaging_channels.Channel", on_delete=models.PROTECT, related_name="+")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="delivery")
    recipient = models.OneToOneField(
        "inbox.CampaignRecipient", on_delete=models.CASCADE, null=True, blank=True, related_name="delivery"
    )
    idempotency_key = models.CharField(max_length=100)
    to = models.CharField(max_length=254)  # E.164 or an email address
    body = models.TextField()
    mime = models.BinaryField(blank=True, default=b"")  # email: the whole RFC 5322 message, sent as is
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=statuses.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="inbox_delivery_key_once")
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="inbox_delivery_due"),
            models.Index(fields=["channel", "provider_message_id"], name="inbox_delivery_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.to} {self.state}/{self.status}"


class DeliveryAttempt(models.Model):
    """One try at handing a delivery to the provider. ``outcome`` stays ``started`` if the worker died mid-send."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, default="started")  # started, accepted, retry, failed
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="inbox_attempt_once")]

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome}"


class DeliveryPart(models.Model):
    """One part of a long SMS submitted as several messages (SMPP ``submit_sm`` per part), each with its own provider
    id and its own receipts. Written with the send's outcome; a receipt for any part moves that part's status forward,
    and the delivery's status is the parts' statuses combined (``channels.domain.status.combine``).

    Only messages of two or more parts have rows: a one-part message is matched by ``Delivery.provider_message_id``.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="parts")
    channel = models.ForeignKey("messaging_channels.Channel", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()  # 1-based, the order the parts were submitted (their UDH sequence)
    provider_message_id = models.CharField(max_length=255)  # blank once a later submit got the same id (recycled)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=statuses.ACCEPTED)
    error_code = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="inbox_delivery_part_once"),
            models.UniqueConstraint(
                fields=["channel", "provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="inbox_delivery_part_provider_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"part {self.number} {self.status}"


class StatusEvent(models.Model):
    """Append-only: every delivery status a provider reported, as reported, and when it arrived.

    A report for one part of a message sent in parts carries the part's ``part`` number; when the parts' combined
    status moves the message's status, that is logged too, without a part (``raw_status`` "parts"). The rows without
    a part are the message's own status history."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="status_events")
    status = models.CharField(max_length=16)
    raw_status = models.CharField(max_length=40, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField()
    part = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.status} {self.at:%H:%M:%S}"


class UsageRecord(OrganizationScopedModel):
    """Metered traffic per organisation, channel and day (PT-9.4): the quantities billing charges for."""

    channel = models.ForeignKey("messaging_channels.Channel", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    messages = models.PositiveIntegerField(default=0)  # sent (handed to the provider)
    segments = models.PositiveIntegerField(default=0)
    received = models.PositiveIntegerField(default=0)  # inbound messages (email; inbound SMS is not metered yet)
    over_expected_alerted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="inbox_usage_once_per_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.segments}"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")


class Campaign(OrganizationScopedModel):
    name = models.CharField(_("name"), max_length=200)
    channel = models.ForeignKey("messaging_channels.Channel", on_delete=models.PROTECT, related_name="+")
    contact_list = models.ForeignKey(ContactList, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject = models.CharField(_("subject"), max_length=500, blank=True)  # email campaigns
    body = models.TextField(_("text"))
    is_promotional = models.BooleanField(_("promotional"), default=True)
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_tick_at = models.DateTimeField(null=True, blank=True)
    send_allowance = models.FloatField(default=0)  # token bucket of the throttle
    encoding = models.CharField(max_length=8, blank=True)
    segments_per_message = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED_OPTED_OUT = "skipped_opted_out", _("Skipped: opted out")
    CANCELLED = "cancelled", _("Cancelled")


RECIPIENT_FINAL = (
    RecipientStatus.SENT,
    RecipientStatus.DELIVERED,
    RecipientStatus.FAILED,
    RecipientStatus.SKIPPED_OPTED_OUT,
    RecipientStatus.CANCELLED,
)


class CampaignRecipient(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    phone = models.CharField(max_length=254)  # the address sent to: E.164, or an email address on an email channel
    status = models.CharField(max_length=20, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "phone"], name="inbox_recipient_once")]
        indexes = [models.Index(fields=["campaign", "status"], name="inbox_recipient_status")]

    def __str__(self) -> str:
        return f"{self.phone} {self.status}"


class WebhookEndpoint(OrganizationScopedModel):
    """The customer's own system that receives our events, signed with HMAC-SHA256 of the body."""

    url = models.URLField(_("address"))
    secret_encrypted = models.TextField(editable=False)
    events = models.JSONField(default=list)  # empty: every event
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(OrganizationScopedModel):
    """The delivery log of outbound webhooks, with attempts and backoff."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    state = models.CharField(max_length=16, default="pending")  # pending, delivered, failed
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="inbox_webhook_due")]

    def __str__(self) -> str:
        return f"{self.event} {self.state}"
