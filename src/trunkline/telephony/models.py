"""The PBX control plane (PT-15 to PT-17, PT-20, PT-21, PT-8.8).

A customer's User Numbers receive calls; each forwards to its business numbers in hunt order, each with a ring
timeout. Trunks are the customer's PBX addresses and the calling numbers allowed from them (PT-17.11). Carriers are
the operator's upstream peers. Call records come back from the SIP edge as events, stored once each.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import OrganizationScopedModel, PublicIdModel


class TelephonyPolicy(models.Model):
    """The operator's policy numbers for the PBX. One row; the value in force is copied onto each decision."""

    configuration_working_days = models.PositiveSmallIntegerField(_("configuration deadline (working days)"), default=5)
    default_ring_seconds = models.PositiveSmallIntegerField(_("default ring timeout (seconds)"), default=20)
    unsolicited_window_minutes = models.PositiveSmallIntegerField(default=60)
    unsolicited_min_calls = models.PositiveIntegerField(default=50)
    unsolicited_min_distinct_numbers = models.PositiveIntegerField(default=40)
    unsolicited_short_call_seconds = models.PositiveSmallIntegerField(default=10)
    unsolicited_min_short_share_percent = models.PositiveSmallIntegerField(default=80)

    def __str__(self) -> str:
        return "telephony policy"

    @classmethod
    def current(cls) -> TelephonyPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class Carrier(PublicIdModel):
    """An upstream carrier of the operator: calls from its addresses reach User Numbers; the first carrier with a
    gateway takes calls out to the public network."""

    name = models.CharField(_("name"), max_length=100)
    addresses = models.JSONField(_("source IP addresses"), default=list)
    gateway = models.CharField(_("gateway address"), max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class TelephonyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class TelephonyAccount(OrganizationScopedModel):
    """A customer's PBX service as a whole: its status (PT-8.8 suspends it) and how many cases were found."""

    status = models.CharField(max_length=20, choices=TelephonyStatus.choices, default=TelephonyStatus.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)
    unsolicited_cases = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="telephony_account_one_per_org")]


class NumberSource(models.TextChoices):
    OPERATOR = "operator", _("Provided by the operator")
    CUSTOMER = "customer", _("The customer's own number")


