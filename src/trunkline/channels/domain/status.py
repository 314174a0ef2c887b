"""One delivery-status vocabulary for every provider, and the rule that moves a message's status only forward.

Callbacks arrive late, twice and out of order: a late ``sent`` never clears ``delivered`` or ``failed``; positive
evidence (``delivered``, ``read``) overrides a failure reported earlier.

A message sent as several parts, each with its own provider id and receipts (SMPP), has each part's status advanced
on its own and the message's status ``combine``d from them.
"""

from __future__ import annotations

from collections.abc import Sequence

PENDING = "pending"
ACCEPTED = "accepted"
QUEUED = "queued"
SENT = "sent"
DELIVERED = "delivered"
READ = "read"
FAILED = "failed"
UNDELIVERED = "undelivered"
CANCELED = "canceled"
RECEIVED = "received"
UNKNOWN = "unknown"

PROGRESS_RANK = {PENDING: 0, ACCEPTED: 10, QUEUED: 20, SENT: 30, DELIVERED: 40, READ: 50}
FAILURES = frozenset({FAILED, UNDELIVERED, CANCELED})
FAILURE_SEVERITY = (FAILED, UNDELIVERED, CANCELED)  # when parts failed differently, the message takes the first
POSITIVE_FINAL = frozenset({DELIVERED, READ})
ALL = (PENDING, ACCEPTED, QUEUED, SENT, DELIVERED, READ, FAILED, UNDELIVERED, CANCELED, RECEIVED, UNKNOWN)

TWILIO = {
    "accepted": ACCEPTED,
    "scheduled": ACCEPTED,
    "queued": QUEUED,
    "sending": QUEUED,
    "sent": SENT,
    "delivered": DELIVERED,
    "read": READ,
    "partially_delivered": SENT,
    "failed": FAILED,
    "undelivered": UNDELIVERED,
    "canceled": CANCELED,
    "receiving": RECEIVED,
    "received": RECEIVED,
}

SMPP_STAT = {
    "ENROUTE": QUEUED,
    "ACCEPTD": QUEUED,
    "DELIVRD": DELIVERED,
    "EXPIRED": UNDELIVERED,
    "DELETED": UNDELIVERED,
    "UNDELIV": UNDELIVERED,
    "REJECTD": FAILED,
    "UNKNOWN": UNKNOWN,
}


def advance(current: str, reported: str) -> str:
    """The status after ``reported`` arrives for a message now at ``current``: forward only."""
    if reported == current or reported in (UNKNOWN, RECEIVED):
        return current
    if current in POSITIVE_FINAL:
        if reported in PROGRESS_RANK and PROGRESS_RANK[reported] > PROGRESS_RANK[current]:
            return reported
        return current
    if current in FAILURES:
        return reported if reported in POSITIVE_FINAL else current
    if reported in FAILURES:
        return reported
    if reported in PROGRESS_RANK and PROGRESS_RANK[reported] > PROGRESS_RANK.get(current, -1):
        return reported
    return current


def is_final(status: str) -> bool:
    return status in FAILURES or status in POSITIVE_FINAL


def combine(parts: Sequence[str]) -> str:
    """The status of a message from the statuses of its parts: failed (or undelivered, canceled) as soon as any part
    is; otherwise the furthest state every part has reached, so delivered only when all parts are. A part whose status
    says nothing about progress (unknown) counts as pending."""
    for failure in FAILURE_SEVERITY:
        if failure in parts:
            return failure
    progress = [part if part in PROGRESS_RANK else PENDING for part in parts]
    return min(progress, key=PROGRESS_RANK.__getitem__, default=PENDING)
