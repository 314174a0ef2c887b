"""Test data of the inbox, for the cross-organisation walk (``trunkline.testing.isolation``) and the API tests."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from django.db import transaction

from trunkline.channels.models import Channel
from trunkline.channels.services import channel_create
from trunkline.core.context import RequestContext
from trunkline.inbox.models import Campaign, Contact, ContactList, Conversation, WebhookEndpoint
from trunkline.inbox.services.campaigns import campaign_create, contact_list_create
from trunkline.inbox.services.canned import canned_reply_create
from trunkline.inbox.services.contacts import contact_for_phone
from trunkline.inbox.services.webhooks import webhook_endpoint_create
from trunkline.tenancy.models import Membership


def ctx_for(owner: Membership) -> RequestContext:
    """Every inbox scope, whatever the owner's kind: the walk also makes inbox rows inside resellers."""
    scopes = frozenset({"inbox:read", "inbox:reply", "campaigns:send", "channels:manage"})
    return RequestContext(organization=owner.organization, scopes=scopes, user=owner.user)


def sms_channel(owner: Membership) -> Channel:
    return channel_create(
        ctx=ctx_for(owner),
        name="SMS",
        provider="twilio",
        sender="+359700100200",
        account_id="AC" + "0" * 32,
        credentials={"auth_token": "token"},
        api_base_url="http://127.0.0.1:9",
        identification_name="Org",
        identification_contact="+359 2 000 0000",
    )


def inbox_object(owner: Membership, name: str) -> Any:
    """The public id of a fresh object of kind ``name`` in ``owner``'s organisation."""
    organization = owner.organization
    with transaction.atomic():
        if name == "channel_id":
            return sms_channel(owner).public_id
        if name == "contact_id":
            return contact_for_phone(organization=organization, phone="+359888000111").public_id
        if name == "conversation_id":
            contact = contact_for_phone(organization=organization, phone="+359888000112")
            channel = sms_channel(owner)
            return Conversation.objects.create(organization=organization, contact=contact, channel=channel).public_id
        if name == "contact_list_id":
            return contact_list_create(ctx=ctx_for(owner), name="List").public_id
        if name == "campaign_id":
            contact_list = contact_list_create(ctx=ctx_for(owner), name="List")
            channel = sms_channel(owner)
            return campaign_create(
                ctx=ctx_for(owner),
                name="Campaign",
                channel_id=channel.public_id,
                contact_list_id=contact_list.public_id,
                body="Hello",
                is_promotional=False,
            ).public_id
        if name == "canned_reply_id":
            return canned_reply_create(ctx=ctx_for(owner), shortcut=f"r-{uuid4().hex[:8]}", body="Hello").public_id
        if name == "webhook_id":
            return webhook_endpoint_create(ctx=ctx_for(owner), url="https://example.com/hook")[0].public_id
    raise KeyError(name)


__all__ = ["Campaign", "Contact", "ContactList", "WebhookEndpoint", "inbox_object", "sms_channel"]
