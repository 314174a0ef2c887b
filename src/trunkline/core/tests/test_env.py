import pytest
from django.core.exceptions import ImproperlyConfigured

from trunkline import env


def test_email_url_forms():
    """EMAIL_URL selects console, memory or a real SMTP server with credentials and TLS."""
    assert env.email_server("").backend.endswith("console.EmailBackend")
    assert env.email_server("memory:").backend.endswith("locmem.EmailBackend")
    smtp = env.email_server("smtp://mailer:s%40cret@mail.example.com:587?tls=1")
    assert (smtp.host, smtp.port, smtp.user, smtp.password, smtp.use_tls) == (
        "mail.example.com",
        587,
        "mailer",
        "s@cret",
        True,
    )
    assert env.email_server("smtps://mail.example.com").port == 465


@pytest.mark.parametrize(
    ("reader", "value", "message"),
    [
        (env.email_server, "mail.example.com", "EMAIL_URL='mail.example.com' is not understood"),
        (env.redis_url, "localhost:6379", "REDIS_URL='localhost:6379' must start with redis://"),
        (env.database_url, "mysql://db/trunkline", "DATABASE_URL='mysql://db/trunkline' is not supported"),
    ],
)
def test_half_configured_integrations_fail_loudly(reader, value, message):
    """A URL that cannot be used stops the start with a sentence naming the variable."""
    with pytest.raises(ImproperlyConfigured, match=message):
        reader(value)


def test_flags_and_numbers_are_strict(monkeypatch):
    """A boolean or number that is neither refuses to start instead of guessing."""
    monkeypatch.setenv("TRUNKLINE_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="is not a boolean"):
        env.flag("TRUNKLINE_DEBUG")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "eight")
    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        env.number("DATABASE_POOL_SIZE", 8)


def test_secrets_come_from_a_file(tmp_path, monkeypatch):
    """SECRET_KEY_FILE is read (stripped); a missing file is a clear error."""
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env.text("SECRET_KEY") == "from-a-file"
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env.text("SECRET_KEY")
