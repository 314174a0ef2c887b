"""Tenant-scoped reads of the inbox. Every one takes the caller's context; another organisation's row is a 404."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet

from trunkline.channels.models import Channel
from trunkline.core.context import RequestContext, require_scope
from trunkline.inbox.models import (
    Campaign,
    CampaignRecipient,
    CannedReply,
    Consent,
    Contact,
    ContactIdentity,
    ContactList,
    Conversation,
    Message,
    MessageAttachment,
    RecipientStatus,
    WebhookDelivery,
    WebhookEndpoint,
)


def conversation_list(
    *,
    ctx: RequestContext,
    status: str = "",
    channel_id: UUID | None = None,
    assignee: str = "",
    label: str = "",
    q: str = "",
) -> QuerySet[Conversation]:
    """Newest first; ``assignee`` is ``me``, ``none`` or empty for all; ``q`` searches the contact and the text."""
    require_scope(ctx, "inbox:read")
    conversations = Conversation.objects.for_org(ctx.organization).select_related("contact", "channel", "assignee")
    if status:
        conversations = conversations.filter(status=status)
    if channel_id:
        conversations = conversations.filter(channel__public_id=channel_id)
    if assignee == "me" and ctx.user is not None:
        conversations = conversations.filter(assignee=ctx.user)
    elif assignee == "none":
        conversations = conversations.filter(assignee__isnull=True)
    if label:
        conversations = conversations.filter(labels__icontains=f'"{label}"')
    if q:
        matching = Message.objects.filter(organization=ctx.organization, body__icontains=q).values("conversation_id")
        conversations = conversations.filter(
            Q(contact__name__icontains=q) | Q(contact__phone__icontains=q) | Q(pk__in=matching)
        )
    return conversations.order_by("-last_message_at", "-id")


def conversation_get(*, ctx: RequestContext, public_id: Any) -> Conversation:
    require_scope(ctx, "inbox:read")
    return Conversation.objects.select_related("contact", "channel", "assignee").get_for_org(
        ctx.organization, public_id=public_id
    )


def message_list(*, ctx: RequestContext, conversation: Conversation) -> QuerySet[Message]:
    require_scope(ctx, "inbox:read")
    return Message.objects.for_org(ctx.organization).filter(conversation=conversation).select_related("author")


def attachment_get(*, ctx: RequestContext, conversation: Conversation, public_id: Any) -> MessageAttachment:
    """A stored email attachment of one of the organisation's conversations (another tenant's: NotFoundError)."""
    require_scope(ctx, "inbox:read")
    return MessageAttachment.objects.filter(message__conversation=conversation).get_for_org(
        ctx.organization, public_id=public_id
    )


def consent_list(*, ctx: RequestContext, contact: Contact) -> QuerySet[Consent]:
    require_scope(ctx, "inbox:read")
    return Consent.objects.for_org(ctx.organization).filter(contact=contact).select_related("channel")


def contact_list(*, ctx: RequestContext, q: str = "") -> QuerySet[Contact]:
    require_scope(ctx, "inbox:read")
    contacts = Contact.objects.for_org(ctx.organization)
    if q:
        contacts = contacts.filter(
            Q(name__icontains=q) | Q(phone__icontains=q) | Q(email__icontains=q) | Q(labels__icontains=q)
        )
    return contacts


def contact_get(*, ctx: RequestContext, public_id: Any) -> Contact:
    require_scope(ctx, "inbox:read")
    return Contact.objects.get_for_org(ctx.organization, public_id=public_id)


def channel_list(*, ctx: RequestContext) -> QuerySet[Channel]:
    require_scope(ctx, "inbox:read")
    return Channel.objects.for_org(ctx.organization)


def channel_get(*, ctx: RequestContext, public_id: Any) -> Channel:
    require_scope(ctx, "inbox:read")
    return Channel.objects.get_for_org(ctx.organization, public_id=public_id)


def canned_reply_list(*, ctx: RequestContext) -> QuerySet[CannedReply]:
    require_scope(ctx, "inbox:read")
    return CannedReply.objects.for_org(ctx.organization)


def campaign_list(*, ctx: RequestContext) -> QuerySet[Campaign]:
    require_scope(ctx, "inbox:read")
    return Campaign.objects.for_org(ctx.organization).select_related("channel")


def campaign_get(*, ctx: RequestContext, public_id: Any) -> Campaign:
    require_scope(ctx, "inbox:read")
    return Campaign.objects.select_related("channel", "contact_list").get_for_org(ctx.organization, public_id=public_id)


def campaign_progress(*, campaign: Campaign) -> dict[str, Any]:
    """Counts per recipient status and the share of recipients in a final state (the progress bar)."""
    counts = dict(
        CampaignRecipient.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    total = sum(counts.values())
    queued = counts.get(RecipientStatus.QUEUED, 0)
    done = total - queued
    return {
        "total": total,
        "counts": {status: counts.get(status, 0) for status in RecipientStatus.values},
        "done": done,
        "percent": 100 if total == 0 else int(done * 100 // total),
    }


def webhook_endpoint_list(*, ctx: RequestContext) -> QuerySet[WebhookEndpoint]:
    require_scope(ctx, "channels:manage")
    return WebhookEndpoint.objects.for_org(ctx.organization)


def webhook_delivery_list(*, ctx: RequestContext, endpoint_id: Any) -> QuerySet[WebhookDelivery]:
    require_scope(ctx, "channels:manage")
    endpoint = WebhookEndpoint.objects.get_for_org(ctx.organization, public_id=endpoint_id)
    return WebhookDelivery.objects.for_org(ctx.organization).filter(endpoint=endpoint)


def channel_settings_get(*, ctx: RequestContext, public_id: Any) -> Channel:
    require_scope(ctx, "channels:manage")
    return Channel.objects.get_for_org(ctx.organization, public_id=public_id)


def canned_reply_get(*, ctx: RequestContext, public_id: Any) -> CannedReply:
    require_scope(ctx, "inbox:read")
    return CannedReply.objects.get_for_org(ctx.organization, public_id=public_id)


def contact_list_list(*, ctx: RequestContext) -> QuerySet[ContactList]:
    require_scope(ctx, "inbox:read")
    return ContactList.objects.for_org(ctx.organization).annotate(size=Count("contacts"))


def contact_identities(*, ctx: RequestContext, contact: Contact) -> QuerySet[ContactIdentity]:
    require_scope(ctx, "inbox:read")
    return ContactIdentity.objects.for_org(ctx.organization).filter(contact=contact).order_by("kind", "value")


def contact_conversations(*, ctx: RequestContext, contact: Contact) -> QuerySet[Conversation]:
    require_scope(ctx, "inbox:read")
    return Conversation.objects.for_org(ctx.organization).filter(contact=contact).select_related("channel")


def webhook_endpoint_get(*, ctx: RequestContext, public_id: Any) -> WebhookEndpoint:
    require_scope(ctx, "channels:manage")
    return WebhookEndpoint.objects.get_for_org(ctx.organization, public_id=public_id)
