"""Checks of contact data that agreements and registrations share: E.164 phone numbers and ISO 3166 countries."""

from __future__ import annotations

import gettext
from functools import cache

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

INVALID_PHONE = _("Enter a valid phone number, e.g. +359 88 123 4567.")


def phone_e164(value: str, *, region: str | None = None) -> str:
    """The number in E.164 (``+359881234567``). A national format is read as dialled in ``region`` (ISO code)."""
    text = value.strip()
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        raise ValidationError(INVALID_PHONE, code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def validate_country(code: str) -> None:
    if code not in country_codes():
        raise ValidationError(
            _("%(code)s is not an ISO 3166 country code."), params={"code": code}, code="invalid_country"
        )


@cache
def _translation(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def country_name(code: str, language: str | None = None) -> str:
    """The country's common name in ``language`` (default: the active one), e.g. BG → "България" in bg."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    name = getattr(country, "common_name", None) or country.name
    return _translation(language or get_language() or "en").gettext(name)


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (code, name in ``language``), sorted by name."""
    names = [(country.alpha_2, country_name(country.alpha_2, language)) for country in pycountry.countries]
    return sorted(names, key=lambda choice: choice[1].casefold())
