"""CSV exports of the back office: documents and payments, in the columns an accountant's spreadsheet expects.

Amounts are plain decimals (``1234.50``: no grouping, a decimal point, whatever the language of the page); dates are
ISO (``2026-11-20``); times are ISO 8601 in the staff member's time zone with its offset. Kinds, statuses and purposes
are the stable codes, not their translations, so a sheet keeps working when someone else exports it. The rows are
generated lazily, so the response streams (``commerce.views.ops.csv_response``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from trunkline.commerce.views.ops import iso_time, plain_amount, plain_date

BATCH = 500

INVOICE_HEADER = (
    _("Number"),
    _("Kind"),
    _("Purpose"),
    _("Status"),
    _("Organisation"),
    _("Buyer's VAT number"),
    _("Date of issue"),
    _("Date of the taxable event"),
    _("Due date"),
    _("Currency"),
    _("Net"),
    _("VAT"),
    _("Total"),
    _("Paid"),
    _("Credited"),
    _("Outstanding"),
    _("Reverse charge"),
    _("Order"),
    _("Corrects"),
    _("Issued at"),
    _("Paid at"),
)


def invoice_rows(invoices: Any, *, zone: str) -> Iterator[list[str]]:
    """One row per document of ``invoices`` (a queryset from ``invoice_list``), read in batches."""
    for invoice in invoices.select_related("credited__series").iterator(chunk_size=BATCH):
        yield [
            invoice.display_number,
            invoice.kind,
            invoice.purpose,
            invoice.status,
            invoice.buyer_name,
            invoice.buyer_vat_number,
            plain_date(invoice.issue_date),
            plain_date(invoice.tax_event_date),
            plain_date(invoice.due_date),
            invoice.currency,
            plain_amount(invoice.net_amount),
            plain_amount(invoice.vat_amount),
            plain_amount(invoice.gross_amount),
            plain_amount(invoice.paid_amount),
            plain_amount(invoice.credited_amount),
            plain_amount(invoice.outstanding.amount),
            "yes" if invoice.is_reverse_charge else "no",
            invoice.order.display_number if invoice.order_id else "",
            invoice.credited.display_number if invoice.credited_id else "",
            iso_time(invoice.issued_at, zone),
            iso_time(invoice.paid_at, zone),
        ]


PAYMENT_HEADER = (
    _("Received on"),
    _("Organisation"),
    _("Amount"),
    _("Currency"),
    _("Allocated"),
    _("Credit"),
    _("Reference"),
    _("Paid documents"),
    _("From a bank statement"),
    _("Recorded by"),
    _("Recorded at"),
)


def payment_rows(payments: Any, *, zone: str) -> Iterator[list[str]]:
    """One row per payment of ``payments`` (a queryset from ``payment_list``), read in batches."""
    for payment in payments.iterator(chunk_size=BATCH):
        yield [
            plain_date(payment.received_on),
            payment.organization.name,
            plain_amount(payment.amount),
            payment.currency,
            plain_amount(payment.allocated_amount),
            plain_amount(payment.unallocated.amount),
            payment.reference,
            "; ".join(
                f"{allocation.invoice.display_number}={plain_amount(allocation.amount)}"
                for allocation in payment.allocations.all()
            ),
            "yes" if payment.statement_line_id else "no",
            payment.recorded_by_label,
            iso_time(payment.created_at, zone),
        ]
