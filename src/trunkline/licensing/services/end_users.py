"""End users (RT-4.3): created by the reseller with a required Affiliated Party choice whose history is kept
(RT-4.11); CSV import by a background task, with per-row progress and a per-row error report."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.core.errors import DomainError, NotFoundError, ValidationFailedError
from trunkline.licensing.models import EndUser, EndUserAffiliation, EndUserImport, EndUserImportStatus
from trunkline.tenancy.models import Organization

TRUE_WORDS = {"1", "yes", "y", "true", "да", "affiliated"}
FALSE_WORDS = {"0", "no", "n", "false", "не", "independent"}
CSV_COLUMNS = ("name", "email", "phone", "address", "affiliated", "reference")
MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 5_000_000
IMPORT_BATCH_SIZE = 25  # rows per transaction of the import task


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


def _flag(text: str) -> bool | None:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _csv_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The data rows of an import file as (line number, {column: value}); the file's own problems refuse it whole."""
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
    try:
        return [
            (reader.line_num, {str(key).strip().lower(): (value or "").strip() for key, value in raw.items() if key})
            for raw in reader
        ]
    except csv.Error:
        raise ValidationFailedError(fields={"file": [_("The file is not a valid CSV file.")]}) from None


# The CSV column each field's error is reported under.
ERROR_COLUMNS = {"is_affiliated": "affiliated", "external_reference": "reference"}


def _row_message(error: DomainError) -> str:
    fields = getattr(error, "fields", None) or {}
    if not fields:
        return error.message
    return "; ".join(
        f"{ERROR_COLUMNS.get(name, name)}: {' '.join(str(problem) for problem in problems)}"
        for name, problems in fields.items()
    )


def end_user_import_start(
    *, ctx: RequestContext, data: bytes, file_name: str = "", language: str = ""
) -> EndUserImport:
    """Store an uploaded CSV (columns name, email, phone, address, affiliated, reference) as an import and queue the
    task that creates its end users row by row (``end_user_import_run``). The file's own problems — encoding,
    missing columns, too many rows — refuse it at once; each row's are reported by the task."""
    _require_reseller(ctx)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailedError(fields={"file": [_("The file is too large; import at most 5 MB at a time.")]})
    rows = _csv_rows(data)
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailedError(
            fields={"file": [_("Import at most %(max)s rows at a time.") % {"max": MAX_IMPORT_ROWS}]}
        )
    from trunkline.licensing.tasks import end_user_import_task  # the tasks module imports the services

    with transaction.atomic():
        record = EndUserImport.objects.create(
            organization=ctx.organization,
            file_name=file_name[:255],
            data=data,
            created_by=ctx.user,
            actor_label=ctx.actor_label,
            language=language[:16],
            rows_total=len(rows),
        )
        audit_record(
            ctx=ctx,
            action="licensing.end_user_import_started",
            target=record,
            changes={"file_name": record.file_name, "rows": record.rows_total},
        )
        transaction.on_commit(partial(end_user_import_task.enqueue, import_id=record.pk))
    return record


def _import_context(record: EndUserImport) -> RequestContext:
    """Who the task acts as: the reseller's person who uploaded the file, with the one scope the import needs
    (checked when the file was uploaded)."""
    return RequestContext(
        organization=record.organization,
        scopes=frozenset({"licensing:assign"}),
        user=record.created_by,
        extra={"end_user_import": str(record.public_id)},
    )


def end_user_import_batch(*, import_id: int, batch_size: int = IMPORT_BATCH_SIZE) -> bool:
    """Import the next ``batch_size`` rows in one transaction, under a lock on the import: the rows' end users and the
    counters (rows done, created, errors) commit together. Returns whether the import is finished. The lock and the
    ``rows_done`` resume point make a repeated or concurrent run skip the rows already done (no duplicates)."""
    with transaction.atomic():
        locked = EndUserImport.objects.select_for_update(of=("self",)).select_related("organization", "created_by")
        record: EndUserImport = locked.get(pk=import_id)
        if record.status == EndUserImportStatus.DONE:
            return True
        ctx = _import_context(record)
        rows = _csv_rows(bytes(record.data))
        start = record.rows_done
        with translation.override(record.language or record.organization.language or None):
            for number, row in rows[start : start + batch_size]:
                try:
                    end_user_create(
                        ctx=ctx,
                        name=row.get("name", ""),
                        email=row.get("email", ""),
                        phone=row.get("phone", ""),
                        address=row.get("address", ""),
                        is_affiliated=_flag(row.get("affiliated", "")),
                        external_reference=row.get("reference", ""),
                    )
                except DomainError as error:
                    record.errors.append({"row": number, "message": _row_message(error)})
                else:
                    record.created += 1
        record.rows_done = min(start + batch_size, record.rows_total)
        record.status = EndUserImportStatus.RUNNING
        if record.rows_done >= record.rows_total:
            record.status = EndUserImportStatus.DONE
            record.finished_at = clock.now()
            audit_record(
                ctx=ctx,
                action="licensing.end_user_import_finished",
                target=record,
                changes={"rows": record.rows_total, "created": record.created, "refused": len(record.errors)},
            )
        record.save(update_fields=["rows_done", "created", "errors", "status", "finished_at", "updated_at"])
        return record.status == EndUserImportStatus.DONE


def end_user_import_run(*, import_id: int, batch_size: int = IMPORT_BATCH_SIZE) -> EndUserImport:
    """Run an import to its end, a small transaction per batch so the page's progress bar moves. Idempotent: a run
    of a finished import changes nothing, and a run after an interruption continues where the last one stopped."""
    while not end_user_import_batch(import_id=import_id, batch_size=batch_size):
        pass
    return EndUserImport.objects.get(pk=import_id)


def end_user_imports_purge(*, at: datetime | None = None, organization: Organization | None = None) -> int:
    """Empty the stored CSV files of end-user imports (personal data, RT-7.1.2): those finished — or, if they never
    finished, started — more than ``LICENSING_IMPORT_RETENTION_DAYS`` ago, or every one of ``organization`` (an
    erasure). The counts and the per-row error report stay. Idempotent; returns how many files were emptied."""
    at = at or clock.now()
    imports = EndUserImport.objects.filter(data_purged_at__isnull=True)
    if organization is not None:
        imports = imports.filter(organization=organization)
    else:
        cutoff = at - timedelta(days=settings.LICENSING_IMPORT_RETENTION_DAYS)
        imports = imports.filter(Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff))
    with transaction.atomic():
        ids = list(imports.select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        count = EndUserImport.objects.filter(pk__in=ids).update(data=b"", data_purged_at=at, updated_at=at)
        audit_record(
            ctx=None,
            action="licensing.end_user_imports_purged",
            target=organization,
            organization=organization,
            changes={
                "count": count,
                "reason": "erasure" if organization is not None else "retention",
                "retention_days": settings.LICENSING_IMPORT_RETENTION_DAYS,
            },
            at=at,
        )
    return count
