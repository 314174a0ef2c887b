"""Canned replies: short texts agents insert in the composer by their shortcut."""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import ValidationFailedError
from trunkline.inbox.models import CannedReply


def _clean(shortcut: str, body: str) -> tuple[str, str]:
    shortcut, body = shortcut.strip().lstrip("/"), body.strip()
    fields: dict[str, list[str]] = {}
    if not shortcut:
        fields["shortcut"] = [_("Give the reply a shortcut.")]
    elif not all(char.isalnum() or char in "-_" for char in shortcut) or len(shortcut) > 40:
        fields["shortcut"] = [_("Use at most 40 letters, digits, hyphens and underscores.")]
    if not body:
        fields["body"] = [_("Write the text of the reply.")]
    if fields:
        raise ValidationFailedError(fields=fields)
    return shortcut, body


def _taken(shortcut: str) -> ValidationFailedError:
    return ValidationFailedError(fields={"shortcut": [_("/%(shortcut)s is taken already.") % {"shortcut": shortcut}]})


def canned_reply_create(*, ctx: RequestContext, shortcut: str, body: str) -> CannedReply:
    require_scope(ctx, "inbox:reply")
    shortcut, body = _clean(shortcut, body)
    try:
        with transaction.atomic():
            reply = CannedReply.objects.create(organization=ctx.organization, shortcut=shortcut, body=body)
            audit_record(ctx=ctx, action="canned_reply.created", target=reply, changes={"shortcut": shortcut})
    except IntegrityError:
        raise _taken(shortcut) from None
    return reply


def canned_reply_update(
    *, ctx: RequestContext, canned_reply_id: UUID, shortcut: str | None = None, body: str | None = None
) -> CannedReply:
    """Change a reply's shortcut or text; ``None`` keeps the stored one."""
    require_scope(ctx, "inbox:reply")
    wanted = ""
    try:
        with transaction.atomic():
            reply = CannedReply.objects.select_for_update().get_for_org(ctx.organization, public_id=canned_reply_id)
            wanted, text = _clean(
                reply.shortcut if shortcut is None else shortcut, reply.body if body is None else body
            )
            changes = {"shortcut": [reply.shortcut, wanted]} if reply.shortcut != wanted else {}
            reply.shortcut, reply.body = wanted, text
            reply.save(update_fields=["shortcut", "body", "updated_at"])
            audit_record(ctx=ctx, action="canned_reply.updated", target=reply, changes=changes)
    except IntegrityError:
        raise _taken(wanted) from None
    return reply


def canned_reply_delete(*, ctx: RequestContext, canned_reply_id: UUID) -> None:
    require_scope(ctx, "inbox:reply")
    with transaction.atomic():
        reply = CannedReply.objects.select_for_update().get_for_org(ctx.organization, public_id=canned_reply_id)
        audit_record(ctx=ctx, action="canned_reply.deleted", target=reply, changes={"shortcut": reply.shortcut})
        reply.delete()
