"""What connecting each provider asks for, as data: the settings pages render a form from it, so a new provider adds
a description here, not a template. Which providers can be connected at all is ``adapters.SUPPORTED_PROVIDERS``.

Each field says where its value goes on the channel: ``account_id`` and ``api_base_url`` (columns), ``settings``
(the non-secret provider settings) or ``credentials`` (encrypted at rest, write-only: never shown again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from trunkline.channels.adapters import SUPPORTED_PROVIDERS
from trunkline.channels.models import ChannelKind, Provider

Text = Any  # a str or a lazily translated one

ACCOUNT_ID = "account_id"
API_BASE_URL = "api_base_url"
SETTINGS = "settings"
CREDENTIALS = "credentials"


@dataclass(frozen=True)
class ProviderField:
    name: str
    label: Text
    target: str = SETTINGS
    kind: str = "text"  # text, url, integer, choice, secret, textarea (a secret textarea: a private key)
    required: bool = False
    help_text: Text = ""
    choices: tuple[tuple[str, Text], ...] = ()
    default: Any = None

    @property
    def is_secret(self) -> bool:
        return self.target == CREDENTIALS


@dataclass(frozen=True)
class ProviderDescription:
    provider: str
    kind: str
    fields: tuple[ProviderField, ...]
    sender_help: Text = ""
    hides: tuple[str, ...] = ()  # the channel form's common fields this provider has no use for


# What only text messages have: the sender identification of promotional SMS (PT-8.10) and the per-segment price and
# volume (PT-9.4, PT-9.6). An email channel's form leaves them out.
SMS_ONLY_FIELDS = (
    "identification_name",
    "identification_contact",
    "append_identification",
    "segment_price",
    "expected_daily_segments",
)


SECURITY_CHOICES = (("starttls", "STARTTLS"), ("tls", "TLS"), ("none", _("None (local networks only)")))

DESCRIPTIONS: dict[str, ProviderDescription] = {
    Provider.TWILIO: ProviderDescription(
        provider=Provider.TWILIO,
        kind=ChannelKind.SMS,
        sender_help=_("Your Twilio number in E.164, e.g. +359700100200, or an alphanumeric sender ID."),
        fields=(
            ProviderField(ACCOUNT_ID, _("Account SID"), target=ACCOUNT_ID, required=True),
            ProviderField("auth_token", _("Auth token"), target=CREDENTIALS, kind="secret", required=True),
            ProviderField(
                API_BASE_URL,
                _("API address"),
                target=API_BASE_URL,
                kind="url",
                help_text=_("Empty: https://api.twilio.com. Set it only for a compatible provider or a test stand-in."),
            ),
        ),
    ),
    Provider.SMPP: ProviderDescription(
        provider=Provider.SMPP,
        kind=ChannelKind.SMS,
        sender_help=_("The source address: an E.164 number or an alphanumeric sender ID."),
        fields=(
            ProviderField("host", _("SMSC host"), required=True),
            ProviderField("port", _("SMSC port"), kind="integer", required=True, default=2775),
            ProviderField(ACCOUNT_ID, _("System ID"), target=ACCOUNT_ID, required=True),
            ProviderField("password", _("Password"), target=CREDENTIALS, kind="secret", required=True),
            ProviderField("system_type", _("System type")),
            ProviderField(
                "send_bind",
                _("Bind for sending"),
                kind="choice",
                choices=(("transmitter", _("Transmitter")), ("transceiver", _("Transceiver"))),
                default="transmitter",
            ),
            ProviderField(
                "gsm7_packing",
                _("GSM 7-bit packing"),
                kind="choice",
                choices=(("unpacked", _("Unpacked (one octet per character)")), ("packed", _("Packed"))),
                default="unpacked",
            ),
            ProviderField(
                "dlr_id_format",
                _("Message id in delivery receipts"),
                kind="choice",
                choices=(
                    ("same", _("As given")),
                    ("dec_to_hex", _("Decimal, ours hex")),
                    ("hex_to_dec", _("Hex, ours decimal")),
                ),
                default="same",
            ),
            ProviderField("enquire_link_seconds", _("Keep-alive every (seconds)"), kind="integer", default=30),
            ProviderField("response_timeout_seconds", _("Answer timeout (seconds)"), kind="integer", default=10),
        ),
    ),
    Provider.SMTP: ProviderDescription(
        provider=Provider.SMTP,
        kind=ChannelKind.EMAIL,
        sender_help=_("The address replies come from, e.g. reception@sofiadental.example."),
        hides=SMS_ONLY_FIELDS,
        fields=(
            ProviderField("display_name", _("Name on replies")),
            ProviderField("smtp_host", _("SMTP host"), required=True),
            ProviderField("smtp_port", _("SMTP port"), kind="integer", required=True, default=587),
            ProviderField("smtp_security", _("SMTP security"), kind="choice", choices=SECURITY_CHOICES),
            ProviderField("smtp_username", _("SMTP user name")),
            ProviderField("smtp_password", _("SMTP password"), target=CREDENTIALS, kind="secret"),
            ProviderField("imap_host", _("IMAP host")),
            ProviderField("imap_port", _("IMAP port"), kind="integer", default=993),
            ProviderField("imap_security", _("IMAP security"), kind="choice", choices=SECURITY_CHOICES),
            ProviderField("imap_username", _("IMAP user name")),
            ProviderField("imap_password", _("IMAP password"), target=CREDENTIALS, kind="secret"),
            ProviderField("imap_folder", _("IMAP folder"), default="INBOX"),
            ProviderField("dkim_domain", _("DKIM domain")),
            ProviderField("dkim_selector", _("DKIM selector")),
            ProviderField("dkim_private_key", _("DKIM private key"), target=CREDENTIALS, kind="textarea"),
        ),
    ),
}

GENERIC = (
    ProviderField(ACCOUNT_ID, _("Account"), target=ACCOUNT_ID),
    ProviderField("token", _("Secret"), target=CREDENTIALS, kind="secret"),
    ProviderField(API_BASE_URL, _("API address"), target=API_BASE_URL, kind="url"),
)


def connectable() -> list[tuple[str, str]]:
    """The providers a customer can connect now, as (value, label), in the catalogue's order."""
    return [(value, str(label)) for value, label in Provider.choices if value in SUPPORTED_PROVIDERS]


def description_for(provider: str) -> ProviderDescription:
    """The description of ``provider``; a provider with an adapter but no description gets the generic fields."""
    if provider in DESCRIPTIONS:
        return DESCRIPTIONS[provider]
    return ProviderDescription(provider=provider, kind=ChannelKind.SMS, fields=GENERIC)


def split_values(provider: str, values: dict[str, Any]) -> dict[str, Any]:
    """Sort form values into the channel's places: ``account_id``, ``api_base_url``, ``settings`` and
    ``credentials``. Empty secrets are left out (on an edit they mean: keep the stored one)."""
    placed: dict[str, Any] = {"settings": {}, "credentials": {}}
    for field in description_for(provider).fields:
        value = values.get(field.name)
        if field.target in (ACCOUNT_ID, API_BASE_URL):
            placed[field.target] = (value or "").strip()
        elif field.target == CREDENTIALS:
            if value:
                placed["credentials"][field.name] = value
        elif value not in (None, ""):
            placed["settings"][field.name] = value
    return placed
