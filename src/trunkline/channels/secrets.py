"""Provider credentials encrypted at rest with Fernet. The key is ``TRUNKLINE_SECRETS_KEY``; in development and tests
a key is generated once into ``var/secrets_key`` (production refuses to start without one)."""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def secrets_key() -> str:
    key = getattr(settings, "SECRETS_KEY", "") or ""
    if key:
        return key
    if settings.PRODUCTION:
        raise ImproperlyConfigured("TRUNKLINE_SECRETS_KEY must be set when TRUNKLINE_ENV=production.")
    return _key_from_file(str(settings.VAR_DIR / "secrets_key"))


@cache
def _key_from_file(path: str) -> str:
    """The development key, made once; read once per process (not on every webhook's decrypt)."""
    key_file = Path(path)
    if not key_file.exists():
        key_file.write_text(Fernet.generate_key().decode())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def encrypt(values: dict[str, Any]) -> str:
    return _fernet(secrets_key()).encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict[str, Any]:
    """The credentials of ``token``, a fresh dict each call (callers may change it)."""
    if not token:
        return {}
    return json.loads(_plaintext(token, secrets_key()))


@lru_cache(maxsize=1024)
def _plaintext(token: str, key: str) -> bytes:
    """Decrypted once per process and token: every webhook verifies its signature with the channel's credentials,
    and Fernet's decryption was a tenth of the webhook lane's CPU. A changed credential is a new token; the key is
    part of the cache key, so a rotated key never answers from the old one."""
    try:
        return _fernet(key).decrypt(token.encode())
    except InvalidToken as error:
        raise ImproperlyConfigured("Channel credentials cannot be decrypted: TRUNKLINE_SECRETS_KEY changed?") from error
