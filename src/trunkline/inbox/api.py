from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from trunkline.channels import providers
from trunkline.channels.models import Channel
from trunkline.channels.services import KEEP, channel_create, channel_disable, channel_enable, channel_update
from trunkline.core.api import ERROR_RESPONSES, Page, PageIn, ctx_of, paginate
from trunkline.core.context import require_scope
from trunkline.core.errors import ValidationFailedError
from trunkline.inbox import selectors
from trunkline.inbox.models import (
    Campaign,
    CampaignRecipient,
    CannedReply,
    Contact,
    ContactList,
    Conversation,
    WebhookEndpoint,
)
from trunkline.inbox.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignReportOut,
    CannedReplyIn,
    CannedReplyOut,
    CannedReplyUpdateIn,
    ChannelIn,
    ChannelOut,
    ChannelUpdateIn,
    ConsentIn,
    ConsentOut,
    ContactIn,
    ContactListIn,
    ContactListOut,
    ContactOut,
    ContactUpdateIn,
    ConversationFilterIn,
    ConversationOut,
    ConversationUpdateIn,
    ImportIn,
    ImportOut,
    MessageIn,
    MessageOut,
    NoteIn,
    RecipientOut,
    WebhookCreatedOut,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
)
from trunkline.inbox.services import campaigns as campaign_services
from trunkline.inbox.services.canned import canned_reply_create, canned_reply_delete, canned_reply_update
from trunkline.inbox.services.contacts import (
    consent_grant,
    contact_create,
    contact_list_add,
    contact_list_remove,
    contact_update,
)
from trunkline.inbox.services.export import export_stream
from trunkline.inbox.services.messages import conversation_note, conversation_reply, conversation_update
from trunkline.inbox.services.webhooks import webhook_endpoint_create, webhook_endpoint_disable

router = Router(tags=["inbox"])


def _own(request: HttpRequest, model: type, public_id: UUID) -> Any:
    """Another organisation's id answers 404 before any scope check, so nothing tells it exists (PT-22)."""
    return model.objects.get_for_org(ctx_of(request).organization, public_id=public_id)  # type: ignore[attr-defined]


# --- channels ----------------------------------------------------------------------------------------------------
@router.get("/channels", response={200: Page[ChannelOut], **ERROR_RESPONSES}, operation_id="channel_list")
def channel_list_api(request: HttpRequest, params: Query[PageIn]):
    return paginate(selectors.channel_list(ctx=ctx_of(request)), params, orderings=("name", "-name"))


def _credentials_of(payload: ChannelIn) -> dict[str, str]:
    if payload.provider == "smpp":
        return {"password": payload.password}
    if payload.provider == "smtp":
        secrets = ("smtp_password", "imap_password", "dkim_private_key")
        return {name: getattr(payload, name) for name in secrets if getattr(payload, name)}
    return {"auth_token": payload.auth_token}


@router.post("/channels", response={201: ChannelOut, **ERROR_RESPONSES}, operation_id="channel_create")
def channel_create_api(request: HttpRequest, payload: ChannelIn):
    """Connect a provider (Twilio, SMPP 3.4 or email). Tokens, passwords and keys are stored encrypted, never shown."""
    channel = channel_create(
        ctx=ctx_of(request),
        name=payload.name,
        provider=payload.provider,
        sender=payload.sender,
        account_id=payload.account_id,
        kind="email" if payload.provider == "smtp" else "sms",
        credentials=_credentials_of(payload),
        api_base_url=payload.api_base_url,
        identification_name=payload.identification_name,
        identification_contact=payload.identification_contact,
        rate_per_second=payload.rate_per_second,
        settings=payload.settings,
    )
    return Status(201, channel)


@router.get("/channels/{channel_id}", response={200: ChannelOut, **ERROR_RESPONSES}, operation_id="channel_get")
def channel_get_api(request: HttpRequest, channel_id: UUID):
    _own(request, Channel, channel_id)
    return selectors.channel_get(ctx=ctx_of(request), public_id=channel_id)


_SECRETS = ("auth_token", "password", "smtp_password", "imap_password", "dkim_private_key")  # ChannelUpdateIn's


