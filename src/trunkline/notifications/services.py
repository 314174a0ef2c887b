"""Notices: templated emails (bg/en) through an outbox with retries, a delivery log and acknowledgements (PT-27)."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMessage, make_msgid
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.notifications import policy
from trunkline.notifications.errors import NoRecipientError, NoticeLinkInvalidError
from trunkline.notifications.links import acknowledge_url, notice_id_from_token
from trunkline.notifications.models import Notice, NoticeEvent, NoticeStatus
from trunkline.tenancy.models import Organization

logger = logging.getLogger(__name__)


def _log(notice: Notice, status: str, detail: str = "", at: datetime | None = None) -> None:
    NoticeEvent.objects.create(notice=notice, status=status, detail=detail[:500], at=at or clock.now())


def notice_send(
    *,
    organization: Organization,
    kind: str,
    context: dict[str, Any],
    recipients: list[str] | None = None,
    language: str | None = None,
    requires_acknowledgement: bool = True,
    dedupe_key: str = "",
    ctx: RequestContext | None = None,
) -> list[Notice]:
    """Queue a notice of ``kind`` to each recipient (default: the organisation's account email).

    The subject and body come from ``notifications/<kind>/subject.txt`` and ``body.txt``, rendered now in the
    recipient organisation's language and stored. With a ``dedupe_key`` a notice is queued at most once per
    recipient, so a retried caller never mails twice. Delivery happens after commit, in a task.
    """
    from trunkline.notifications.tasks import notice_deliver_task

    addresses = recipients if recipients is not None else ([organization.email] if organization.email else [])
    if not addresses:
        raise NoRecipientError()
    language = language or organization.language
    notices: list[Notice] = []
    with transaction.atomic():
        for address in addresses:
            if (
                dedupe_key
                and Notice.objects.filter(organization=organization, recipient=address, dedupe_key=dedupe_key).exists()
            ):
                continue
            notice = Notice(
                organization=organization,
                kind=kind,
                recipient=address,
                language=language,
                dedupe_key=dedupe_key,
                requires_acknowledgement=requires_acknowledgement,
            )
            with translation.override(language):
                template_context = {
                    **context,
                    "organization": organization,
                    "notice": notice,
                    "acknowledge_url": acknowledge_url(notice.public_id),
                }
                notice.subject = " ".join(
                    render_to_string(f"notifications/{kind}/subject.txt", template_context).split()
                )
                notice.body = render_to_string(f"notifications/{kind}/body.txt", template_context).strip() + "\n"
            try:
                with transaction.atomic():
                    notice.save()
            except IntegrityError:  # a concurrent caller queued the same notice first
                continue
            _log(notice, NoticeStatus.QUEUED)
            audit_record(
                ctx=ctx,
                action="notice.queued",
                target=notice,
                organization=organization,
                changes={"kind": kind, "recipient": address},
            )
            notices.append(notice)
        for notice in notices:
            transaction.on_commit(partial(notice_deliver_task.enqueue, notice_id=notice.pk))
    return notices


def notice_deliver(*, notice_id: int, at: datetime | None = None) -> Notice:
    """Try to send one queued notice now. Idempotent: a sent, failed or not-yet-due notice is left alone."""
    at = at or clock.now()
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice_id)
        if notice.status != NoticeStatus.QUEUED or (notice.next_attempt_at and notice.next_attempt_at > at):
            return notice
        notice.attempts += 1
        message_id = notice.message_id or make_msgid(domain=settings.NOTICE_MESSAGE_ID_DOMAIN)
        message = EmailMessage(
            notice.subject,
            notice.body,
            None,
            [notice.recipient],
            headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
        )
        try:
            message.send()
        except Exception as error:  # any transport failure is retried, then recorded as failed  # noqa: BLE001
            notice.last_error = f"{type(error).__name__}: {error}"[:500]
            if notice.attempts >= policy.max_attempts():
                notice.status = NoticeStatus.FAILED
                notice.next_attempt_at = None
            else:
                notice.next_attempt_at = at + policy.backoff(notice.attempts)
            _log(notice, notice.status if notice.status == NoticeStatus.FAILED else "retry", notice.last_error, at)
            logger.warning(
                "notice delivery failed", extra={"notice": str(notice.public_id), "error": notice.last_error}
            )
        else:
            notice.status = NoticeStatus.SENT
            notice.sent_at = at
            notice.message_id = message_id
            notice.next_attempt_at = None
            _log(notice, NoticeStatus.SENT, message_id, at)
        notice.save()
    return notice


def notice_mark_bounced(*, notice_id: UUID, detail: str, at: datetime | None = None) -> Notice:
    """A bounce report arrived for a sent notice (the email channel calls this)."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(public_id=notice_id)
        notice.status = NoticeStatus.BOUNCED
        notice.last_error = detail[:500]
        notice.save(update_fields=["status", "last_error", "updated_at"])
        _log(notice, NoticeStatus.BOUNCED, detail, at)
        audit_record(ctx=None, action="notice.bounced", target=notice, organization=notice.organization)
    return notice


def notice_acknowledge(*, token: str, ip: str | None, at: datetime | None = None) -> Notice:
    """Record that the addressee read the notice ("I have read this"). A second click keeps the first time."""
    public_id = notice_id_from_token(token)
    if public_id is None:
        raise NoticeLinkInvalidError()
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(public_id=public_id).first()
        if notice is None:
            raise NoticeLinkInvalidError()
        if notice.acknowledged_at is None:
            notice.acknowledged_at = at or clock.now()
            notice.acknowledged_ip = ip
            notice.save(update_fields=["acknowledged_at", "acknowledged_ip", "updated_at"])
            _log(notice, "acknowledged", ip or "", notice.acknowledged_at)
            audit_record(
                ctx=None,
                action="notice.acknowledged",
                target=notice,
                organization=notice.organization,
                changes={"ip": ip},
            )
    return notice
