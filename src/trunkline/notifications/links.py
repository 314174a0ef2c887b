"""The "I have read this" link: a signed token naming the notice, so nobody can acknowledge another's notice."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "trunkline.notifications.acknowledge"


def acknowledge_url(public_id: UUID) -> str:
    token = signing.dumps(str(public_id), salt=SALT)
    return f"{settings.PUBLIC_URL}{reverse('notifications:acknowledge', kwargs={'token': token})}"


def notice_id_from_token(token: str) -> str | None:
    try:
        return str(signing.loads(token, salt=SALT))
    except signing.BadSignature:
        return None
