"""trunkline-license: the softphone's side of Trunkline licensing. Only ``cryptography`` and the standard library."""

from trunkline_license.client import (
    Certificate,
    CertificateError,
    LicenseClient,
    LicenseError,
    OfflineError,
    ResponseSignatureError,
    device_fingerprint,
    verify_certificate,
)

__all__ = [
    "Certificate",
    "CertificateError",
    "LicenseClient",
    "LicenseError",
    "OfflineError",
    "ResponseSignatureError",
    "device_fingerprint",
    "verify_certificate",
]
