"""Rate limits of the activation API, per license key (by its hash) and per client address. Activate, reset and
deactivate are limited more strictly than validate. Rates are settings (``LICENSING_RATES``); keys never appear in
cache keys or logs, only their hashes."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from trunkline.licensing.errors import RateLimitedError

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_RATES = {
    "activate": ("10/h", "60/h"),  # (per key, per address)
    "reset": ("5/h", "30/h"),
    "validate": ("120/m", "600/m"),
    "refresh": ("30/h", "300/h"),
    "updates": ("60/h", "600/h"),
}


def _parse(rate: str) -> tuple[int, int]:
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip()]


def _hit(bucket: str, rate: str) -> int | None:
    """Count one request in ``bucket``; the seconds to wait if over the limit, else None."""
    limit, seconds = _parse(rate)
    cache.add(bucket, 0, seconds)
    try:
        count = cache.incr(bucket)
    except ValueError:
        cache.set(bucket, 1, seconds)
        count = 1
    return seconds if count > limit else None


def configured_rates(value: str | dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """``LICENSING_RATES``: a dict, or text such as ``activate=10/h,60/h;validate=120/m,600/m`` (per key, per
    address)."""
    if isinstance(value, dict):
        return value
    rates: dict[str, tuple[str, str]] = {}
    for part in filter(None, (item.strip() for item in value.split(";"))):
        action, _, pair = part.partition("=")
        per_key, _, per_ip = pair.partition(",")
        rates[action.strip()] = (per_key.strip(), per_ip.strip())
    return rates


def throttle(action: str, *, key: str, ip: str | None) -> None:
    """Raise ``RateLimitedError`` (429) when this key or this address used up the action's rate."""
    wait = throttle_hit(action, key=key, ip=ip)
    if wait is not None:
        raise RateLimitedError(seconds=wait)


def throttle_hit(action: str, *, key: str, ip: str | None) -> int | None:
    """Count one request of ``action``; the seconds to wait when this key or this address used up its rate, else
    None. In-process (or Redis when ``REDIS_URL`` is set): never a database round trip."""
    rates = {**DEFAULT_RATES, **configured_rates(getattr(settings, "LICENSING_RATES", "") or {})}
    per_key, per_ip = rates.get(action, rates["validate"])
    key_digest = hashlib.sha256(" ".join(key.upper().replace("-", "").split()).encode()).hexdigest()[:32]
    for bucket, rate in ((f"licensing:{action}:key:{key_digest}", per_key), (f"licensing:{action}:ip:{ip}", per_ip)):
        wait = _hit(bucket, rate)
        if wait is not None:
            return wait
    return None
