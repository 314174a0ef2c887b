"""Email identifiers, pure Python: the one normal form of a Message-ID, the inbound event key of a raw message, and
addresses split into local part and domain. The inbox threads with the same normal form (no brackets, case kept)."""

from __future__ import annotations

import hashlib
import re
from email.parser import BytesHeaderParser
from email.policy import compat32

EVENT_KEY_LIMIT = 200
_ANGLE = re.compile(r"<([^<>]*)>")
_FOLDING = re.compile(r"\s+")


def message_id_normalise(value: str) -> str:
    """`` <Abc.1@Example.test> (comment)`` → ``Abc.1@Example.test``: the first bracketed id (or the bare value),
    without brackets or whitespace, case kept — the form the inbox stores and matches (``mail.parse.message_ids``)."""
    text = _FOLDING.sub("", value or "")
    match = _ANGLE.search(text)
    return match.group(1) if match else text.strip("<>")


def message_id_of(raw: bytes) -> str:
    """The normalised Message-ID of a raw RFC 5322 message, or "" when it has none (or the header is unreadable).
    Only the header block is parsed, leniently: malformed mail still answers what can be read."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
        value = headers.get("Message-ID") or headers.get("Message-Id") or ""
        return message_id_normalise(str(value))
    except Exception:  # noqa: BLE001 - malformed mail must never stop the pipeline; no id is an answer
        return ""


def event_key_for(raw: bytes) -> str:
    """``email:<Message-ID>`` (normalised), or ``email-sha256:<hex digest of the raw bytes>`` when there is none.
    An id too long for the key column is hashed as ``email-id-sha256:<hex>`` rather than cut (no collisions)."""
    message_id = message_id_of(raw)
    if not message_id:
        return "email-sha256:" + hashlib.sha256(raw).hexdigest()
    key = "email:" + message_id
    if len(key) > EVENT_KEY_LIMIT:
        return "email-id-sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()
    return key


def address_split(address: str) -> tuple[str, str]:
    """``Support@SofiaDental.test`` → (``Support``, ``sofiadental.test``); ("", "") when it is not an address."""
    local, at, domain = (address or "").strip().strip("<>").rpartition("@")
    if not at or not local or not domain:
        return "", ""
    return local, domain.lower()


def address_normalise(address: str) -> str:
    """Lower-case an address for matching (mailbox providers treat local parts case-insensitively in practice)."""
    local, domain = address_split(address)
    return f"{local.lower()}@{domain}" if domain else ""
