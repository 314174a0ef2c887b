"""A channel can be connected only to a provider that has a working adapter; anything else is a clear 422."""

from __future__ import annotations

import pytest

from trunkline.channels.models import Channel
from trunkline.channels.services import channel_create
from trunkline.core.errors import ValidationFailedError
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db


def test_a_provider_without_an_adapter_is_refused_and_nothing_is_stored():
    admin = member(kind="customer", role="admin", accepted_terms=True)
    with pytest.raises(ValidationFailedError) as error:
        channel_create(ctx=ctx_for(admin), name="Viber", provider="viber", sender="+359881234567")
    assert "provider" in error.value.fields
    assert not Channel.objects.exists()


def email_settings(**overrides):
    settings = {
        "smtp_host": "smtp.sofiadental.test",
        "smtp_port": 587,
        "smtp_security": "starttls",
        "smtp_username": "support@sofiadental.test",
        "imap_host": "imap.sofiadental.test",
        "imap_port": 993,
        "imap_security": "tls",
        "imap_username": "support@sofiadental.test",
    }
    settings.update(overrides)
    return settings


def test_an_email_channel_is_connected_with_its_servers_and_secrets_stay_out_of_the_audit_trail():
    """Address and settings normalised (domain lower-cased, INBOX by default); passwords only encrypted."""
    from trunkline.audit.models import AuditEvent

    admin = member(kind="customer", role="admin", accepted_terms=True)
    channel = channel_create(
        ctx=ctx_for(admin),
        name="Support",
        kind="email",
        provider="smtp",
        sender="Support@SofiaDental.TEST",
        settings=email_settings(),
        credentials={"smtp_password": "smtp-secret", "imap_password": "imap-secret"},
    )
    channel.refresh_from_db()
    assert channel.kind == "email"
    assert channel.sender == "Support@sofiadental.test"
    assert channel.settings == {**email_settings(), "imap_folder": "INBOX"}
    assert channel.credentials == {"smtp_password": "smtp-secret", "imap_password": "imap-secret"}
    event = AuditEvent.objects.get(action="channel.created")
    assert event.changes["credentials"] == ["imap_password", "smtp_password"]
    assert "secret" not in str(event.changes)
    assert "secret" not in channel.credentials_encrypted


def test_email_settings_are_refused_field_by_field_and_nothing_is_stored():
    """Every problem is named on its field; secrets put in the settings are refused, never stored."""
    admin = member(kind="customer", role="admin", accepted_terms=True)
    with pytest.raises(ValidationFailedError) as error:
        channel_create(
            ctx=ctx_for(admin),
            name="Support",
            kind="email",
            provider="smtp",
            sender="not an address",
            settings=email_settings(
                smtp_host="", smtp_port="x", smtp_security="ssl", imap_port=0, smtp_password="oops", colour="red"
            ),
            credentials={"imap_password": "p"},
        )
    assert sorted(error.value.fields) == [
        "credentials.smtp_password",
        "sender",
        "settings.colour",
        "settings.imap_port",
        "settings.smtp_host",
        "settings.smtp_password",
        "settings.smtp_port",
        "settings.smtp_security",
    ]
    assert error.value.fields["settings.smtp_security"] == ["Choose starttls, tls or none."]
    assert error.value.fields["settings.smtp_password"] == [
        "This is a secret: give it in the credentials, where it is stored encrypted."
    ]
    assert not Channel.objects.exists()


def test_dkim_needs_domain_selector_and_a_readable_rsa_key_aligned_with_the_address():
    admin = member(kind="customer", role="admin", accepted_terms=True)
    with pytest.raises(ValidationFailedError) as error:
        channel_create(
            ctx=ctx_for(admin),
            name="Support",
            kind="email",
            provider="smtp",
            sender="support@sofiadental.test",
            settings=email_settings(imap_host="", dkim_domain="other.test", dkim_selector=""),
            credentials={"smtp_password": "p", "dkim_private_key": "-----BEGIN PRIVATE KEY-----\nnope\n"},
        )
    assert error.value.fields == {
        "settings.dkim_domain": ["The DKIM domain must be the address's domain or a parent of it (DMARC)."],
        "settings.dkim_selector": ["Enter the DKIM selector, e.g. trunkline2026."],
        "credentials.dkim_private_key": ["Give the DKIM private key in PEM format, without a passphrase."],
    }


def test_an_email_channel_needs_the_smtp_provider_and_sms_cannot_use_it():
    admin = member(kind="customer", role="admin", accepted_terms=True)
    with pytest.raises(ValidationFailedError) as error:
        channel_create(ctx=ctx_for(admin), name="SMS", provider="smtp", sender="+359881234567")
    assert error.value.fields == {"kind": ["Email channels use the email (SMTP) provider, and only they."]}
    assert not Channel.objects.exists()
