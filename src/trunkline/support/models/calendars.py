"""Business calendars as data: opening hours in a zone, Bulgarian public holidays, and the operator's own days."""

from __future__ import annotations

from datetime import time

from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import PublicIdModel, TimestampedModel


def default_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class BusinessCalendarRecord(PublicIdModel):
    """One calendar the SLA clocks run on. Several may exist; each SLA target names the one it counts on."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_around_the_clock = models.BooleanField(
        _("around the clock"), default=False, help_text=_("Every hour of every day counts (Critical tickets).")
    )
    zone = models.CharField(_("time zone"), max_length=64, default="Europe/Sofia")
    opens = models.TimeField(_("opens"), default=time(9))
    closes = models.TimeField(_("closes"), default=time(18))
    weekdays = models.JSONField(
        _("working weekdays"), default=default_weekdays, help_text=_("0 = Monday … 6 = Sunday.")
    )
    has_bulgarian_holidays = models.BooleanField(_("Bulgarian public holidays"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="support_calendar_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Extra holiday")
    WORKING_DAY = "working_day", _("Decreed working day")


class CalendarDay(TimestampedModel):
    """The operator's exceptions: an extra holiday, or a decreed working Saturday."""

    calendar = models.ForeignKey(BusinessCalendarRecord, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="support_calendar_day_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
