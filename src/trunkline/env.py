"""Every setting that comes from the environment, read and checked in one place.

Embedded defaults need nothing installed: SQLite in ``var/``, an in-memory channel layer, e-mail printed to the
console. Setting ``DATABASE_URL``, ``REDIS_URL`` or ``EMAIL_URL`` switches to the real server. A half-configured
integration (a URL that cannot be parsed, TLS without a secret key, ...) raises ``ImproperlyConfigured`` at start.

A secret may be given directly (``SECRET_KEY=...``) or as a file (``SECRET_KEY_FILE=/run/secrets/key``), never
in code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def text(name: str, default: str = "") -> str:
    """The variable, or the contents of the file named by ``<name>_FILE``, or the default."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as error:
            raise ImproperlyConfigured(f"{name}_FILE={file_name} cannot be read: {error}") from error
    return os.environ.get(name, default)


def flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def number(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from error


def words(name: str, default: str = "") -> list[str]:
    return [word.strip() for word in text(name, default).split(",") if word.strip()]


@dataclass(frozen=True)
class EmailServer:
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False


def email_server(url: str) -> EmailServer:
    """Parse ``EMAIL_URL``: ``console:``, ``memory:``, ``smtp://user:pass@host:587?tls=1`` or ``smtps://...``."""
    if url in ("", "console:"):
        return EmailServer(backend="django.core.mail.backends.console.EmailBackend")
    if url == "memory:":
        return EmailServer(backend="django.core.mail.backends.locmem.EmailBackend")
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ImproperlyConfigured(
            f"EMAIL_URL={url!r} is not understood; use smtp://user:password@host:port, smtps://... or console:."
        )
    options = parse_qs(parts.query)
    use_ssl = parts.scheme == "smtps"
    return EmailServer(
        backend="django.core.mail.backends.smtp.EmailBackend",
        host=parts.hostname,
        port=parts.port or (465 if use_ssl else 25),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=options.get("tls", ["0"])[0].lower() in TRUE_WORDS,
        use_ssl=use_ssl,
    )


def redis_url(url: str) -> str:
    if url and urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(f"REDIS_URL={url!r} must start with redis://, rediss:// or unix://.")
    return url


def database_url(url: str) -> str:
    if url and urlsplit(url).scheme not in ("postgres", "postgresql", "sqlite"):
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} is not supported; use postgresql://user@host:5432/name or sqlite:///path."
        )
    return url
