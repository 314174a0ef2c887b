"""End users (RT-4.3): created by the reseller with a required Affiliated Party choice whose history is kept
(RT-4.11); CSV import with a per-row error report."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import NotFoundError, ValidationFailedError
from trunkline.licensing.models import EndUser, EndUserAffiliation
from trunkline.tenancy.models import Organization

TRUE_WORDS = {"1", "yes", "y", "true", "да", "affiliated"}
FALSE_WORDS = {"0", "no", "n", "false", "не", "independent"}
CSV_COLUMNS = ("name", "email", "phone", "address", "affiliated", "reference")
MAX_IMPORT_ROWS = 5000


def _require_reseller(ctx: RequestContext, scope: str = "licensing:assign") -> None:
    """Only resellers hold end users; to anyone else they do not exist (404, as for another tenant's objects)."""
    if ctx.organization.kind != "reseller":
        raise NotFoundError()
    require_scope(ctx, scope)


def acting_reseller(ctx: RequestContext, organization: Organization | None = None) -> Organization:
    """The reseller a licensing write is for. Without ``organization`` it is the acting reseller itself. Operator
    staff holding ``ops:manage`` may name a reseller to act on its behalf (issue 7, item 9); a reseller naming any
    organisation but its own, or anyone else naming one, gets the same 404 as for another tenant's objects."""
    if organization is None:
        _require_reseller(ctx)
        return ctx.organization
    if ctx.is_operator:
        require_scope(ctx, "ops:manage")
        if organization.kind != "reseller":
            raise NotFoundError()
        return organization
    _require_reseller(ctx)
    if organization.pk != ctx.organization.pk:
        raise NotFoundError()
    return ctx.organization


def _clean(
    *, name: str, email: str, phone: str, address: str, is_affiliated: bool | None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "name": name.strip(),
        "email": email.strip().lower(),
        "phone": phone.strip(),
        "address": address.strip(),
        "is_affiliated": is_affiliated,
    }
    if not values["name"]:
        errors["name"] = [_("Give the end user's name.")]
    try:
        validate_email(values["email"])
    except ValidationError:
        errors["email"] = [_("Give a valid email address; the license key is sent there.")]
    if is_affiliated is None:
        errors["is_affiliated"] = [
            _("Choose whether the end user is an Affiliated Party or an independent third party.")
        ]
    if values["phone"]:
        try:
            parsed = phonenumbers.parse(values["phone"], "BG")
            if not phonenumbers.is_valid_number(parsed):
                raise phonenumbers.NumberParseException(0, "invalid")
            values["phone"] = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            errors["phone"] = [_("Give a valid phone number, e.g. +359 2 123 4567.")]
    return values, errors


def end_user_create(
    *,
    ctx: RequestContext,
    name: str,
    email: str,
    is_affiliated: bool | None,
    phone: str = "",
    address: str = "",
    external_reference: str = "",
    at: datetime | None = None,
    organization: Organization | None = None,
) -> EndUser:
    """Create an end user of the acting reseller (RT-4.3). The Affiliated Party flag must be chosen (RT-4.11).
    Operator staff pass ``organization`` to create one for that reseller (audited with them as the actor)."""
    reseller = acting_reseller(ctx, organization)
    at = at or clock.now()
    values, errors = _clean(name=name, email=email, phone=phone, address=address, is_affiliated=is_affiliated)
    if errors:
        raise ValidationFailedError(fields=errors)
    with transaction.atomic():
        end_user = EndUser.objects.create(
            organization=reseller, external_reference=external_reference.strip()[:100], **values
        )
        EndUserAffiliation.objects.create(
            end_user=end_user, is_affiliated=bool(is_affiliated), actor_label=ctx.actor_label, at=at
        )
        audit_record(
            ctx=ctx,
            action="licensing.end_user_created",
            target=end_user,
            changes={"is_affiliated": is_affiliated},
            organization=reseller,
        )
    return end_user


def end_user_update(
    *, ctx: RequestContext, end_user_id: UUID, changes: dict[str, Any], reason: str = "", at: datetime | None = None
) -> EndUser:
    """Change an end user's details; a change of the Affiliated Party flag is kept in its history with the reason."""
    _require_reseller(ctx)
    at = at or clock.now()
    allowed = {"name", "email", "phone", "address", "is_affiliated", "external_reference"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailedError(
            fields={name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
        )
    with transaction.atomic():
        end_user = EndUser.objects.select_for_update().get_for_org(ctx.organization, public_id=end_user_id)
        merged = {
            "name": changes.get("name", end_user.name),
            "email": changes.get("email", end_user.email),
            "phone": changes.get("phone", end_user.phone),
            "address": changes.get("address", end_user.address),
            "is_affiliated": changes.get("is_affiliated", end_user.is_affiliated),
        }
        values, errors = _clean(**merged)
        if errors:
            raise ValidationFailedError(fields=errors)
        flag_changed = values["is_affiliated"] != end_user.is_affiliated
        if flag_changed and end_user.licenses.filter(kind="regular").exists():
            raise ValidationFailedError(
                fields={
                    "is_affiliated": [
                        _("This end user already holds End-Point Licenses; the flag counted for them cannot change.")
                    ]
                }
            )
        before = {name: getattr(end_user, name) for name in values}
        for name, value in values.items():
            setattr(end_user, name, value)
        if "external_reference" in changes:
            end_user.external_reference = str(changes["external_reference"]).strip()[:100]
        end_user.save()
        if flag_changed:
            EndUserAffiliation.objects.create(
                end_user=end_user,
                is_affiliated=end_user.is_affiliated,
                reason=reason.strip()[:500],
                actor_label=ctx.actor_label,
                at=at,
            )
        audit_record(
            ctx=ctx,
            action="licensing.end_user_updated",
            target=end_user,
            changes={name: [before[name], value] for name, value in values.items() if before[name] != value},
        )
    return end_user


@dataclass
class ImportReport:
    created: int = 0
    rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"row": n, "fields": {name: [messages]}}


def _flag(text: str) -> bool | None:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def end_user_import_csv(*, ctx: RequestContext, data: bytes, at: datetime | None = None) -> ImportReport:
    """Create end users from a CSV (columns name, email, phone, address, affiliated, reference). Valid rows are
    created; each invalid row is reported with its line number and field errors and nothing of it is saved."""
    _require_reseller(ctx)
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailedError(fields={"file": [_("Save the file as UTF-8 CSV.")]}) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = {name.strip().lower() for name in reader.fieldnames or []}
    missing = {"name", "email", "affiliated"} - headers
    if missing:
        raise ValidationFailedError(
            fields={
                "file": [_("The first line must name the columns; missing: %(m)s.") % {"m": ", ".join(sorted(missing))}]
            }
        )
    for number, raw in enumerate(reader, start=2):
        row = {str(key).strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        report.rows += 1
        if report.rows > MAX_IMPORT_ROWS:
            report.errors.append({"row": number, "fields": {"file": [_("Import at most 5000 rows at a time.")]}})
            break
        try:
            end_user_create(
                ctx=ctx,
                name=row.get("name", ""),
                email=row.get("email", ""),
                phone=row.get("phone", ""),
                address=row.get("address", ""),
                is_affiliated=_flag(row.get("affiliated", "")),
                external_reference=row.get("reference", ""),
                at=at,
            )
        except ValidationFailedError as error:
            report.errors.append({"row": number, "fields": error.fields})
        else:
            report.created += 1
    return report
