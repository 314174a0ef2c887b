from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.channels import secrets
from trunkline.core.models import OrganizationScopedModel


class ChannelKind(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class Provider(models.TextChoices):
    TWILIO = "twilio", _("Twilio Programmable Messaging")
    SMPP = "smpp", _("SMPP 3.4")
    SMTP = "smtp", _("Email (SMTP out; IMAP or inbound SMTP in)")


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISABLED = "disabled", _("Disabled")


class Channel(OrganizationScopedModel):
    """A customer's configured connection to a provider: who it sends as, how to reach the provider, its policy."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices, default=ChannelKind.SMS)
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    status = models.CharField(_("status"), max_length=16, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE)
    sender = models.CharField(
        _("sender"), max_length=254, help_text=_("E.164 number, alphanumeric sender ID or email address.")
    )
    account_id = models.CharField(_("account"), max_length=64, blank=True)
    api_base_url = models.URLField(_("provider address"), blank=True)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    # Provider settings that are not secret, by kind. Email (provider "smtp"): smtp_host, smtp_port,
    # smtp_security ("starttls" | "tls" | "none"), smtp_username, imap_host, imap_port, imap_security,
    # imap_username, imap_folder ("INBOX"), dkim_domain, dkim_selector. Its secrets (smtp_password, imap_password,
    # dkim_private_key) are in the encrypted credentials. SMPP: host, port, system_type, ...
    settings = models.JSONField(_("provider settings"), default=dict, blank=True)
    # Sender identification on promotional messages (PT-8.10)
    identification_name = models.CharField(_("identification name"), max_length=80, blank=True)
    identification_contact = models.CharField(_("identification contact"), max_length=80, blank=True)
    append_identification = models.BooleanField(_("append identification to promotional messages"), default=True)
    # Policy: data, not constants
    rate_per_second = models.DecimalField(_("sending rate per second"), max_digits=8, decimal_places=2, default=10)
    max_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=5)
    retry_base_seconds = models.PositiveIntegerField(_("first retry after (seconds)"), default=30)
    segment_price = models.DecimalField(_("price per segment"), max_digits=10, decimal_places=4, default=Decimal(0))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # PT-9.6: empty means the organisation's plan says how much traffic to expect; a number here overrides it
    expected_daily_segments = models.PositiveIntegerField(
        _("expected segments per day"), null=True, blank=True, help_text=_("Empty: what your plan expects.")
    )
    throttle_over_expected = models.BooleanField(_("throttle above the expected volume"), default=False)
    throttled_rate_per_second = models.DecimalField(max_digits=8, decimal_places=2, default=1)
    # Set by the first inbound event stored while no processing is pending, cleared by the task when it starts: at
    # most one inbound task waits per channel, however fast webhooks arrive (inbox.services.inbound).
    inbound_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sender})"

    @property
    def credentials(self) -> dict[str, Any]:
        return secrets.decrypt(self.credentials_encrypted)

    def set_credentials(self, values: dict[str, Any]) -> None:
        self.credentials_encrypted = secrets.encrypt(values)

    @property
    def identification(self) -> str:
        parts = [part for part in (self.identification_name, self.identification_contact) if part]
        return ", ".join(parts)


class InboundEventKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    STATUS = "status", _("Delivery status")


class InboundEvent(OrganizationScopedModel):
    """A provider's webhook exactly as received, stored once per provider event key before anything else happens."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="inbound_events")
    kind = models.CharField(max_length=16, choices=InboundEventKind.choices)
    event_key = models.CharField(max_length=200)
    payload = models.JSONField()
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "event_key"], name="channels_inbound_event_once_per_key")
        ]
        indexes = [
            models.Index(fields=["processed_at"], name="channels_inbound_unprocessed"),
            # the batch processor's claim: a channel's unprocessed events in id order
            models.Index(
                fields=["channel", "id"], condition=models.Q(processed_at__isnull=True), name="channels_inbound_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_key}"


class ImapCursor(OrganizationScopedModel):
    """How far an email channel's IMAP folder has been read: the folder's UIDVALIDITY and the last UID stored.

    Advanced in the same transaction that stores the message, so a poller stopped at any point resumes after the
    last message it stored: nothing fetched twice into the inbox, nothing missed. A new UIDVALIDITY (the folder was
    recreated) starts the folder again from UID 1; event keys make that safe."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="imap_cursors")
    folder = models.CharField(max_length=200)
    uid_validity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "folder"], name="channels_imap_cursor_per_folder")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.folder} {self.uid_validity}/{self.last_uid}"
