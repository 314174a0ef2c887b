"""Run the package's tests from the repository without installing it; the vendor key fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]


@pytest.fixture
def vendor_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def vendor_pem(vendor_key: Ed25519PrivateKey) -> bytes:
    return vendor_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
