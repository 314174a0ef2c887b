"""Activate, store and verify a Trunkline license certificate; validate online with an offline grace period.

The vendor's Ed25519 public key is pinned in the product (``public_key_pem``). Certificates are verified offline
with it; every API response's ``Trunkline-Signature`` is verified too (method, path, host, date, body digest), and the
``nonce`` sent is checked in the answer, so a tampered or replayed response is rejected.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import secrets
import subprocess
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Callable
from urllib import error as urlerror
from urllib import request as urlrequest
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

BEGIN = "-----BEGIN TRUNKLINE LICENSE CERTIFICATE-----"
END = "-----END TRUNKLINE LICENSE CERTIFICATE-----"
MAX_CLOCK_DRIFT = timedelta(minutes=5)


class LicenseError(Exception):
    """The server refused (``code`` as in the API: expired, disabled, reset_limit_reached, ...)."""

    def __init__(self, code: str, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.detail = code, message, detail or {}


class CertificateError(LicenseError):
    def __init__(self, message: str) -> None:
        super().__init__("certificate_invalid", message)


class ResponseSignatureError(LicenseError):
    def __init__(self, message: str) -> None:
        super().__init__("response_signature_invalid", message)


class OfflineError(LicenseError):
    def __init__(self, message: str) -> None:
        super().__init__("offline", message)


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    key = load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the vendor key must be Ed25519")
    return key


def key_id(public_key: Ed25519PublicKey) -> str:
    """The vendor key's id as the server writes it into certificates (first 16 hex digits of SHA-256 of the key)."""
    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def fingerprint_hash(fingerprint: str) -> str:
    """The same hash the server certifies (it never stores the raw identifier)."""
    return hashlib.sha256(b"trunkline-device:" + fingerprint.strip().encode("utf-8")).hexdigest()


def _disk_serial() -> str:
    system = platform.system()
    commands: list[list[str]] = []
    if system == "Linux":
        for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            try:
                return Path(path).read_text().strip()
            except OSError:
                continue
    elif system == "Windows":
        commands = [["wmic", "diskdrive", "get", "serialnumber"]]
    elif system == "Darwin":
        commands = [["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"]]
    for command in commands:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=5, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
    return f"{uuid.getnode():012x}"


