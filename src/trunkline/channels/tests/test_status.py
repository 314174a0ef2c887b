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


@pytest.mark.parametrize(
    ("parts", "combined"),
    [
        (["delivered", "delivered", "delivered"], "delivered"),
        (["delivered", "accepted", "accepted"], "accepted"),  # the first part alone proves nothing about the rest
        (["delivered", "queued", "sent"], "queued"),  # the furthest state every part has reached
        (["delivered", "undelivered", "delivered"], "undelivered"),  # one lost part: the message is not delivered
        (["queued", "failed", "accepted"], "failed"),  # failed as soon as any part is, before the others report
        (["undelivered", "failed"], "failed"),  # parts failing differently: the more definite failure
        (["canceled", "undelivered"], "undelivered"),
        (["read", "delivered"], "delivered"),
        (["delivered", "unknown"], "pending"),  # a part we know nothing about holds the message back
        (["sent"], "sent"),
        ([], "pending"),
    ],
)
def test_a_message_in_parts_combines_its_parts_statuses(parts, combined):
    """Failed if any part failed; otherwise the lowest progress of all parts, so delivered only when all are."""
    assert s.combine(parts) == combined


@pytest.mark.parametrize(
    "arrivals",
    [
        [(1, "delivered"), (2, "undelivered"), (3, "delivered")],
        [(3, "delivered"), (2, "undelivered"), (1, "delivered")],
        [(2, "undelivered"), (2, "queued"), (1, "delivered"), (3, "queued"), (3, "delivered"), (2, "undelivered")],
    ],
)
def test_a_failed_part_fails_the_message_whatever_the_order(arrivals):
    """Per-part forward-only advance, then the message advanced by the combination: ends undelivered in any order."""
    parts = {1: s.ACCEPTED, 2: s.ACCEPTED, 3: s.ACCEPTED}
    message = s.ACCEPTED
    for number, reported in arrivals:
        parts[number] = s.advance(parts[number], reported)
        message = s.advance(message, s.combine([parts[n] for n in sorted(parts)]))
    assert message == s.UNDELIVERED
