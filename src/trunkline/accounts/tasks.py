"""Background work of accounts: thin tasks, ids in, safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from crontask import cron
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from trunkline.accounts.links import set_password_url
from trunkline.accounts.models import ApiKey, IdempotencyRecord
from trunkline.core import clock
from trunkline.tenancy.models import Membership

logger = logging.getLogger(__name__)


@task()
def invitation_send_task(*, membership_id: int) -> None:
    """Email a new member the link to set their password (or, for an existing person, a note that they were added)."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("user", "organization").get(pk=membership_id)
        user = membership.user
        context = {
            "user": user,
            "organization": membership.organization,
            "set_password_url": None if user.has_usable_password() else set_password_url(user),
            "sign_in_url": f"{settings.PUBLIC_URL}/accounts/login/",
        }
        with translation.override(user.language or membership.organization.language):
            subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
            body = render_to_string("accounts/email/invitation_message.txt", context)
        send_mail(subject, body, None, [user.email])
        Membership.objects.filter(pk=membership.pk).update(
            invitation_sent_at=clock.now(), invitations_sent=F("invitations_sent") + 1
        )


@cron("*/30 * * * *")
@task()
def credentials_purge_task() -> dict[str, int]:
    """Forget what is no longer needed: API keys revoked long ago and idempotency records past their lifetime."""
    now = clock.now()
    keys, _ = ApiKey.objects.filter(
        revoked_at__lt=now - timedelta(days=settings.REVOKED_API_KEY_RETENTION_DAYS)
    ).delete()
    records, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    ).delete()
    logger.info("credentials purged", extra={"api_keys": keys, "idempotency_records": records})
    return {"api_keys": keys, "idempotency_records": records}