def device_fingerprint(source: Callable[[], str] = _disk_serial) -> str:
    """A stable identifier of this device: ``sha256:`` + the SHA-256 of the disk serial (or machine id)."""
    return "sha256:" + hashlib.sha256(source().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Certificate:
    text: str
    license_id: str
    product: str
    type: str
    fingerprint_hash: str
    issued_at: datetime
    expires_at: datetime
    grace: timedelta
    entitlements: dict[str, Any]

    def usable_at(self, at: datetime) -> bool:
        return self.issued_at - MAX_CLOCK_DRIFT <= at < self.expires_at


def verify_certificate(
    text: str, public_key: Ed25519PublicKey, *, fingerprint: str | None = None, at: datetime | None = None
) -> Certificate:
    """Verify a certificate offline: signature, and if given, the device and the time. Raises ``CertificateError``."""
    try:
        inner = text.strip()
        if not (inner.startswith(BEGIN) and inner.endswith(END)):
            raise CertificateError("not a Trunkline license certificate")
        body = "".join(inner[len(BEGIN) : -len(END)].split())
        raw = base64.b64decode(body, validate=True)
        document = json.loads(raw)
        # Only the canonical encoding is accepted, so no byte of the certificate can change without failing.
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if base64.b64encode(raw).decode("ascii") != body or canonical != raw:
            raise CertificateError("malformed certificate")
        if document.get("alg") != "base64+ed25519":
            raise CertificateError("unsupported algorithm")
        if document.get("kid") != key_id(public_key):
            raise CertificateError("the signature does not verify with the vendor key (another key id)")
        sig = str(document["sig"])
        if base64.urlsafe_b64encode(_unb64url(sig)).rstrip(b"=").decode("ascii") != sig:
            raise CertificateError("malformed certificate")
        public_key.verify(_unb64url(sig), b"certificate/" + document["enc"].encode("ascii"))
        payload = json.loads(_unb64url(document["enc"]))
        certificate = Certificate(
            text=text,
            license_id=payload["license_id"],
            product=payload["product"],
            type=payload["type"],
            fingerprint_hash=payload["fingerprint_hash"],
            issued_at=datetime.fromisoformat(payload["issued_at"]),
            expires_at=datetime.fromisoformat(payload["expires_at"]),
            grace=timedelta(days=int(payload.get("grace_days", 0))),
            entitlements=dict(payload.get("entitlements", {})),
        )
    except CertificateError:
        raise
    except InvalidSignature as error:
        raise CertificateError("the signature does not verify with the vendor key") from error
    except (ValueError, KeyError, TypeError, UnicodeError) as error:
        raise CertificateError("malformed certificate") from error
    if fingerprint is not None and certificate.fingerprint_hash != fingerprint_hash(fingerprint):
        raise CertificateError("the certificate belongs to another device")
    if at is not None and not certificate.usable_at(at):
        raise CertificateError("the certificate is expired or not yet valid (check the clock)")
    return certificate


def verify_response(
    *, public_key: Ed25519PublicKey, method: str, url: str, headers: dict[str, str], body: bytes, at: datetime
) -> None:
    """Check ``Trunkline-Signature`` over the request target, host, date and body digest; reject stale dates."""
    try:
        digest = "sha-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        if headers.get("digest") != digest:
            raise ResponseSignatureError("the body does not match its digest")
        fields = dict(part.strip().split("=", 1) for part in headers["trunkline-signature"].split(", "))
        signature = base64.b64decode(fields["signature"].strip('"'))
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        # A front server may add a Date header of its own next to the signed one: the signed one must be among them.
        for date in reversed(headers["date"].split("\n")):
            message = (
                f"(request-target): {method.lower()} {target}\nhost: {parts.netloc}\ndate: {date}\ndigest: {digest}"
            )
            try:
                public_key.verify(signature, message.encode())
            except InvalidSignature:
                continue
            if abs(parsedate_to_datetime(date) - at) > MAX_CLOCK_DRIFT:
                raise ResponseSignatureError("the response date is too far from now (replay or clock)")
            return
        raise InvalidSignature
    except ResponseSignatureError:
        raise
    except (InvalidSignature, KeyError, ValueError, TypeError) as error:
        raise ResponseSignatureError("the response signature does not verify") from error


Transport = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


def _header_dict(message: Any) -> dict[str, str]:
    """Lower-case names; repeated headers (two Date headers) joined by newlines."""
    headers: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        headers[key] = f"{headers[key]}\n{value}" if key in headers else value
    return headers


def urllib_transport(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    request = urlrequest.Request(url, data=body, headers=headers, method=method)
    try:
        with urlrequest.urlopen(request, timeout=15) as response:
            return response.status, _header_dict(response.headers), response.read()
    except urlerror.HTTPError as error:
        return error.code, _header_dict(error.headers), error.read()
    except (urlerror.URLError, OSError, TimeoutError) as error:
        raise OfflineError(str(error)) from error


class LicenseClient:
    """The product's license manager. ``state_dir`` keeps the certificate and the time of the last online check."""

    def __init__(
        self,
        *,
        base_url: str,
        key: str,
        public_key_pem: str | bytes,
        state_dir: str | os.PathLike[str],
        fingerprint: str | None = None,
        transport: Transport = urllib_transport,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.public_key = load_public_key(public_key_pem)
        self.state_dir = Path(state_dir)
        self.fingerprint = fingerprint or device_fingerprint()
        self.transport = transport
        self.now = now

    # --- storage ---------------------------------------------------------------------------------------------------

    @property
    def certificate_path(self) -> Path:
        return self.state_dir / "license.crt"

    @property
    def checked_path(self) -> Path:
        return self.state_dir / "last-online-check"

    def stored_certificate(self) -> Certificate | None:
        try:
            return verify_certificate(self.certificate_path.read_text(), self.public_key, fingerprint=self.fingerprint)
        except (OSError, CertificateError):
            return None

    def _store(self, text: str) -> Certificate:
        certificate = verify_certificate(text, self.public_key, fingerprint=self.fingerprint, at=self.now())
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.certificate_path.write_text(text)
        self._mark_checked()
        return certificate

    def _mark_checked(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.checked_path.write_text(self.now().isoformat())

    # --- API -------------------------------------------------------------------------------------------------------

    def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        nonce = secrets.randbelow(2**53)
        body = json.dumps({**payload, "nonce": nonce}).encode()
        url = f"{self.base_url}/licensing/v1/{path}"
        status, headers, answer = self.transport(
            "POST", url, {"Content-Type": "application/json", "License-Key": self.key}, body
        )
        if status >= 500 or status in (408, 429):
            raise OfflineError(f"server answered {status}")
        verify_response(public_key=self.public_key, method="POST", url=url, headers=headers, body=answer, at=self.now())
        data = json.loads(answer)
        if status >= 400:
            raise LicenseError(data.get("code", f"http_{status}"), data.get("message", ""), data.get("detail"))
        if data.get("nonce") != nonce:
            raise ResponseSignatureError("the response answers another request (nonce)")
        return dict(data)

    def activate(self, *, device_name: str = "", product_version: str = "") -> Certificate:
        data = self._call(
            "activate",
            {"fingerprint": self.fingerprint, "device_name": device_name, "product_version": product_version},
        )
        return self._store(data["certificate"])

    def refresh(self) -> Certificate:
        return self._store(self._call("refresh", {"fingerprint": self.fingerprint})["certificate"])

    def reset(self) -> dict[str, Any]:
        data = self._call("reset", {"fingerprint": self.fingerprint})
        self.certificate_path.unlink(missing_ok=True)
        return data

    def updates_allowed(self, version: str) -> bool:
        return bool(self._call("updates", {"fingerprint": self.fingerprint, "version": version})["allowed"])

    def verify_offline(self) -> Certificate:
        """No network: the stored certificate must verify, name this device and be within its validity."""
        certificate = self.stored_certificate()
        if certificate is None:
            raise CertificateError("no valid certificate for this device is stored")
        if not certificate.usable_at(self.now()):
            raise CertificateError("the certificate is expired; go online to refresh it")
        return certificate

    def check(self) -> Certificate:
        """What the softphone calls at start: validate online (refreshing the certificate); when offline, accept the
        stored certificate for its grace period after the last successful online check."""
        try:
            data = self._call("validate", {"fingerprint": self.fingerprint})
        except OfflineError:
            certificate = self.verify_offline()
            try:
                last = datetime.fromisoformat(self.checked_path.read_text().strip())
            except (OSError, ValueError):
                raise OfflineError("offline and never checked online") from None
            if self.now() > last + certificate.grace:
                raise OfflineError("offline for longer than the grace period") from None
            return certificate
        if not data["valid"]:
            self.certificate_path.unlink(missing_ok=True)
            raise LicenseError(data["code"], data["message"])
        return self.refresh()
