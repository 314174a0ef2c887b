"""A counter per client address in the cache, for the public registration form. The window opens at an address's
first attempt and lasts the rate's period, so it never resets at a clock boundary in the middle of a burst."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_REGISTRATION_RATE = "10/h"


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/h"`` → (10, 3600)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip()]


def registration_attempt_allowed(ip: str | None) -> bool:
    """Count one registration attempt from ``ip``; False once the address has used up ``REGISTRATION_RATE``."""
    limit, seconds = parse_rate(getattr(settings, "REGISTRATION_RATE", DEFAULT_REGISTRATION_RATE))
    key = f"onboarding:registration:{ip or 'unknown'}"
    cache.add(key, 0, seconds)
    try:
        attempts = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, seconds)
        attempts = 1
    return attempts <= limit
