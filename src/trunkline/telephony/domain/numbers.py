"""Phone numbers as the PBX handles them: E.164 (``+35970010001``) in the control plane, digits only on the wire."""

from __future__ import annotations

import re

import phonenumbers

SIP_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
CALLING_PATTERN = re.compile(r"^\+?[0-9]{1,20}\*?$")


def e164(raw: str, *, region: str = "BG") -> str:
    """``raw`` in E.164, or ValueError. National numbers are read in ``region``."""
    text = (raw or "").strip().replace(" ", "").replace("-", "")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise ValueError(str(error)) from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def wire(number: str) -> str:
    """The digits a SIP request carries for an E.164 number (no plus sign)."""
    return number.lstrip("+")


def calling_pattern(raw: str) -> str:
    """An allowed calling number: exact digits, or a prefix ending in ``*`` (``35928880*``). ValueError otherwise."""
    text = (raw or "").strip().replace(" ", "")
    if not CALLING_PATTERN.match(text):
        raise ValueError("digits, optionally ending in *")
    return wire(text)


def calling_number_allowed(patterns: list[str], a_number: str) -> bool:
    """PT-17.11: the A-number matches one pattern exactly, or starts with a ``prefix*`` pattern."""
    digits = wire(a_number)
    for pattern in patterns:
        if pattern.endswith("*"):
            if digits.startswith(pattern[:-1]):
                return True
        elif digits == pattern:
            return True
    return False
