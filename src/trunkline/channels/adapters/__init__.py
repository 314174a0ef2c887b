"""Provider adapters behind one interface (``base.Adapter``); ``adapter_for`` picks the one a channel uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trunkline.channels.adapters.base import Adapter

if TYPE_CHECKING:
    from trunkline.channels.models import Channel


# Providers with a working adapter; a channel can be connected only to one of these.
SUPPORTED_PROVIDERS = frozenset({"twilio", "smtp", "smpp"})


def adapter_for(channel: Channel) -> Adapter:
    credentials = channel.credentials
    if channel.provider == "twilio":
        from trunkline.channels.adapters.twilio import TwilioAdapter

        return TwilioAdapter(
            account_sid=channel.account_id,
            auth_token=str(credentials.get("auth_token", "")),
            base_url=channel.api_base_url,
        )
    if channel.provider == "smtp":
        from trunkline.channels import email_policy
        from trunkline.channels.adapters.email import email_adapter_for

        return email_adapter_for(
            settings=channel.settings,
            credentials=credentials,
            sender=channel.sender,
            timeout=email_policy.smtp_timeout_seconds(),
            tls_context=email_policy.tls_context(),
        )
    if channel.provider == "smpp":
        from trunkline.channels.adapters.smpp import SmppAdapter, adapter_settings
        from trunkline.channels.services import inbound_event_keep

        return SmppAdapter(
            system_id=channel.account_id,
            password=str(credentials.get("password", "")),
            store=lambda kind, key, payload: inbound_event_keep(channel=channel, kind=kind, key=key, payload=payload),
            **adapter_settings(channel.settings),
        )
    raise NotImplementedError(f"No adapter for provider {channel.provider!r}.")
