"""Production settings refuse unsafe configurations; each case starts a fresh interpreter to import settings."""

import os
import subprocess
import sys

import pytest

BASE = {"PATH": os.environ["PATH"], "TRUNKLINE_ENV": "production", "ALLOWED_HOSTS": "trunkline.example"}


def import_settings(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    environment = {**BASE, "TRUNKLINE_VAR_DIR": str(tmp_path), **variables}
    code = "import trunkline.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False)


def test_production_needs_a_secret_key(tmp_path):
    """Without SECRET_KEY the platform does not start in production."""
    result = import_settings(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def test_production_refuses_debug(tmp_path):
    """Debug pages never run in production."""
    result = import_settings(tmp_path, SECRET_KEY="x" * 50, TRUNKLINE_DEBUG="1")
    assert "TRUNKLINE_DEBUG cannot be on" in result.stderr


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("https://trunkline.example", "False True 31536000"),
        ("http://trunkline.example", "False False 0"),
    ],
)
def test_tls_turns_on_secure_cookies_and_hsts(tmp_path, public_url, expected):
    """Served over TLS, cookies are Secure and HSTS is sent; over plain HTTP neither."""
    result = import_settings(tmp_path, SECRET_KEY="x" * 50, PUBLIC_URL=public_url)
    assert result.stdout.strip() == expected, result.stderr
