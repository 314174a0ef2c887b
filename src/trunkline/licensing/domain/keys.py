"""License keys: easy to type, checksummed, unguessable, and stored only as a hash.

A key is 24 random symbols of Crockford's base-32 alphabet (120 bits from ``secrets``) plus one Luhn mod 32 check
symbol, shown in five groups of five: ``7KQ2M-XD4HC-9TZ0B-WRN3F-P6VJE``. The alphabet has no I, L, O or U, so what is
read aloud is typed right; typing ``O`` for ``0`` or ``I``/``L`` for ``1``, lower case, spaces or missing hyphens are
all accepted. The check symbol catches every single wrong symbol and most swaps of neighbours before any database
lookup. The database keeps only ``key_hash`` (SHA-256 of the normal form): with 120 random bits a leaked hash cannot
be turned back into a usable key.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE = len(ALPHABET)
DATA_SYMBOLS = 24
KEY_LENGTH = DATA_SYMBOLS + 1
GROUP = 5
_SUBSTITUTES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_HASH_DOMAIN = b"trunkline-license-key:"


class KeyFormatError(ValueError):
    """The text cannot be a license key (wrong length, a symbol outside the alphabet, or a failed checksum)."""


def _check_symbol(data: str) -> str:
    """Luhn mod 32 over ``data``: the symbol that makes the whole key's sum divisible by 32."""
    factor, total = 2, 0
    for symbol in reversed(data):
        addend = factor * ALPHABET.index(symbol)
        factor = 1 if factor == 2 else 2
        total += addend // BASE + addend % BASE
    return ALPHABET[(BASE - total % BASE) % BASE]


def checksum_ok(canonical: str) -> bool:
    return _check_symbol(canonical[:-1]) == canonical[-1]


def format_key(canonical: str) -> str:
    return "-".join(canonical[start : start + GROUP] for start in range(0, len(canonical), GROUP))


def generate_key() -> str:
    """A new key in its display form (groups joined by hyphens)."""
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_SYMBOLS))
    return format_key(data + _check_symbol(data))


def normalize_key(text: str) -> str:
    """The canonical 25 symbols of a typed key; raises ``KeyFormatError`` if it cannot be one."""
    canonical = "".join(text.upper().split()).replace("-", "").translate(_SUBSTITUTES)
    if len(canonical) != KEY_LENGTH or any(symbol not in ALPHABET for symbol in canonical):
        raise KeyFormatError("not a license key")
    if not checksum_ok(canonical):
        raise KeyFormatError("checksum failed")
    return canonical


def hash_key(canonical: str) -> str:
    """What the database stores and looks keys up by."""
    return hashlib.sha256(_HASH_DOMAIN + canonical.encode("ascii")).hexdigest()


def key_hint(canonical: str) -> str:
    """The last group, enough for a person to tell keys apart on screen (``…P6VJE``)."""
    return "…" + canonical[-GROUP:]
