"""Delivery policy of notices: how often and how patiently to retry (numbers are settings, not constants)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def max_attempts() -> int:
    return int(settings.NOTICE_MAX_ATTEMPTS)


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: base × 2^(attempts-1), capped at one hour."""
    seconds = int(settings.NOTICE_RETRY_BASE_SECONDS) * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, 3600))
