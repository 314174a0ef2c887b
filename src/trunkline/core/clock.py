"""The one source of "now". Services accept ``at=`` and fall back to ``now()``; tests drive it with time-machine."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def require_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("Times must be timezone-aware.")
    return at.astimezone(UTC)


def local(at: datetime, zone: str) -> datetime:
    """``at`` seen on a wall clock in ``zone`` (an IANA name such as Europe/Sofia)."""
    return require_aware(at).astimezone(ZoneInfo(zone))
