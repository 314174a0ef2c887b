"""API key material: ``tlk_<prefix>_<secret>``. The prefix finds the row; only a SHA-256 digest of the whole key is
stored. Keys carry 256 bits of randomness, so a fast digest is safe (no password stretching needed) and cheap on
every request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_MARK = "tlk"


@dataclass(frozen=True)
class KeyMaterial:
    prefix: str
    plaintext: str
    digest: str


def key_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def key_generate() -> KeyMaterial:
    prefix = secrets.token_hex(5)
    plaintext = f"{KEY_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    return KeyMaterial(prefix=prefix, plaintext=plaintext, digest=key_digest(plaintext))


def key_prefix(plaintext: str) -> str | None:
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARK or len(parts[1]) != 10:
        return None
    return parts[1]


def key_matches(plaintext: str, digest: str) -> bool:
    return hmac.compare_digest(key_digest(plaintext), digest)
