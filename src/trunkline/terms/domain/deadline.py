"""When the objection period of a changed-terms notice ends (PT-3.2).

The period is counted the way the Bulgarian Obligations and Contracts Act counts periods in days (art. 60): the day of
the event that starts it (delivery of the notice to our mail server) does not count, and the period ends at the end of
its last day, on the wall clock of the organisation's time zone. A notice sent at 10:00 on 2 March in Sofia can be
objected to until 23:59:59 on 9 March; the deemed acceptance takes effect at 00:00 on 10 March.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

OBJECTION_DAYS = 7


def objection_deadline(sent_at: datetime, zone: str, *, days: int = OBJECTION_DAYS) -> datetime:
    """The first moment (UTC) at which an objection is too late: midnight after the ``days``-th day after sending."""
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be timezone-aware.")
    local_zone = ZoneInfo(zone)
    sent_day = sent_at.astimezone(local_zone).date()
    end = datetime.combine(sent_day + timedelta(days=days + 1), time(0), tzinfo=local_zone)
    return end.astimezone(UTC)
