"""After a commit: tell the agents' open pages (Channels) and the customer's webhooks what changed."""

from __future__ import annotations

from trunkline.inbox import realtime
from trunkline.inbox.models import Conversation, Message


def message_payload(message: Message) -> dict:
    return {
        "id": str(message.public_id),
        "conversation_id": str(message.conversation.public_id),
        "direction": message.direction,
        "kind": message.kind,
        "body": message.body,
        "attachments": message.attachments,
        "status": message.status,
        "segments": message.segments,
        "error_code": message.error_code,
        "created_at": message.created_at.isoformat(),
    }


def message_event(*, message_id: int, event: str) -> None:
    """``message.created`` or ``delivery.updated`` for one message: pushed to agents, emitted to webhooks."""
    from trunkline.inbox.services.webhooks import webhook_emit

    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        return
    realtime.push(
        message.organization_id,
        {"event": event, "conversation": str(message.conversation.public_id), "message": str(message.public_id)},
    )
    if message.kind != "note":
        webhook_emit(organization_id=message.organization_id, event=event, data=message_payload(message))


def conversation_event(*, conversation_id: int) -> None:
    from trunkline.inbox.services.webhooks import webhook_emit

    conversation = Conversation.objects.select_related("contact").filter(pk=conversation_id).first()
    if conversation is None:
        return
    realtime.push(
        conversation.organization_id, {"event": "conversation.updated", "conversation": str(conversation.public_id)}
    )
    webhook_emit(
        organization_id=conversation.organization_id,
        event="conversation.updated",
        data={
            "id": str(conversation.public_id),
            "status": conversation.status,
            "assignee": conversation.assignee.email if conversation.assignee else None,
            "labels": conversation.labels,
            "priority": conversation.priority,
        },
    )
