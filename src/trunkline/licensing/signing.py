"""The vendor's Ed25519 signing key for certificates and responses.

``TRUNKLINE_LICENSE_SIGNING_KEY`` (or ``..._FILE``) holds the private key as PEM (PKCS#8) or as the base64 of its
32 raw bytes. Unset outside production, a development key is generated once into ``var/license_signing_key`` (mode
0600). In production an unset key is a configuration error at first use. The private key is never logged.
"""

from __future__ import annotations

import base64
import binascii
from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from trunkline.licensing.domain.certificates import key_id


def parse_private_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = load_pem_private_key(text.encode("ascii"), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as error:
        raise ImproperlyConfigured("TRUNKLINE_LICENSE_SIGNING_KEY is not an Ed25519 private key.") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("TRUNKLINE_LICENSE_SIGNING_KEY must be an Ed25519 key.")
    return key


def _development_key() -> Ed25519PrivateKey:
    path = settings.VAR_DIR / "license_signing_key"
    if not path.exists():
        raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        path.write_text(base64.b64encode(raw).decode("ascii") + "\n")
        path.chmod(0o600)
    return parse_private_key(path.read_text())


@cache
def _key_for(configured: str) -> Ed25519PrivateKey:
    if configured:
        return parse_private_key(configured)
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Set TRUNKLINE_LICENSE_SIGNING_KEY (or _FILE) in production.")
    return _development_key()


def signing_key() -> Ed25519PrivateKey:
    return _key_for(getattr(settings, "LICENSE_SIGNING_KEY", ""))


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem() -> str:
    return public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


@cache
def _key_id_for(configured: str) -> str:
    return key_id(_key_for(configured).public_key())


def public_key_id() -> str:
    return _key_id_for(getattr(settings, "LICENSE_SIGNING_KEY", ""))
