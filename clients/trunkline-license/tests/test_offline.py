"""Offline verification: a genuine certificate verifies; one changed byte, another key, another device or an
expired certificate do not; the CLI verifies with the network disabled."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests_support import DEVICE, sign_certificate  # type: ignore[import-not-found]
from trunkline_license import CertificateError, LicenseClient, device_fingerprint, verify_certificate
from trunkline_license.cli import main
from trunkline_license.client import load_public_key


def test_a_genuine_certificate_verifies_for_its_device(vendor_key, vendor_pem):
    """Signature, device and time all check out."""
    certificate = verify_certificate(
        sign_certificate(vendor_key), load_public_key(vendor_pem), fingerprint=DEVICE, at=datetime.now(timezone.utc)
    )
    assert (certificate.type, certificate.product, certificate.entitlements["updates"]) == ("regular", "EPL-PRO", True)


def test_one_changed_byte_fails(vendor_key, vendor_pem):
    """Changing any one character of the armoured body makes verification fail."""
    text = sign_certificate(vendor_key)
    lines = text.splitlines()
    for row in range(1, len(lines) - 1):
        for column in range(0, len(lines[row]), 5):
            original = lines[row][column]
            changed = lines[:]
            changed[row] = lines[row][:column] + ("B" if original != "B" else "C") + lines[row][column + 1 :]
            with pytest.raises(CertificateError):
                verify_certificate("\n".join(changed), load_public_key(vendor_pem))


def test_a_certificate_signed_by_another_key_fails(vendor_pem):
    """A forger's key is not the vendor's."""
    with pytest.raises(CertificateError, match="signature"):
        verify_certificate(sign_certificate(Ed25519PrivateKey.generate()), load_public_key(vendor_pem))


def test_another_device_or_an_expired_certificate_fails(vendor_key, vendor_pem):
    """Copied to another machine, or past its expiry, the certificate is refused."""
    public_key = load_public_key(vendor_pem)
    with pytest.raises(CertificateError, match="another device"):
        verify_certificate(sign_certificate(vendor_key), public_key, fingerprint="sha256:" + "0" * 64)
    past = datetime.now(timezone.utc) - timedelta(days=60)
    old = sign_certificate(vendor_key, issued_at=past.isoformat(), expires_at=(past + timedelta(days=30)).isoformat())
    with pytest.raises(CertificateError, match="expired"):
        verify_certificate(old, public_key, at=datetime.now(timezone.utc))


def test_the_fingerprint_is_stable_and_hashed():
    """The same source gives the same fingerprint; the raw serial never appears."""
    assert device_fingerprint(lambda: "SERIAL-1") == device_fingerprint(lambda: "SERIAL-1")
    assert "SERIAL-1" not in device_fingerprint(lambda: "SERIAL-1")


def test_the_cli_verifies_offline_with_the_network_disabled(vendor_key, vendor_pem, tmp_path, monkeypatch, capsys):
    """With every socket refused, `trunkline-license verify` checks the stored certificate and prints it."""
    (tmp_path / "vendor.pem").write_bytes(vendor_pem)
    state = tmp_path / "state"
    state.mkdir()
    (state / "license.crt").write_text(sign_certificate(vendor_key))

    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    code = main(
        ["--public-key", str(tmp_path / "vendor.pem"), "--state-dir", str(state), "--fingerprint", DEVICE, "verify"]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["product"] == "EPL-PRO"
    client = LicenseClient(
        base_url="http://unused.invalid", key="", public_key_pem=vendor_pem, state_dir=state, fingerprint=DEVICE
    )
    assert client.verify_offline().type == "regular"
