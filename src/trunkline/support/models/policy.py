"""Support policy as data the operator edits: SLA targets per priority and milestone, warning thresholds, the
services customers can report on, and the maintenance notice lead time (PT-6.7, PT-7.2)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import TimestampedModel


class SupportedService(TimestampedModel):
    """A service a ticket or a maintenance notice can be about."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_bg = models.CharField(_("name (Bulgarian)"), max_length=100)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name_en

    def name_in(self, language: str) -> str:
        return self.name_bg if language == "bg" and self.name_bg else self.name_en


class SlaTarget(TimestampedModel):
    """How long the operator has for one milestone of one priority, counted on a calendar (PT-7.2, PT-7.3)."""

    priority = models.CharField(_("priority"), max_length=16)
    milestone = models.CharField(_("milestone"), max_length=16)
    amount = models.PositiveIntegerField(_("amount"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=8, choices=[("hours", _("hours")), ("days", _("days"))])
    calendar = models.ForeignKey(
        "support.BusinessCalendarRecord", on_delete=models.PROTECT, related_name="+", verbose_name=_("calendar")
    )

    class Meta:
        ordering = ["priority", "milestone"]
        constraints = [models.UniqueConstraint(fields=["priority", "milestone"], name="support_sla_target_once")]

    def __str__(self) -> str:
        return f"{self.priority} {self.milestone}: {self.amount} {self.unit}"


class SlaWarningThreshold(TimestampedModel):
    """Warn the assignee and the team before a breach: at a share of the target, or minutes before it."""

    percent = models.PositiveSmallIntegerField(
        _("at percent of the target"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    minutes_before = models.PositiveIntegerField(_("minutes before the deadline"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__isnull=False) | models.Q(minutes_before__isnull=False),
                name="support_warning_has_a_threshold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.percent} %" if self.percent is not None else f"{self.minutes_before} min"


class SupportPolicy(TimestampedModel):
    """The one row of support-wide numbers (PT-6.7)."""

    maintenance_notice_hours = models.PositiveIntegerField(_("maintenance notice lead time (hours)"), default=24)
    team_email = models.EmailField(_("support team email"), blank=True)

    class Meta:
        verbose_name_plural = "support policy"

    def __str__(self) -> str:
        return "support policy"

    @classmethod
    def current(cls) -> SupportPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy
