"""Issuing billing documents. ``document_issue`` is the only way a number is given: it locks the series row, takes
its next number and writes the document in the same transaction, so a failure gives the number back and numbers
never have gaps or duplicates, however many are issued at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.billing.calendar import business_date
from trunkline.billing.models import (
    SERIES_OF_KIND,
    DocumentKind,
    Invoice,
    InvoiceLine,
    NumberSeries,
    Seller,
)
from trunkline.billing.models.invoices import NUMBER_DIGITS
from trunkline.core.context import RequestContext
from trunkline.core.money import round_half_up
from trunkline.notifications.services import notice_send
from trunkline.tenancy.models import Organization

SERIES_PREFIXES = {"proforma": "PF", "tax": ""}


@dataclass(frozen=True)
class LineData:
    """A line to issue. ``net`` is the line's net amount as agreed (e.g. stored on the order); VAT is computed on it
    at ``vat_rate`` and rounded half-up once."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    vat_rate: Decimal
    product_id: int | None = None


def seller_snapshot() -> dict[str, str]:
    seller = Seller.current()
    return {
        "name": seller.name,
        "name_bg": seller.name_bg or seller.name,
        "vat_number": seller.vat_number,
        "company_id": seller.company_id,
        "address": seller.address,
        "address_bg": seller.address_bg or seller.address,
        "iban": seller.iban,
        "bic": seller.bic,
        "bank_name": seller.bank_name,
        "email": seller.email,
    }


def _next_number(kind: str) -> tuple[NumberSeries, str]:
    """Take the next number of the kind's series. The row stays locked until the caller's transaction ends."""
    code = SERIES_OF_KIND[DocumentKind(kind)]
    series, _created = NumberSeries.objects.select_for_update().get_or_create(
        code=code, defaults={"prefix": SERIES_PREFIXES[code]}
    )
    number = series.next_number
    if number >= 10**NUMBER_DIGITS:
        raise RuntimeError(f"Series {series.code} is exhausted.")
    series.next_number = number + 1
    series.save(update_fields=["next_number"])
    return series, f"{number:0{NUMBER_DIGITS}d}"


def document_issue(
    *,
    ctx: RequestContext | None,
    organization: Organization,
    kind: str,
    purpose: str,
    lines: list[LineData],
    due_in_days: int,
    at: datetime,
    currency: str,
    is_reverse_charge: bool = False,
    note: str = "",
    order: Any = None,
    proforma: Invoice | None = None,
    credited: Invoice | None = None,
    tax_event_date: date | None = None,
    notify: bool = True,
) -> Invoice:
    """Issue one document to ``organization`` with ``lines``, numbered now. Call inside the caller's transaction
    (the series lock is held until it commits). Totals are the sums of the stored lines."""
    assert transaction.get_connection().in_atomic_block, "document_issue must run inside a transaction"
    stored: list[InvoiceLine] = []
    for position, line in enumerate(lines, start=1):
        net = round_half_up(line.net, currency)
        vat = Decimal(0) if is_reverse_charge else round_half_up(net * line.vat_rate / 100, currency)
        stored.append(
            InvoiceLine(
                position=position,
                description=line.description[:300],
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                net_amount=net,
                vat_rate=Decimal(0) if is_reverse_charge else line.vat_rate,
                vat_amount=vat,
                gross_amount=net + vat,
            )
        )
    net_total = sum((line.net_amount for line in stored), Decimal(0))
    vat_total = sum((line.vat_amount for line in stored), Decimal(0))
    issue_date = business_date(at)
    series, number = _next_number(kind)
    invoice = Invoice.objects.create(
        organization=organization,
        kind=kind,
        purpose=purpose,
        series=series,
        number=number,
        order=order,
        proforma=proforma,
        credited=credited,
        issue_date=issue_date,
        tax_event_date=tax_event_date if kind != DocumentKind.PROFORMA else None,
        due_date=issue_date + timedelta(days=due_in_days),
        currency=currency,
        net_amount=net_total,
        vat_amount=vat_total,
        gross_amount=net_total + vat_total,
        is_reverse_charge=is_reverse_charge,
        note=note,
        language=organization.language,
        buyer_name=organization.name,
        buyer_vat_number=organization.vat_number,
        buyer_country=organization.country,
        buyer_address=organization.address,
        seller=seller_snapshot(),
        issued_at=at,
        issued_by=ctx.user if ctx else None,
    )
    for row in stored:
        row.invoice = invoice
    InvoiceLine.objects.bulk_create(stored)
    audit_record(
        ctx=ctx,
        action="billing.document.issued",
        target=invoice,
        organization=organization,
        changes={"kind": kind, "purpose": purpose, "number": invoice.display_number, "gross": str(invoice.gross)},
        at=at,
    )
    if notify and organization.email:
        document_notify(invoice=invoice)
    return invoice


def document_notify(*, invoice: Invoice) -> None:
    """Email the buyer that a document was issued, with its total, due date and where to download the PDF."""
    organization = invoice.organization
    with translation.override(organization.language):
        kind_label = str(invoice.get_kind_display())
    notice_send(
        organization=organization,
        kind="billing.document_issued",
        context={
            "kind": kind_label,
            "number": invoice.display_number,
            "total": str(invoice.gross),
            "due_date": invoice.due_date.isoformat(),
            "is_credit_note": invoice.kind == DocumentKind.CREDIT_NOTE,
            "url": f"{settings.PUBLIC_URL}/{(organization.kind == 'reseller' and 'reseller') or 'app'}"
            f"/billing/invoices/{invoice.public_id}/",
        },
        requires_acknowledgement=False,
        dedupe_key=f"billing.document_issued:{invoice.public_id}",
    )


def credit_note_lines(invoice: Invoice, *, net: Decimal | None, reason: str) -> list[LineData]:
    """Lines of a credit note for ``invoice``: every line negated (a full credit), or one line of ``-net`` at the
    invoice's VAT rate (a partial correction)."""
    with translation.override(invoice.language):  # in the language of the document it corrects
        return _credit_note_lines(invoice, net=net, reason=reason)


def _credit_note_lines(invoice: Invoice, *, net: Decimal | None, reason: str) -> list[LineData]:
    if net is None:
        return [
            LineData(
                description=_("Credit for line %(position)s of %(number)s: %(description)s")
                % {"position": line.position, "number": invoice.display_number, "description": line.description},
                quantity=-line.quantity,
                unit_price=line.unit_price,
                net=-line.net_amount,
                vat_rate=line.vat_rate,
                product_id=line.product_id,
            )
            for line in invoice.lines.all()
        ]
    rate = invoice.lines.first().vat_rate if invoice.lines.exists() else Decimal(0)  # type: ignore[union-attr]
    return [
        LineData(
            description=_("Correction of %(number)s: %(reason)s")
            % {"number": invoice.display_number, "reason": reason},
            quantity=Decimal(1),
            unit_price=-net,
            net=-net,
            vat_rate=rate,
        )
    ]
