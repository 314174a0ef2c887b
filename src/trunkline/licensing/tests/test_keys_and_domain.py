"""Pure domain: license keys, ISO weeks in Europe/Sofia, the affiliated cap arithmetic, certificates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from trunkline.licensing.domain.cap import affiliated_allowed, affiliated_room
from trunkline.licensing.domain.certificates import CertificateError, certificate_sign, certificate_verify
from trunkline.licensing.domain.keys import (
    ALPHABET,
    KeyFormatError,
    generate_key,
    hash_key,
    key_hint,
    normalize_key,
)
from trunkline.licensing.domain.weeks import next_week_starts_at, week_start


def test_a_generated_key_is_five_groups_of_five_and_normalises_back():
    """Keys look like XXXXX-XXXXX-XXXXX-XXXXX-XXXXX and survive lower case, spaces and O/I/L typos."""
    key = generate_key()
    assert len(key) == 29
    assert key.count("-") == 4
    canonical = normalize_key(key)
    assert normalize_key(key.lower().replace("-", " ")) == canonical
    assert normalize_key(key.replace("0", "O").replace("1", "I")) == canonical
    assert key_hint(canonical) == "…" + canonical[-5:]
    assert len(hash_key(canonical)) == 64
    assert canonical not in hash_key(canonical)


@given(st.integers(min_value=0, max_value=24), st.sampled_from(ALPHABET))
def test_any_single_wrong_symbol_fails_the_checksum(position, symbol):
    """Changing one symbol of a key is always caught before any lookup."""
    canonical = normalize_key(generate_key())
    if canonical[position] == symbol:
        return
    typo = canonical[:position] + symbol + canonical[position + 1 :]
    with pytest.raises(KeyFormatError):
        normalize_key(typo)


def test_keys_are_unguessable_and_distinct():
    """A thousand keys never repeat (120 random bits each)."""
    assert len({generate_key() for _ in range(1000)}) == 1000


@pytest.mark.rule("RT-4.5")
def test_the_iso_week_starts_on_monday_midnight_in_sofia():
    """Sunday 23:30 Sofia is still last week; Monday 00:00 Sofia (Sunday 22:00 UTC in winter) is the new one."""
    sunday_late = datetime(2026, 11, 29, 21, 30, tzinfo=UTC)  # 23:30 in Sofia (UTC+2)
    monday = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)  # 00:00 Monday 30 November in Sofia
    assert week_start(sunday_late, "Europe/Sofia") == date(2026, 11, 23)
    assert week_start(monday, "Europe/Sofia") == date(2026, 11, 30)
    assert next_week_starts_at(sunday_late, "Europe/Sofia") == monday


@pytest.mark.rule("RT-4.10")
def test_the_cap_arithmetic_never_rounds_up():
    """10 %: the first affiliated license needs 10 provided counting itself; 11 of 101 is refused."""
    cap = Decimal("10")
    assert not affiliated_allowed(affiliated_after=1, provided_after=9, cap_percent=cap)
    assert affiliated_allowed(affiliated_after=1, provided_after=10, cap_percent=cap)
    assert affiliated_allowed(affiliated_after=10, provided_after=100, cap_percent=cap)
    assert not affiliated_allowed(affiliated_after=11, provided_after=101, cap_percent=cap)
    assert affiliated_room(affiliated=0, provided=9, cap_percent=cap) == 1
    assert affiliated_room(affiliated=10, provided=100, cap_percent=cap) == 0


def test_a_certificate_verifies_and_any_changed_byte_does_not():
    """The signed payload comes back; a changed byte or another key fails verification."""
    key = Ed25519PrivateKey.generate()
    text = certificate_sign({"license_id": "abc", "type": "regular"}, key)
    assert certificate_verify(text, key.public_key()) == {"license_id": "abc", "type": "regular"}
    lines = text.splitlines()
    body = lines[1]
    for index in range(0, len(body), 7):
        flipped = body[:index] + ("A" if body[index] != "A" else "B") + body[index + 1 :]
        with pytest.raises(CertificateError):
            certificate_verify("\n".join([lines[0], flipped, *lines[2:]]), key.public_key())
    with pytest.raises(CertificateError):
        certificate_verify(text, Ed25519PrivateKey.generate().public_key())
