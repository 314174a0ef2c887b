"""Representatives and their tickets: the thread, the SLA deadlines and the timeline (PT-7.2 to PT-7.5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import OrganizationScopedModel, PublicIdModel


class Representative(OrganizationScopedModel):
    """A person the customer authorised on its agreement to open tickets (PT-7.4)."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("authorised"), default=True)
    agreement_id = models.UUIDField(_("agreement"), null=True, blank=True, help_text=_("The agreement listing them."))

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="support_representative_once_per_email")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Priority(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


PRIORITY_GUIDANCE = {
    Priority.CRITICAL: _("The service is down or unusable for all users, with no workaround."),
    Priority.HIGH: _("An important function is down or badly degraded for many users; a workaround may exist."),
    Priority.MEDIUM: _("A function misbehaves for some users; work goes on with a workaround."),
    Priority.LOW: _("A question, a cosmetic fault, or a request for information."),
}


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    INCOMPLETE = "incomplete", _("Incomplete")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting for customer")
    RESTORED = "restored", _("Temporarily restored")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


class EscalationStep(models.TextChoices):
    """The escalation path of PT-7.5, in order."""

    ISSUE_FOUND = "issue_found", _("Issue found")
    PROJECT_MANAGER = "project_manager", _("Customer project manager")
    INFRASTRUCTURE = "infrastructure", _("Customer infrastructure / telecom")
    CRM_TEAM = "crm_team", _("Customer CRM team")
    HELP_DESK = "help_desk", _("Operator help desk")


class TicketChannel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    API = "api", _("API")


class Ticket(OrganizationScopedModel):
    number = models.PositiveIntegerField(_("number"), unique=True)
    representative = models.ForeignKey(
        Representative, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("representative")
    )
    representative_name = models.CharField(_("representative's name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=200)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    service = models.ForeignKey(
        "support.SupportedService", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("affected service")
    )
    escalation_step = models.CharField(
        _("escalation step"), max_length=24, choices=EscalationStep.choices, default=EscalationStep.HELP_DESK
    )
    status = models.CharField(_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW)
    channel = models.CharField(_("received by"), max_length=8, choices=TicketChannel.choices)
    received_at = models.DateTimeField(_("received at"))
    complete_at = models.DateTimeField(
        _("complete description received at"), null=True, blank=True, help_text=_("The SLA clock starts here.")
    )
    clock_starts_at = models.DateTimeField(_("clock starts at"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True, db_index=True)
    responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    restored_at = models.DateTimeField(_("temporarily restored at"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def reference(self) -> str:
        """The token in email subjects that threads a reply onto this ticket."""
        return f"[TL#{self.number}]"

    @property
    def is_open(self) -> bool:
        return self.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED)


class TicketDeadline(models.Model):
    """One milestone's clock of one ticket: stored, recomputed only when an input changes."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="deadlines")
    milestone = models.CharField(_("milestone"), max_length=16)
    target = models.CharField(_("target"), max_length=16)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    warning_times = models.JSONField(default=list)
    next_warning_at = models.DateTimeField(null=True, blank=True, db_index=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "milestone"], name="support_deadline_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.milestone} {self.due_at}"

    @property
    def is_met_in_time(self) -> bool | None:
        if self.met_at is None:
            return None
        return self.breached_at is None or self.met_at <= (self.due_at or self.met_at)


class TicketMessage(PublicIdModel):
    """One entry of the thread: from the representative, a staff reply, or an internal note (staff only)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_name = models.CharField(max_length=200)
    is_staff = models.BooleanField(default=False)
    is_internal = models.BooleanField(_("internal note"), default=False)
    body = models.TextField(_("message"))
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.author_name}"


class TicketAttachment(PublicIdModel):
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    """The ticket's timeline: status changes, clock start, pauses, warnings, breaches and met milestones."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    milestone = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"
