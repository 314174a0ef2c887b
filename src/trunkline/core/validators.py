from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_time_zone(name: str) -> None:
    """An IANA time zone name such as Europe/Sofia."""
    if name not in available_timezones():
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                _("%(name)s is not a known time zone, e.g. Europe/Sofia."),
                params={"name": name},
                code="invalid_time_zone",
            ) from None
