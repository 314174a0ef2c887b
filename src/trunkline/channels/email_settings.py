"""An email channel's settings checked and normalised before it is connected: every problem named on its field."""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from trunkline.channels.domain.email import address_split
from trunkline.core.errors import ValidationFailedError

SECURITY = ("starttls", "tls", "none")
SETTINGS = (
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_folder",
    "dkim_domain",
    "dkim_selector",
    "display_name",  # the From name of replies (the inbox's composer); optional
)
SECRETS = ("smtp_password", "imap_password", "dkim_private_key")


def _port(value: Any) -> int | None:
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 and str(value).strip().isdigit() else None


def _domain_valid(domain: str) -> bool:
    labels = domain.split(".")
    return len(labels) >= 2 and all(
        label and len(label) <= 63 and label.replace("-", "").isalnum() and not label.startswith("-")
        for label in labels
    )


def email_settings_clean(
    *, sender: str, settings: dict[str, Any], credentials: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The channel's address and settings, normalised; ``ValidationFailedError`` with one sentence per bad field
    (``sender``, ``settings.<name>``, ``credentials.<name>``). Secrets belong in credentials and are refused here."""
    errors: dict[str, list[str]] = {}

    def error(field: str, sentence: str) -> None:
        errors.setdefault(field, []).append(sentence)

    address = (sender or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        error("sender", _("Enter the channel's email address, e.g. support@example.com."))
    local, domain = address_split(address)
    address = f"{local}@{domain}" if domain else address

    for name in settings:
        if name in SECRETS:
            error(f"settings.{name}", _("This is a secret: give it in the credentials, where it is stored encrypted."))
        elif name not in SETTINGS:
            error(f"settings.{name}", _("Unknown email setting."))
    cleaned: dict[str, Any] = {}
    for prefix, required in (("smtp", True), ("imap", bool(str(settings.get("imap_host", "")).strip()))):
        host = str(settings.get(f"{prefix}_host", "")).strip()
        if not required:
            continue
        if not host:
            error(f"settings.{prefix}_host", _("Enter the server's host name."))
        port = _port(settings.get(f"{prefix}_port"))
        if port is None:
            error(f"settings.{prefix}_port", _("Enter the server's port, a number from 1 to 65535."))
        security = str(settings.get(f"{prefix}_security", "starttls" if prefix == "smtp" else "tls")).strip().lower()
        if security not in SECURITY:
            error(f"settings.{prefix}_security", _("Choose starttls, tls or none."))
        username = str(settings.get(f"{prefix}_username", "")).strip()
        if prefix == "imap" and not username:
            error("settings.imap_username", _("Enter the mailbox's user name."))
        if username and not str(credentials.get(f"{prefix}_password", "")):
            error(f"credentials.{prefix}_password", _("Enter the password of this user name."))
        cleaned.update(
            {
                f"{prefix}_host": host,
                f"{prefix}_port": port,
                f"{prefix}_security": security,
                f"{prefix}_username": username,
            }
        )
    display_name = str(settings.get("display_name", "")).strip()
    if display_name:
        cleaned["display_name"] = display_name[:120]
    if "imap_host" in cleaned:
        cleaned["imap_folder"] = str(settings.get("imap_folder", "") or "INBOX").strip()

    dkim_domain = str(settings.get("dkim_domain", "")).strip().lower().rstrip(".")
    dkim_selector = str(settings.get("dkim_selector", "")).strip()
    dkim_key = str(credentials.get("dkim_private_key", "")).strip()
    if dkim_domain or dkim_selector or dkim_key:
        if not _domain_valid(dkim_domain):
            error("settings.dkim_domain", _("Enter the domain the DKIM key is published under, e.g. example.com."))
        elif domain and domain != dkim_domain and not domain.endswith("." + dkim_domain):
            error("settings.dkim_domain", _("The DKIM domain must be the address's domain or a parent of it (DMARC)."))
        if not dkim_selector or not all(_domain_valid(f"{label}.x") for label in dkim_selector.split(".")):
            error("settings.dkim_selector", _("Enter the DKIM selector, e.g. trunkline2026."))
        try:
            key = load_pem_private_key(dkim_key.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            error("credentials.dkim_private_key", _("Give the DKIM private key in PEM format, without a passphrase."))
        else:
            if not isinstance(key, RSAPrivateKey) or key.key_size < 1024:
                error("credentials.dkim_private_key", _("Use an RSA key of 2048 bits (1024 at the very least)."))
        cleaned.update({"dkim_domain": dkim_domain, "dkim_selector": dkim_selector})
    if errors:
        raise ValidationFailedError(fields=errors)
    return address, cleaned
