"""Planned maintenance and incidents shown on the public status page; maintenance is announced ahead (PT-6.7)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import PublicIdModel


class MaintenanceKind(models.TextChoices):
    MAINTENANCE = "maintenance", _("Planned maintenance")
    INCIDENT = "incident", _("Incident")


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")
    RESOLVED = "resolved", _("Resolved")


class MaintenanceNotice(PublicIdModel):
    kind = models.CharField(_("kind"), max_length=16, choices=MaintenanceKind.choices)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_bg = models.CharField(_("title (Bulgarian)"), max_length=200)
    text_en = models.TextField(_("text (English)"))
    text_bg = models.TextField(_("text (Bulgarian)"))
    services = models.ManyToManyField("support.SupportedService", related_name="+", verbose_name=_("services"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=MaintenanceStatus.choices, default=MaintenanceStatus.SCHEDULED
    )
    notice_sent_at = models.DateTimeField(_("notice sent at"), null=True, blank=True)
    notified_organizations = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=models.F("starts_at")),
                name="support_maintenance_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title_en

    def title_in(self, language: str) -> str:
        return self.title_bg if language == "bg" else self.title_en

    def text_in(self, language: str) -> str:
        return self.text_bg if language == "bg" else self.text_en
