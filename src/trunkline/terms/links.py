"""The objection link of a changed-terms notice: a signed token naming the organisation and the version, so the
addressee can object without signing in and nobody can object for another organisation."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "trunkline.terms.objection"


@dataclass(frozen=True)
class ObjectionTarget:
    organization_id: str
    version_id: str


def objection_token(*, organization_id: object, version_id: object) -> str:
    return signing.dumps({"o": str(organization_id), "v": str(version_id)}, salt=SALT, compress=True)


def objection_path(*, organization_id: object, version_id: object) -> str:
    token = objection_token(organization_id=organization_id, version_id=version_id)
    return reverse("terms:objection", kwargs={"token": token})


def objection_url(*, organization_id: object, version_id: object) -> str:
    return f"{settings.PUBLIC_URL}{objection_path(organization_id=organization_id, version_id=version_id)}"


def objection_target(token: str) -> ObjectionTarget | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("o"), str) or not isinstance(data.get("v"), str):
        return None
    return ObjectionTarget(organization_id=data["o"], version_id=data["v"])
