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


def validate_vat_number(value: str) -> None:
    """An EU VAT number with a valid country prefix, format and check digits (no VIES lookup)."""
    from stdnum.eu import vat as eu_vat

    if value and not eu_vat.is_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid EU VAT number, e.g. BG175074752."),
            params={"value": value},
            code="invalid_vat_number",
        )


def validate_iban(value: str) -> None:
    """An IBAN with a valid country format and check digits."""
    from stdnum import iban

    if value and not iban.is_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid IBAN, e.g. BG80BNBG96611020345678."),
            params={"value": value},
            code="invalid_iban",
        )
