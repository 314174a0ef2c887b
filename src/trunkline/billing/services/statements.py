"""Importing bank statements (CAMT.053 or CSV). Every line is stored once, by a key that is the same when the same
line comes again in a later or overlapping statement; an incoming line whose reference names open invoices becomes a
payment of them, any other waits on the review screen for staff to assign or ignore it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.billing.domain.statements import StatementEntry, StatementFormatError, looks_like_xml, parse_statement
from trunkline.billing.errors import BillingInvalidError, StatementLineStateError, StatementUnreadableError
from trunkline.billing.models import LineStatus, StatementImport, StatementLine
from trunkline.billing.services.invoices import require_staff
from trunkline.billing.services.payments import open_invoices_named, payment_record
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.errors import NotFoundError

MAX_STATEMENT_BYTES = 20 * 1024 * 1024


def statement_import(*, ctx: RequestContext, data: bytes, filename: str, at: datetime | None = None) -> StatementImport:
    """Import one statement file (staff). Lines seen before are counted as duplicates and change nothing, so the
    same file imported twice records each payment once. Unreadable files are refused whole, with the reason."""
    at = at or clock.now()
    require_staff(ctx)
    if len(data) > MAX_STATEMENT_BYTES:
        raise BillingInvalidError(fields={"file": [_("The file is larger than 20 MB; split the statement.")]})
    try:
        entries = parse_statement(data, filename)
    except StatementFormatError as error:
        raise StatementUnreadableError(reason=str(error), fields={"file": [str(error)]}) from None
    with transaction.atomic():
        statement = StatementImport.objects.create(
            filename=filename[:255] or "statement",
            sha256=hashlib.sha256(data).hexdigest(),
            format="camt.053" if looks_like_xml(data) else "csv",
            uploaded_by=ctx.user,
            entries=len(entries),
        )
        for entry in entries:
            line = _store_once(statement, entry)
            if line is None:
                statement.duplicates += 1
                continue
            statement.new_entries += 1
            if line.status == LineStatus.UNMATCHED and _match(line, at):
                statement.matched += 1
        statement.save(update_fields=["duplicates", "new_entries", "matched", "updated_at"])
        audit_record(
            ctx=ctx,
            action="billing.statement.imported",
            target=statement,
            changes={
                "file": statement.filename,
                "entries": statement.entries,
                "new": statement.new_entries,
                "duplicates": statement.duplicates,
                "matched": statement.matched,
            },
            at=at,
        )
    return statement


def _store_once(statement: StatementImport, entry: StatementEntry) -> StatementLine | None:
    """The stored line, or None if a line with the same key exists (also when another import stores it first)."""
    if StatementLine.objects.filter(dedupe_key=entry.dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            return StatementLine.objects.create(
                statement=statement,
                dedupe_key=entry.dedupe_key,
                status=LineStatus.UNMATCHED if entry.amount > 0 else LineStatus.OUTGOING,
                booking_date=entry.booking_date,
                amount=entry.amount,
                currency=entry.currency,
                reference=entry.reference,
                counterparty_name=entry.counterparty_name[:200],
                counterparty_iban=entry.counterparty_iban[:34],
                bank_reference=entry.bank_reference[:100],
            )
    except IntegrityError:
        return None


def _match(line: StatementLine, at: datetime) -> bool:
    """Pay the open documents the line's reference names, if they all belong to one organisation."""
    invoices = open_invoices_named(organization=None, reference=line.reference, currency=line.currency)
    organizations = {invoice.organization_id for invoice in invoices}
    if len(organizations) != 1:
        return False
    payment_record(
        ctx=None,
        organization_id=invoices[0].organization.public_id,
        amount=line.amount,
        currency=line.currency,
        received_on=line.booking_date,
        reference=line.reference,
        invoice_ids=[invoice.public_id for invoice in invoices],
        statement_line=line,
        at=at,
    )
    line.status = LineStatus.MATCHED
    line.save(update_fields=["status", "updated_at"])
    return True


def _line_for_review(line_id: Any) -> StatementLine:
    try:
        line: StatementLine = StatementLine.objects.select_for_update().get(public_id=line_id)
    except (StatementLine.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFoundError() from None
    if line.status != LineStatus.UNMATCHED:
        raise StatementLineStateError()
    return line


def statement_line_assign(
    *,
    ctx: RequestContext,
    line_id: Any,
    organization_id: Any,
    invoice_ids: list[Any] | None = None,
    note: str = "",
    at: datetime | None = None,
) -> StatementLine:
    """Staff say who paid an unmatched line, and optionally which invoices it pays; the rest becomes credit."""
    at = at or clock.now()
    require_staff(ctx)
    with transaction.atomic():
        line = _line_for_review(line_id)
        payment_record(
            ctx=ctx,
            organization_id=organization_id,
            amount=line.amount,
            currency=line.currency,
            received_on=line.booking_date,
            reference=line.reference,
            invoice_ids=invoice_ids or None,
            statement_line=line,
            at=at,
        )
        line.status, line.review_note = LineStatus.MATCHED, note.strip()[:500]
        line.save(update_fields=["status", "review_note", "updated_at"])
    return line


def statement_line_ignore(*, ctx: RequestContext, line_id: Any, note: str, at: datetime | None = None) -> StatementLine:
    """Staff set aside an incoming line that is not a customer's payment (e.g. interest), saying why."""
    at = at or clock.now()
    require_staff(ctx)
    if not note.strip():
        raise BillingInvalidError(fields={"note": [_("Say why this line is not a payment.")]})
    with transaction.atomic():
        line = _line_for_review(line_id)
        line.status, line.review_note = LineStatus.IGNORED, note.strip()[:500]
        line.save(update_fields=["status", "review_note", "updated_at"])
        audit_record(ctx=ctx, action="billing.statement_line.ignored", target=line, changes={"note": note}, at=at)
    return line
