"""Opt-out, opt-in and help keywords (PT-8.13)."""

from __future__ import annotations

import pytest

from trunkline.inbox.domain.keywords import HELP, OPT_IN, OPT_OUT, keyword_of


@pytest.mark.rule("PT-8.13")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", OPT_OUT),
        ("stop", OPT_OUT),
        (" Stop! ", OPT_OUT),
        ("STOPALL", OPT_OUT),
        ("UNSUBSCRIBE", OPT_OUT),
        ("CANCEL", OPT_OUT),
        ("END", OPT_OUT),
        ("QUIT", OPT_OUT),
        ("СТОП", OPT_OUT),
        ("стоп", OPT_OUT),
        ("S\u200btop", OPT_OUT),
        ("START", OPT_IN),
        ("UNSTOP", OPT_IN),
        ("HELP", HELP),
        ("stop please", None),
        ("Please stop", None),
        ("Hello", None),
        ("", None),
    ],
)
def test_keywords(body, expected):
    """Only a one-word message that is a keyword counts, whatever its case, punctuation or zero-width characters."""
    assert keyword_of(body) == expected
