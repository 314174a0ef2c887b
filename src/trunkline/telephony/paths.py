"""Where the control plane and the SIP edge meet on disk: the routing snapshot the edge reads, the spool of call
events the edge writes, and the media directory rtpengine plays from. ``TELEPHONY_DIR`` (setting or the
``TRUNKLINE_TELEPHONY_DIR`` environment variable) moves them all; the default is ``var/telephony``."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def telephony_dir() -> Path:
    configured = getattr(settings, "TELEPHONY_DIR", None) or os.environ.get("TRUNKLINE_TELEPHONY_DIR")
    path = Path(configured) if configured else Path(settings.VAR_DIR) / "telephony"
    path.mkdir(parents=True, exist_ok=True)
    return path


def snapshot_path() -> Path:
    return telephony_dir() / "routing.json"


def spool_dir() -> Path:
    path = telephony_dir() / "spool"
    path.mkdir(parents=True, exist_ok=True)
    return path


def media_dir() -> Path:
    path = telephony_dir() / "media"
    path.mkdir(parents=True, exist_ok=True)
    return path


def rtpengine_ng_address() -> str:
    """Where rtpengine takes NG commands (``TELEPHONY_RTPENGINE_NG`` or ``TRUNKLINE_RTPENGINE_NG``)."""
    configured = getattr(settings, "TELEPHONY_RTPENGINE_NG", None) or os.environ.get("TRUNKLINE_RTPENGINE_NG")
    return configured or "127.0.0.1:2223"
