"""Signed license certificates and signed API responses (Ed25519), verifiable offline with the public key.

A certificate is a JSON payload (license id, product, device fingerprint hash, type, issued and expiry times,
entitlements), encoded as base64url, signed with the vendor's Ed25519 key over ``b"certificate/" + enc`` — the
prefix separates certificate signatures from response signatures made with the same key. The armoured text is::

    -----BEGIN TRUNKLINE LICENSE CERTIFICATE-----
    base64({"alg": "base64+ed25519", "kid": ..., "enc": ..., "sig": ...})
    -----END TRUNKLINE LICENSE CERTIFICATE-----

Responses of /licensing/v1/ are signed like Keygen's (draft-cavage HTTP signatures) over::

    (request-target): post /licensing/v1/activate
    host: licensing.example.com
    date: Mon, 23 Nov 2026 10:00:00 GMT
    digest: sha-256=<base64 of the SHA-256 of the body>

The SDK in ``clients/trunkline-license`` carries its own copy of the verifying half (it must not import the server).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

BEGIN = "-----BEGIN TRUNKLINE LICENSE CERTIFICATE-----"
END = "-----END TRUNKLINE LICENSE CERTIFICATE-----"
ALGORITHM = "base64+ed25519"
CERTIFICATE_DOMAIN = b"certificate/"
SIGNED_HEADERS = "(request-target) host date digest"


class CertificateError(ValueError):
    """The certificate is malformed, or its signature does not verify with the given public key."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name of the key pair (first 16 hex digits of the SHA-256 of the raw public key)."""
    return hashlib.sha256(public_key_bytes(public_key)).hexdigest()[:16]


def fingerprint_hash(fingerprint: str) -> str:
    """What the server stores and certifies instead of the device identifier itself (RT-7.1.2)."""
    return hashlib.sha256(b"trunkline-device:" + fingerprint.strip().encode("utf-8")).hexdigest()


def canonical_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def certificate_sign(payload: dict[str, Any], private_key: Ed25519PrivateKey, *, kid: str | None = None) -> str:
    """The armoured certificate; ``kid`` is ``key_id`` of the key's public half (computed when not given)."""
    enc = _b64url(canonical_json(payload))
    sig = _b64url(private_key.sign(CERTIFICATE_DOMAIN + enc.encode("ascii")))
    document = {"alg": ALGORITHM, "kid": kid or key_id(private_key.public_key()), "enc": enc, "sig": sig}
    body = base64.b64encode(canonical_json(document)).decode("ascii")
    return "\n".join([BEGIN, *(body[start : start + 64] for start in range(0, len(body), 64)), END]) + "\n"


def certificate_verify(text: str, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The payload of a certificate whose signature verifies; ``CertificateError`` otherwise."""
    try:
        inner = text.strip()
        if not (inner.startswith(BEGIN) and inner.endswith(END)):
            raise CertificateError("not a Trunkline license certificate")
        body = "".join(inner[len(BEGIN) : -len(END)].split())
        raw = base64.b64decode(body, validate=True)
        document = json.loads(raw)
        # Only the canonical encoding is accepted, so no byte of the certificate can change without failing.
        if base64.b64encode(raw).decode("ascii") != body or canonical_json(document) != raw:
            raise CertificateError("malformed certificate")
        if document.get("alg") != ALGORITHM:
            raise CertificateError("unsupported algorithm")
        if document.get("kid") != key_id(public_key):
            raise CertificateError("signed by another key")
        enc, sig = str(document["enc"]), str(document["sig"])
        if _b64url(_unb64url(sig)) != sig:
            raise CertificateError("malformed certificate")
        public_key.verify(_unb64url(sig), CERTIFICATE_DOMAIN + enc.encode("ascii"))
        payload = json.loads(_unb64url(enc))
    except CertificateError:
        raise
    except InvalidSignature as error:
        raise CertificateError("signature does not verify") from error
    except (ValueError, KeyError, TypeError, UnicodeError) as error:
        raise CertificateError("malformed certificate") from error
    if not isinstance(payload, dict):
        raise CertificateError("malformed certificate")
    return payload


def body_digest(body: bytes) -> str:
    return "sha-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def signing_string(*, method: str, target: str, host: str, date: str, digest: str) -> bytes:
    return f"(request-target): {method.lower()} {target}\nhost: {host}\ndate: {date}\ndigest: {digest}".encode()


def response_signature(
    *,
    private_key: Ed25519PrivateKey,
    method: str,
    target: str,
    host: str,
    date: str,
    body: bytes,
    kid: str | None = None,
) -> dict[str, str]:
    """The headers that sign one response: ``Date``, ``Digest`` and ``Trunkline-Signature``."""
    digest = body_digest(body)
    signature = private_key.sign(signing_string(method=method, target=target, host=host, date=date, digest=digest))
    header = (
        f'keyid="{kid or key_id(private_key.public_key())}", algorithm="ed25519", headers="{SIGNED_HEADERS}", '
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return {"Date": date, "Digest": digest, "Trunkline-Signature": header}