@router.patch("/channels/{channel_id}", response={200: ChannelOut, **ERROR_RESPONSES}, operation_id="channel_update")
def channel_update_api(request: HttpRequest, channel_id: UUID, payload: ChannelUpdateIn):
    """Change what is sent, nothing else. ``settings`` are validated whole, as on create; a secret (the provider's
    own: auth_token, password, smtp_password, imap_password, dkim_private_key) replaces the stored one and is never
    returned. Bad input changes nothing."""
    channel = _own(request, Channel, channel_id)
    require_scope(ctx_of(request), "channels:manage")  # before telling which secrets the channel takes
    values = payload.dict(exclude_unset=True)
    names = {field.name for field in providers.description_for(channel.provider).fields if field.is_secret}
    credentials: dict[str, str] = {}
    for name in _SECRETS:
        if (value := values.pop(name, None)) is not None:
            credentials[name] = value
    foreign = sorted(set(credentials) - names)
    if foreign:
        message = _("A %(provider)s channel has no such secret.") % {"provider": channel.get_provider_display()}
        raise ValidationFailedError(fields={name: [message] for name in foreign})
    values = {name: value for name, value in values.items() if value is not None or name == "expected_daily_segments"}
    values.setdefault("expected_daily_segments", KEEP)
    return channel_update(ctx=ctx_of(request), channel_id=channel_id, credentials=credentials or None, **values)


@router.post(
    "/channels/{channel_id}/disable", response={200: ChannelOut, **ERROR_RESPONSES}, operation_id="channel_disable"
)
def channel_disable_api(request: HttpRequest, channel_id: UUID):
    """Stop the channel: its provider webhooks answer 404 and nothing more is sent through it; history stays."""
    _own(request, Channel, channel_id)
    return channel_disable(ctx=ctx_of(request), channel_id=channel_id)


@router.post(
    "/channels/{channel_id}/enable", response={200: ChannelOut, **ERROR_RESPONSES}, operation_id="channel_enable"
)
def channel_enable_api(request: HttpRequest, channel_id: UUID):
    _own(request, Channel, channel_id)
    return channel_enable(ctx=ctx_of(request), channel_id=channel_id)


# --- canned replies ----------------------------------------------------------------------------------------------
@router.get(
    "/canned-replies", response={200: Page[CannedReplyOut], **ERROR_RESPONSES}, operation_id="canned_reply_list"
)
def canned_reply_list_api(request: HttpRequest, params: Query[PageIn]):
    return paginate(selectors.canned_reply_list(ctx=ctx_of(request)), params, orderings=("shortcut", "-shortcut"))


@router.post("/canned-replies", response={201: CannedReplyOut, **ERROR_RESPONSES}, operation_id="canned_reply_create")
def canned_reply_create_api(request: HttpRequest, payload: CannedReplyIn):
    """A text agents insert by typing /shortcut. Send an Idempotency-Key header to retry safely."""
    return Status(201, canned_reply_create(ctx=ctx_of(request), shortcut=payload.shortcut, body=payload.body))


@router.get(
    "/canned-replies/{canned_reply_id}",
    response={200: CannedReplyOut, **ERROR_RESPONSES},
    operation_id="canned_reply_get",
)
def canned_reply_get_api(request: HttpRequest, canned_reply_id: UUID):
    _own(request, CannedReply, canned_reply_id)
    return selectors.canned_reply_get(ctx=ctx_of(request), public_id=canned_reply_id)


@router.patch(
    "/canned-replies/{canned_reply_id}",
    response={200: CannedReplyOut, **ERROR_RESPONSES},
    operation_id="canned_reply_update",
)
def canned_reply_update_api(request: HttpRequest, canned_reply_id: UUID, payload: CannedReplyUpdateIn):
    _own(request, CannedReply, canned_reply_id)
    return canned_reply_update(
        ctx=ctx_of(request), canned_reply_id=canned_reply_id, shortcut=payload.shortcut, body=payload.body
    )


