"""Delivery policy numbers that are not per channel: settings with defaults, never constants in code."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings

from trunkline.commerce.selectors import plan_expected_daily_segments

if TYPE_CHECKING:
    from trunkline.channels.models import Channel


def backoff(*, attempts: int, base_seconds: int, retry_after: float | None = None) -> timedelta:
    """Exponential backoff: base × 2^(attempts-1), capped by INBOX_RETRY_MAX_SECONDS; a provider's Retry-After wins
    when it asks for longer."""
    cap = int(getattr(settings, "INBOX_RETRY_MAX_SECONDS", 3600))
    seconds = min(base_seconds * 2 ** max(0, attempts - 1), cap)
    return timedelta(seconds=max(seconds, retry_after or 0))


def send_lease() -> timedelta:
    """How long a started send may take before the attempt counts as lost (the worker died) and is retried."""
    return timedelta(seconds=int(getattr(settings, "INBOX_SEND_LEASE_SECONDS", 120)))


def status_orphan_after() -> timedelta:
    """A status report that matches no sent message is looked at again by the minute sweep for this long, then kept
    as processed with an error (an SMPP message's later parts report under ids we do not track)."""
    return timedelta(seconds=int(getattr(settings, "INBOX_STATUS_ORPHAN_SECONDS", 3600)))


def webhook_max_attempts() -> int:
    return int(getattr(settings, "INBOX_WEBHOOK_MAX_ATTEMPTS", 8))


def webhook_retry_base_seconds() -> int:
    return int(getattr(settings, "INBOX_WEBHOOK_RETRY_BASE_SECONDS", 30))


def max_body_characters() -> int:
    return int(getattr(settings, "INBOX_SMS_MAX_CHARACTERS", 1600))


def campaign_batch_limit() -> int:
    """Most sends one campaign tick makes, whatever the throttle allows."""
    return int(getattr(settings, "INBOX_CAMPAIGN_BATCH", 500))


def email_max_attachment_bytes() -> int:
    """The largest attachment a received email may bring; a larger one is dropped with a note on the message."""
    return int(getattr(settings, "INBOX_EMAIL_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


def email_max_attachments() -> int:
    """How many attachments of one received email are kept; the rest are dropped with a note."""
    return int(getattr(settings, "INBOX_EMAIL_MAX_ATTACHMENTS", 20))


def attachment_scanner() -> str:
    """Dotted path of a callable ``scan(*, filename, content_type, data) -> str | None`` run on every received
    attachment before it is stored (a virus scanner); a string answer is the reason it is refused. Empty: none."""
    return str(getattr(settings, "INBOX_ATTACHMENT_SCANNER", "") or "")


def smpp_reconnect_base_seconds() -> float:
    """First wait before an SMPP session binds again after a drop; doubles per failure up to the maximum."""
    return float(getattr(settings, "INBOX_SMPP_RECONNECT_BASE_SECONDS", 1))


def smpp_reconnect_max_seconds() -> float:
    return float(getattr(settings, "INBOX_SMPP_RECONNECT_MAX_SECONDS", 60))


def smpp_rescan_seconds() -> float:
    """How often ``smpp_sessions`` looks for SMPP channels added, changed or disabled."""
    return float(getattr(settings, "INBOX_SMPP_RESCAN_SECONDS", 30))


def expected_daily_segments(channel: Channel) -> int:
    """The day's SMS traffic above which the operator is alerted (PT-9.6): the channel's own figure when it overrides
    the plan, else what the organisation's plan (its agreement) expects, else INBOX_EXPECTED_DAILY_SEGMENTS."""
    if channel.expected_daily_segments is not None:
        return channel.expected_daily_segments
    planned = plan_expected_daily_segments(organization=channel.organization)
    if planned is not None:
        return planned
    return int(getattr(settings, "INBOX_EXPECTED_DAILY_SEGMENTS", 10_000))


def inbound_batch_size() -> int:
    """How many inbound events one transaction of the batch processor claims (``inbox.services.inbound``)."""
    return int(getattr(settings, "INBOX_INBOUND_BATCH", 200))


def inbound_gather_seconds() -> float:
    """How long the batch processor lets events gather after a batch that was not full, before claiming again."""
    return float(getattr(settings, "INBOX_INBOUND_GATHER_SECONDS", 0.05))


def inbound_stale_after() -> timedelta:
    """An inbound event still unprocessed this long after it arrived is processed by the minute sweep."""
    return timedelta(seconds=int(getattr(settings, "INBOX_INBOUND_STALE_SECONDS", 30)))


def inbound_sweep_limit() -> int:
    """Most stale inbound events one run of the minute sweep processes per channel."""
    return int(getattr(settings, "INBOX_INBOUND_SWEEP_LIMIT", 500))