class UserNumber(OrganizationScopedModel):
    """A number on which the PBX receives calls for a customer (PT-15.1)."""

    number = models.CharField(_("number"), max_length=20, unique=True)  # E.164
    label = models.CharField(_("label"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=NumberSource.choices, default=NumberSource.OPERATOR)
    is_active = models.BooleanField(default=True)
    greeting = models.ForeignKey(
        "telephony.VoiceAsset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    music = models.ForeignKey(
        "telephony.VoiceAsset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class BusinessNumber(OrganizationScopedModel):
    """One step of a User Number's hunt: rung for ``ring_seconds``, then the next (PT-15.1)."""

    user_number = models.ForeignKey(UserNumber, on_delete=models.CASCADE, related_name="business_numbers")
    number = models.CharField(_("number"), max_length=20)  # E.164
    destination = models.CharField(_("PBX address"), max_length=45, blank=True)  # one of the org's trunk addresses
    position = models.PositiveSmallIntegerField(default=0)
    ring_seconds = models.PositiveSmallIntegerField(_("ring timeout (seconds)"), default=20)

    class Meta:
        ordering = ["user_number", "position", "pk"]

    def __str__(self) -> str:
        return self.number


class AfterHours(models.TextChoices):
    FORWARD = "forward", _("Forward to the after-hours numbers")
    MESSAGE = "message", _("Play a voice message, then hang up")
    BUSY = "busy", _("Busy")


def closed_week() -> list[list[list[int]]]:
    return [[] for _day in range(7)]


class BusinessHours(OrganizationScopedModel):
    """Optional business-hours routing of a User Number: open on a weekly schedule in the organisation's time zone
    (closed on Bulgarian public holidays unless told otherwise); outside it, ``after_hours`` applies."""

    user_number = models.OneToOneField(UserNumber, on_delete=models.CASCADE, related_name="hours")
    is_enabled = models.BooleanField(_("route by business hours"), default=False)
    weekly = models.JSONField(default=closed_week)  # 7 lists (Monday first) of [start, end) minutes of the day
    closed_on_holidays = models.BooleanField(_("closed on Bulgarian public holidays"), default=True)
    after_hours = models.CharField(
        _("outside business hours"), max_length=20, choices=AfterHours.choices, default=AfterHours.BUSY
    )
    after_hours_numbers = models.JSONField(default=list)  # [{"number", "destination", "ring_seconds"}] in order
    message = models.ForeignKey(
        "telephony.VoiceAsset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class Trunk(OrganizationScopedModel):
    """A customer PBX: the addresses its calls come from and the calling numbers it may present (PT-17.11)."""

    name = models.CharField(_("name"), max_length=100)
    addresses = models.JSONField(_("source IP addresses"), default=list)
    calling_numbers = models.JSONField(_("allowed calling numbers"), default=list)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConfigurationStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for information")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class ConfigurationRequest(OrganizationScopedModel):
    """A request to configure the PBX. Its deadline runs in working days from when all information is in (PT-15.7)."""

    details = models.TextField(_("what to configure"))
    status = models.CharField(max_length=20, choices=ConfigurationStatus.choices, default=ConfigurationStatus.WAITING)
    information_complete_at = models.DateTimeField(null=True, blank=True)
    working_days = models.PositiveSmallIntegerField(null=True, blank=True)  # the policy number in force, recorded
    due_on = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Disposition(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    BUSY = "busy", _("Busy")
    NO_ANSWER = "no_answer", _("No answer")
    CANCELLED = "cancelled", _("Cancelled by the caller")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Rejected")


class CallRecord(OrganizationScopedModel):
    """One call through the edge (PT-15.1), built from its events."""

    call_id = models.CharField(max_length=255, unique=True)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    a_number = models.CharField(max_length=32)
    b_number = models.CharField(max_length=32)
    user_number = models.ForeignKey(UserNumber, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_ip = models.CharField(max_length=45, blank=True)
    started_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, default=Disposition.IN_PROGRESS)
    sip_code = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    answered_by = models.CharField(max_length=32, blank=True)  # the business number that answered
    duration_seconds = models.PositiveIntegerField(default=0)
    end_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["organization", "started_at"])]


class CallAttempt(models.Model):
    """One business number tried for a call, and how that went."""

    call = models.ForeignKey(CallRecord, on_delete=models.CASCADE, related_name="attempts")
    position = models.PositiveSmallIntegerField()
    number = models.CharField(max_length=32)
    sip_code = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=20, choices=Disposition.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["call", "position"]
        constraints = [models.UniqueConstraint(fields=["call", "position"], name="telephony_attempt_once")]

    def __str__(self) -> str:
        return f"{self.number}: {self.sip_code}"


class CallEvent(models.Model):
    """An event the edge reported, stored once per call-id and event name: replays change nothing."""

    call_id = models.CharField(max_length=255)
    event = models.CharField(max_length=40)
    at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    organization = models.ForeignKey("tenancy.Organization", null=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call_id", "event"], name="telephony_event_once")]

    def __str__(self) -> str:
        return f"{self.call_id} {self.event}"


class AssetKind(models.TextChoices):
    GREETING = "greeting", _("Voice message (greeting)")
    MUSIC = "music", _("Music while forwarding")


class AssetOrigin(models.TextChoices):
    CUSTOMER = "customer", _("Supplied by the customer")
    OPERATOR = "operator", _("Recorded by the operator")


class AssetStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    TEXT_PROPOSED = "text_proposed", _("Text waiting for the customer's approval")
    TEXT_REJECTED = "text_rejected", _("Text rejected by the customer")
    TEXT_APPROVED = "text_approved", _("Text approved, to be recorded")
    PAID = "paid", _("Paid")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the operator")
    READY = "ready", _("Playing")
    STOPPED = "stopped", _("Stopped after a rights claim")
    REFUSED = "refused", _("Refused: format not usable")


class VoiceAsset(OrganizationScopedModel):
    """Music or a voice message played in calls, after its workflow (PT-20, PT-21)."""

    kind = models.CharField(max_length=20, choices=AssetKind.choices)
    origin = models.CharField(max_length=20, choices=AssetOrigin.choices)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text to record"), blank=True)
    status = models.CharField(max_length=20, choices=AssetStatus.choices, default=AssetStatus.ORDERED)
    is_paid = models.BooleanField(default=False)
    is_acknowledged = models.BooleanField(default=False)
    text_approved_at = models.DateTimeField(null=True, blank=True)
    text_rejected_at = models.DateTimeField(null=True, blank=True)
    text_feedback = models.CharField(_("the customer's remarks on the text"), max_length=500, blank=True)
    rights_declared_at = models.DateTimeField(null=True, blank=True)
    rights_declaration = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)  # 8 kHz A-law WAV under the media directory
    format_report = models.JSONField(default=dict)
    claim_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
