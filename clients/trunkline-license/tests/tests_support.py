"""Helpers shared by the tests: the device and a certificate signer as the server makes certificates."""

from __future__ import annotations

import base64
import hashlib
import json
import textwrap
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from trunkline_license.client import fingerprint_hash, key_id

DEVICE = "sha256:" + hashlib.sha256(b"WD-WCC4N0XXXXXX").hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_certificate(key: Ed25519PrivateKey, **overrides: object) -> str:
    """A certificate as the server makes it (the server's own tests check the same format from its side)."""
    now = datetime.now(timezone.utc)
    payload = {
        "v": 1,
        "license_id": "9d3c1b9e-0000-4000-8000-000000000001",
        "product": "EPL-PRO",
        "fingerprint_hash": fingerprint_hash(DEVICE),
        "type": "regular",
        "issued_at": now.isoformat(),
        "expires_at": (now + timedelta(days=30)).isoformat(),
        "grace_days": 7,
        "entitlements": {"updates": True, "update_channel": "stable"},
        **overrides,
    }
    enc = _b64url(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode())
    document = {
        "alg": "base64+ed25519",
        "kid": key_id(key.public_key()),
        "enc": enc,
        "sig": _b64url(key.sign(b"certificate/" + enc.encode())),
    }
    body = base64.b64encode(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).decode()
    return (
        "\n".join(
            [
                "-----BEGIN TRUNKLINE LICENSE CERTIFICATE-----",
                *textwrap.wrap(body, 64),
                "-----END TRUNKLINE LICENSE CERTIFICATE-----",
            ]
        )
        + "\n"
    )
