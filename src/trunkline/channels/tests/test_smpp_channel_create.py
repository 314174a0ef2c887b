"""SMPP channels need valid settings (host, port, …) and a password, which is stored encrypted."""

from __future__ import annotations

import pytest

from trunkline.channels.adapters import adapter_for
from trunkline.channels.adapters.smpp import SmppAdapter
from trunkline.channels.models import Channel
from trunkline.channels.services import channel_create
from trunkline.core.errors import ValidationFailedError
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return member(kind="customer", role="admin", accepted_terms=True)


def test_an_smpp_channel_keeps_its_settings_and_an_encrypted_password(admin):
    """Defaults fill in (port 2775, unpacked GSM-7, transmitter for sends); the password is not in the settings."""
    channel = channel_create(
        ctx=ctx_for(admin),
        name="SMSC",
        provider="smpp",
        sender="Clinic",
        account_id="trunkline",
        credentials={"password": "secret1"},
        settings={"host": "smsc.example.net", "system_type": "CMT"},
    )
    channel.refresh_from_db()
    assert channel.settings == {
        "host": "smsc.example.net",
        "system_type": "CMT",
        "gsm7_packing": "unpacked",
        "send_bind": "transmitter",
        "dlr_id_format": "same",
        "port": 2775,
        "enquire_link_seconds": 30,
        "response_timeout_seconds": 10,
    }
    assert "secret1" not in channel.credentials_encrypted
    adapter = adapter_for(channel)
    assert isinstance(adapter, SmppAdapter)
    assert (adapter.host, adapter.port, adapter.system_id, adapter.password) == (
        "smsc.example.net",
        2775,
        "trunkline",
        "secret1",
    )


@pytest.mark.parametrize(
    ("values", "account_id", "password", "field"),
    [
        ({}, "trunkline", "pw", "settings.host"),
        ({"host": "smsc"}, "", "pw", "account_id"),
        ({"host": "smsc"}, "x" * 16, "pw", "account_id"),
        ({"host": "smsc"}, "trunkline", "", "credentials.password"),
        ({"host": "smsc"}, "trunkline", "123456789", "credentials.password"),
        ({"host": "smsc", "port": 70000}, "trunkline", "pw", "settings.port"),
        ({"host": "smsc", "port": "x"}, "trunkline", "pw", "settings.port"),
        ({"host": "smsc", "gsm7_packing": "zip"}, "trunkline", "pw", "settings.gsm7_packing"),
        ({"host": "smsc", "system_type": "x" * 13}, "trunkline", "pw", "settings.system_type"),
        ({"host": "smsc", "colour": "red"}, "trunkline", "pw", "settings"),
    ],
)
def test_invalid_smpp_settings_are_refused_and_nothing_is_stored(admin, values, account_id, password, field):
    with pytest.raises(ValidationFailedError) as error:
        channel_create(
            ctx=ctx_for(admin),
            name="SMSC",
            provider="smpp",
            sender="Clinic",
            account_id=account_id,
            credentials={"password": password},
            settings=values,
        )
    assert field in error.value.fields
    assert not Channel.objects.exists()