@router.delete(
    "/canned-replies/{canned_reply_id}",
    response={204: None, **ERROR_RESPONSES},
    operation_id="canned_reply_delete",
)
def canned_reply_delete_api(request: HttpRequest, canned_reply_id: UUID):
    _own(request, CannedReply, canned_reply_id)
    canned_reply_delete(ctx=ctx_of(request), canned_reply_id=canned_reply_id)
    return Status(204, None)


# --- contacts ----------------------------------------------------------------------------------------------------
@router.get("/contacts", response={200: Page[ContactOut], **ERROR_RESPONSES}, operation_id="contact_list")
def contact_list_api(request: HttpRequest, params: Query[PageIn], q: str = ""):
    return paginate(selectors.contact_list(ctx=ctx_of(request), q=q), params, orderings=("name", "-created_at"))


@router.post("/contacts", response={201: ContactOut, **ERROR_RESPONSES}, operation_id="contact_create")
def contact_create_api(request: HttpRequest, payload: ContactIn):
    return Status(201, contact_create(ctx=ctx_of(request), name=payload.name, phone=payload.phone, email=payload.email))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERROR_RESPONSES}, operation_id="contact_get")
def contact_get_api(request: HttpRequest, contact_id: UUID):
    _own(request, Contact, contact_id)
    return selectors.contact_get(ctx=ctx_of(request), public_id=contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERROR_RESPONSES}, operation_id="contact_update")
def contact_update_api(request: HttpRequest, contact_id: UUID, payload: ContactUpdateIn):
    """Rename a contact or replace its labels; what is not sent stays."""
    _own(request, Contact, contact_id)
    return contact_update(ctx=ctx_of(request), contact_id=contact_id, name=payload.name, labels=payload.labels)


@router.get(
    "/contacts/{contact_id}/consents", response={200: list[ConsentOut], **ERROR_RESPONSES}, operation_id="consent_list"
)
def consent_list_api(request: HttpRequest, contact_id: UUID):
    _own(request, Contact, contact_id)
    ctx = ctx_of(request)
    return list(selectors.consent_list(ctx=ctx, contact=selectors.contact_get(ctx=ctx, public_id=contact_id)))


@router.post(
    "/contacts/{contact_id}/consents", response={201: ConsentOut, **ERROR_RESPONSES}, operation_id="consent_grant"
)
def consent_grant_api(request: HttpRequest, contact_id: UUID, payload: ConsentIn):
    """Record marketing consent with its source (PT-8.13)."""
    _own(request, Contact, contact_id)
    consent = consent_grant(
        ctx=ctx_of(request), contact_id=contact_id, channel_id=payload.channel_id, source=payload.source
    )
    return Status(201, consent)


# --- conversations -----------------------------------------------------------------------------------------------
@router.get(
    "/conversations", response={200: Page[ConversationOut], **ERROR_RESPONSES}, operation_id="conversation_list"
)
def conversation_list_api(request: HttpRequest, params: Query[PageIn], filters: Query[ConversationFilterIn]):
    conversations = selectors.conversation_list(ctx=ctx_of(request), **filters.dict())
    return paginate(conversations, params, orderings=("last_message_at", "-last_message_at"))


@router.get(
    "/conversations/{conversation_id}",
    response={200: ConversationOut, **ERROR_RESPONSES},
    operation_id="conversation_get",
)
def conversation_get_api(request: HttpRequest, conversation_id: UUID):
    _own(request, Conversation, conversation_id)
    return selectors.conversation_get(ctx=ctx_of(request), public_id=conversation_id)


@router.patch(
    "/conversations/{conversation_id}",
    response={200: ConversationOut, **ERROR_RESPONSES},
    operation_id="conversation_update",
)
def conversation_update_api(request: HttpRequest, conversation_id: UUID, payload: ConversationUpdateIn):
    _own(request, Conversation, conversation_id)
    conversation_update(ctx=ctx_of(request), conversation_id=conversation_id, **payload.dict())
    return selectors.conversation_get(ctx=ctx_of(request), public_id=conversation_id)


