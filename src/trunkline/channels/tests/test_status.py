"""The common delivery status moves only forward, whatever order the callbacks arrive in."""

from __future__ import annotations

from functools import reduce

import pytest

from trunkline.channels.domain import status as s


@pytest.mark.parametrize(
    ("reports", "final"),
    [
        (["accepted", "queued", "sent", "delivered"], "delivered"),
        (["delivered", "sent", "queued"], "delivered"),
        (["failed", "sent"], "failed"),  # a late sent never clears failed
        (["undelivered", "queued", "sent"], "undelivered"),
        (["failed", "delivered"], "delivered"),  # positive evidence wins
        (["read", "delivered"], "read"),
        (["sent", "unknown"], "sent"),
        (["delivered", "failed"], "delivered"),
    ],
)
def test_status_advances_forward_only(reports, final):
    """Folding the reports in arrival order ends in the right final status."""
    assert reduce(s.advance, reports, s.PENDING) == final


def test_twilio_vocabulary_maps_to_the_common_one():
    """Twilio's MessageStatus values map onto the common vocabulary."""
    assert [s.TWILIO[name] for name in ("queued", "sending", "sent", "delivered", "undelivered", "failed")] == [
        "queued",
        "queued",
        "sent",
        "delivered",
        "undelivered",
        "failed",
    ]
