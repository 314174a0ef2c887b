"""Email channel policy numbers: settings with defaults (see docs/configuration.md), never constants in code."""

from __future__ import annotations

import ssl

from django.conf import settings


def smtp_timeout_seconds() -> float:
    """How long the SMTP client waits for one reply of the relay before the attempt fails."""
    return float(getattr(settings, "EMAIL_SMTP_TIMEOUT_SECONDS", 30))


def imap_timeout_seconds() -> float:
    """How long the IMAP client waits for one reply (a FETCH of a large message included)."""
    return float(getattr(settings, "EMAIL_IMAP_TIMEOUT_SECONDS", 60))


def imap_poll_seconds() -> float:
    """Between two syncs of a mailbox whose server has no IDLE."""
    return float(getattr(settings, "EMAIL_IMAP_POLL_SECONDS", 60))


def imap_backfill_days() -> int:
    """A newly connected mailbox is read from this many days back (by delivery date); -1: the whole folder."""
    return int(getattr(settings, "EMAIL_IMAP_BACKFILL_DAYS", 30))


def imap_use_idle() -> bool:
    """IDLE where the server offers it (off: always poll, for servers whose IDLE is known to be broken)."""
    return bool(getattr(settings, "EMAIL_IMAP_IDLE", True))


def imap_idle_seconds() -> float:
    """How long one IDLE lasts before it is re-issued with a sync (RFC 2177: under 29 minutes)."""
    return min(float(getattr(settings, "EMAIL_IMAP_IDLE_SECONDS", 600)), 29 * 60)


def imap_backoff_seconds(failures: int) -> float:
    """Wait before reconnecting after ``failures`` consecutive failures: doubling from the base, capped."""
    base = float(getattr(settings, "EMAIL_IMAP_RECONNECT_BASE_SECONDS", 2))
    cap = float(getattr(settings, "EMAIL_IMAP_RECONNECT_MAX_SECONDS", 300))
    return min(base * 2 ** max(0, failures - 1), cap)


def imap_channels_refresh_seconds() -> float:
    """How often the pollers' supervisor looks for email channels added, changed or disabled."""
    return float(getattr(settings, "EMAIL_IMAP_REFRESH_SECONDS", 30))


def inbound_max_bytes() -> int:
    """Largest message the inbound SMTP receiver accepts (552 above it)."""
    return int(getattr(settings, "EMAIL_INBOUND_MAX_BYTES", 25 * 1024 * 1024))


def tls_context() -> ssl.SSLContext:
    """Certificate-verifying TLS for SMTP and IMAP; ``EMAIL_TLS_CA_FILE`` adds a private CA (self-hosted servers)."""
    context = ssl.create_default_context()
    ca_file = getattr(settings, "EMAIL_TLS_CA_FILE", "")
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context