@router.get(
    "/conversations/{conversation_id}/messages",
    response={200: Page[MessageOut], **ERROR_RESPONSES},
    operation_id="message_list",
)
def message_list_api(request: HttpRequest, conversation_id: UUID, params: Query[PageIn]):
    _own(request, Conversation, conversation_id)
    ctx = ctx_of(request)
    conversation = selectors.conversation_get(ctx=ctx, public_id=conversation_id)
    return paginate(selectors.message_list(ctx=ctx, conversation=conversation), params)


@router.post(
    "/conversations/{conversation_id}/messages",
    response={201: MessageOut, **ERROR_RESPONSES},
    operation_id="message_send",
)
def message_send_api(request: HttpRequest, conversation_id: UUID, payload: MessageIn):
    """Reply through the outbox. Send an Idempotency-Key header: a retry never sends twice."""
    _own(request, Conversation, conversation_id)
    message = conversation_reply(
        ctx=ctx_of(request),
        conversation_id=conversation_id,
        body=payload.body,
        is_promotional=payload.is_promotional,
        one_time=payload.one_time,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return Status(201, message)


@router.post(
    "/conversations/{conversation_id}/notes", response={201: MessageOut, **ERROR_RESPONSES}, operation_id="note_add"
)
def note_add_api(request: HttpRequest, conversation_id: UUID, payload: NoteIn):
    _own(request, Conversation, conversation_id)
    return Status(201, conversation_note(ctx=ctx_of(request), conversation_id=conversation_id, body=payload.body))


@router.get("/inbox/export", response={200: dict, **ERROR_RESPONSES}, operation_id="inbox_export")
def inbox_export_api(request: HttpRequest):
    """Every conversation, message, contact and consent of your organisation as JSON (PT-4.1: the data is yours)."""
    ctx = ctx_of(request)
    require_scope(ctx, "inbox:read")
    response = StreamingHttpResponse(export_stream(ctx=ctx), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="inbox-export.json"'
    return response


# --- campaigns ---------------------------------------------------------------------------------------------------
@router.post("/contact-lists", response={201: ContactListOut, **ERROR_RESPONSES}, operation_id="contact_list_create")
def contact_list_create_api(request: HttpRequest, payload: ContactListIn):
    return Status(201, campaign_services.contact_list_create(ctx=ctx_of(request), name=payload.name))


@router.post(
    "/contact-lists/{contact_list_id}/import",
    response={200: ImportOut, **ERROR_RESPONSES},
    operation_id="contact_list_import",
)
def contact_list_import_api(request: HttpRequest, contact_list_id: UUID, payload: ImportIn):
    """Add CSV rows to a list; bad rows come back by line number."""
    _own(request, ContactList, contact_list_id)
    return campaign_services.contact_import_csv(ctx=ctx_of(request), contact_list_id=contact_list_id, text=payload.csv)


@router.post(
    "/contact-lists/{contact_list_id}/contacts/{contact_id}",
    response={200: ContactListOut, **ERROR_RESPONSES},
    operation_id="contact_list_contact_add",
)
def contact_list_contact_add_api(request: HttpRequest, contact_list_id: UUID, contact_id: UUID):
    """Put a contact on a list (a campaign audience); already on it, nothing changes."""
    _own(request, ContactList, contact_list_id)
    _own(request, Contact, contact_id)
    return contact_list_add(ctx=ctx_of(request), contact_id=contact_id, contact_list_id=contact_list_id)


@router.delete(
    "/contact-lists/{contact_list_id}/contacts/{contact_id}",
    response={204: None, **ERROR_RESPONSES},
    operation_id="contact_list_contact_remove",
)
def contact_list_contact_remove_api(request: HttpRequest, contact_list_id: UUID, contact_id: UUID):
    """Take a contact off a list; not on it, nothing changes. The contact itself stays."""
    _own(request, ContactList, contact_list_id)
    _own(request, Contact, contact_id)
    contact_list_remove(ctx=ctx_of(request), contact_id=contact_id, contact_list_id=contact_list_id)
    return Status(204, None)


@router.get("/campaigns", response={200: Page[CampaignOut], **ERROR_RESPONSES}, operation_id="campaign_list")
def campaign_list_api(request: HttpRequest, params: Query[PageIn]):
    return paginate(selectors.campaign_list(ctx=ctx_of(request)), params, orderings=("created_at", "-created_at"))


@router.post("/campaigns", response={201: CampaignOut, **ERROR_RESPONSES}, operation_id="campaign_create")
def campaign_create_api(request: HttpRequest, payload: CampaignIn):
    return Status(201, campaign_services.campaign_create(ctx=ctx_of(request), **payload.dict()))


@router.get(
    "/campaigns/{campaign_id}", response={200: CampaignReportOut, **ERROR_RESPONSES}, operation_id="campaign_get"
)
def campaign_get_api(request: HttpRequest, campaign_id: UUID):
    """The campaign with its progress and per-status counts (the final report once completed)."""
    _own(request, Campaign, campaign_id)
    campaign = selectors.campaign_get(ctx=ctx_of(request), public_id=campaign_id)
    return {"campaign": campaign, **selectors.campaign_progress(campaign=campaign)}


@router.get(
    "/campaigns/{campaign_id}/recipients",
    response={200: Page[RecipientOut], **ERROR_RESPONSES},
    operation_id="campaign_recipient_list",
)
def campaign_recipients_api(request: HttpRequest, campaign_id: UUID, params: Query[PageIn], status: str = ""):
    _own(request, Campaign, campaign_id)
    campaign = selectors.campaign_get(ctx=ctx_of(request), public_id=campaign_id)
    recipients = CampaignRecipient.objects.filter(campaign=campaign).order_by("id")
    if status:
        recipients = recipients.filter(status=status)
    return paginate(recipients, params)


def _campaign_action(name: str):
    service = getattr(campaign_services, f"campaign_{name}")

    def endpoint(request: HttpRequest, campaign_id: UUID):
        _own(request, Campaign, campaign_id)
        return service(ctx=ctx_of(request), campaign_id=campaign_id)

    endpoint.__name__ = f"campaign_{name}_api"
    return endpoint


for _action in ("start", "pause", "resume", "cancel"):
    router.post(
        f"/campaigns/{{campaign_id}}/{_action}",
        response={200: CampaignOut, **ERROR_RESPONSES},
        operation_id=f"campaign_{_action}",
    )(_campaign_action(_action))


# --- outbound webhooks -------------------------------------------------------------------------------------------
@router.get("/webhooks", response={200: Page[WebhookOut], **ERROR_RESPONSES}, operation_id="webhook_list")
def webhook_list_api(request: HttpRequest, params: Query[PageIn]):
    return paginate(selectors.webhook_endpoint_list(ctx=ctx_of(request)), params)


@router.post("/webhooks", response={201: WebhookCreatedOut, **ERROR_RESPONSES}, operation_id="webhook_create")
def webhook_create_api(request: HttpRequest, payload: WebhookIn):
    """Register an endpoint for message.created, conversation.updated and delivery.updated; HMAC-SHA256 signed."""
    endpoint, secret = webhook_endpoint_create(ctx=ctx_of(request), url=payload.url, events=payload.events)
    return Status(
        201,
        {
            "public_id": endpoint.public_id,
            "url": endpoint.url,
            "events": endpoint.events,
            "is_active": endpoint.is_active,
            "secret": secret,
        },
    )


@router.post(
    "/webhooks/{webhook_id}/disable", response={200: WebhookOut, **ERROR_RESPONSES}, operation_id="webhook_disable"
)
def webhook_disable_api(request: HttpRequest, webhook_id: UUID):
    """Stop sending events to the endpoint; pending deliveries fail and are not retried. The log stays."""
    _own(request, WebhookEndpoint, webhook_id)
    return webhook_endpoint_disable(ctx=ctx_of(request), webhook_id=webhook_id)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response={200: Page[WebhookDeliveryOut], **ERROR_RESPONSES},
    operation_id="webhook_delivery_list",
)
def webhook_delivery_list_api(request: HttpRequest, webhook_id: UUID, params: Query[PageIn]):
    """The delivery log: every event sent, its attempts and the last answer."""
    _own(request, WebhookEndpoint, webhook_id)
    return paginate(selectors.webhook_delivery_list(ctx=ctx_of(request), endpoint_id=webhook_id), params)
