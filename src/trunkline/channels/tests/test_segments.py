"""SMS segment counting: GSM-7 / UCS-2, the extension table, 160/153 and 70/67 (PT-9.4)."""

from __future__ import annotations

import pytest

from trunkline.channels.domain import segments

CASES = [
    ("", "gsm7", 0, 0),
    ("a" * 160, "gsm7", 160, 1),
    ("a" * 161, "gsm7", 161, 2),
    ("a" * 306, "gsm7", 306, 2),
    ("a" * 307, "gsm7", 307, 3),
    ("€", "gsm7", 2, 1),
    ("€" * 80, "gsm7", 160, 1),
    ("€" * 81, "gsm7", 162, 2),
    ("a" * 159 + "€", "gsm7", 161, 2),
    ("^{}[~]|\\", "gsm7", 16, 1),
    ("^{}[~]|\\" * 10, "gsm7", 160, 1),
    ("^{}[~]|\\" * 10 + "a", "gsm7", 161, 2),
    ("a" * 152 + "{" + "a" * 152, "gsm7", 306, 3),  # the escape pair cannot straddle two parts
    ("Café ok", "gsm7", 7, 1),
    ("я" * 70, "ucs2", 70, 1),
    ("я" * 71, "ucs2", 71, 2),
    ("я" * 134, "ucs2", 134, 2),
    ("я" * 135, "ucs2", 135, 3),
    ("Здравейте, часът ви е утре в 10:00.", "ucs2", 35, 1),
    ("Hello 😀", "ucs2", 8, 1),
    ("a" * 69 + "😀", "ucs2", 71, 2),
    ("a" * 66 + "😀" + "a" * 66, "ucs2", 134, 3),  # the surrogate pair cannot straddle two parts
    ("ça va", "ucs2", 5, 1),
    ("It’s here", "ucs2", 9, 1),
    ("€ and я", "ucs2", 7, 1),  # in UCS-2 the euro sign is one unit like any other
]


@pytest.mark.rule("PT-9.4")
@pytest.mark.parametrize(("text", "encoding", "units", "count"), CASES)
def test_segment_count_table(text, encoding, units, count):
    """Encoding, units and segments match the carriers' rules for each text of the table."""
    counted = segments.count(text)
    assert (counted.encoding, counted.units, counted.segments) == (encoding, units, count)


@pytest.mark.parametrize(("text", "encoding", "units", "count"), [case for case in CASES if case[0]])
def test_split_never_breaks_a_character_and_rejoins(text, encoding, units, count):
    """The parts rejoin into the text; each fits its limit; an escape or surrogate pair stays whole."""
    parts = segments.split(text)
    assert "".join(parts) == text
    assert len(parts) == count
    limit = segments.SINGLE_LIMIT[encoding] if count == 1 else segments.PART_LIMIT[encoding]
    for part in parts:
        assert sum(segments.width(char, encoding) for char in part) <= limit


def test_remaining_units_in_the_last_segment():
    """The composer shows how many units are left in the current segment."""
    assert segments.count("a" * 150).remaining == 10
    assert segments.count("a" * 161).remaining == 153 - 8
    assert segments.count("я" * 10).remaining == 60
