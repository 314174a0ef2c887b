"""PT-4.1: the customer exports all its inbox data — contacts, consent, conversations, messages with their delivery
history — as one JSON document, streamed so a large inbox never sits in memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from trunkline.core.context import RequestContext, require_scope
from trunkline.inbox.models import Consent, Contact, Conversation, Message


def _dump(value: object) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def export_stream(*, ctx: RequestContext) -> Iterator[str]:
    require_scope(ctx, "inbox:read")
    organization = ctx.organization
    yield '{"organization": ' + _dump(str(organization.public_id)) + ', "contacts": ['
    first = True
    for contact in Contact.objects.for_org(organization).order_by("id").iterator(chunk_size=1000):
        consents = [
            {
                "channel": str(consent.channel.public_id),
                "marketing_consent_at": consent.marketing_consent_at,
                "marketing_consent_source": consent.marketing_consent_source,
                "opted_out_at": consent.opted_out_at,
                "opted_out_source": consent.opted_out_source,
            }
            for consent in Consent.objects.filter(contact=contact).select_related("channel")
        ]
        contact_row = {
            "id": str(contact.public_id),
            "name": contact.name,
            "phone": contact.phone,
            "email": contact.email,
            "consents": consents,
        }
        yield ("" if first else ",") + _dump(contact_row)
        first = False
    yield '], "conversations": ['
    first = True
    conversations = Conversation.objects.for_org(organization).select_related("contact", "channel", "assignee")
    for conversation in conversations.order_by("id").iterator(chunk_size=500):
        messages = []
        for message in Message.objects.filter(conversation=conversation).select_related("delivery").order_by("id"):
            delivery = getattr(message, "delivery", None)
            messages.append(
                {
                    "id": str(message.public_id),
                    "direction": message.direction,
                    "kind": message.kind,
                    "body": message.body,
                    "status": message.status,
                    "segments": message.segments,
                    "provider_message_id": message.provider_message_id,
                    "created_at": message.created_at,
                    "status_history": list(delivery.status_events.values("status", "raw_status", "part", "at"))
                    if delivery
                    else [],
                }
            )
        row: dict[str, Any] = {
            "id": str(conversation.public_id),
            "contact": str(conversation.contact.public_id),
            "channel": conversation.channel.name,
            "status": conversation.status,
            "assignee": conversation.assignee.email if conversation.assignee else None,
            "labels": conversation.labels,
            "messages": messages,
        }
        yield ("" if first else ",") + _dump(row)
        first = False
    yield "]}"
