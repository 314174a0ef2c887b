"""An issued billing document as a PDF (WeasyPrint), in Bulgarian or English.

Everything printed comes from the stored document: its lines, totals, buyer and the seller snapshot taken on the day
of issue. Nothing is recomputed here, so the PDF of an old invoice stays what was issued even after prices, VAT
rates or the seller's details change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation

from trunkline.billing.models import DocumentKind, Invoice
from trunkline.core.money import MINOR_UNITS

LANGUAGES = ("bg", "en")

# WeasyPrint and its font subsetter report each step at INFO; one invoice is not worth a hundred log lines.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"The invoice loads nothing from outside: {url}")


def amount_text(value: Decimal, currency: str = "EUR") -> str:
    """An amount as printed: the currency's minor unit (2 places for the euro), grouped, in the active language's
    separators. Decimal only — never a float."""
    places = MINOR_UNITS.get(currency, 2)
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def quantity_text(value: Decimal) -> str:
    """A quantity without trailing zeros: 250, not 250.00 (but 2,5 for a fraction)."""
    places = 0 if value == value.to_integral_value() else 2
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def rate_text(value: Decimal) -> str:
    places = 0 if value == value.to_integral_value() else 2
    return formats.number_format(value, decimal_pos=places, use_l10n=True)


def date_text(value: date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


@dataclass(frozen=True)
class PrintedLine:
    position: int
    description: str
    quantity: str
    unit_price: str
    net: str
    vat_rate: str
    vat: str
    gross: str


def invoice_context(invoice: Invoice, *, language: str) -> dict[str, Any]:
    """What the template prints, with amounts and dates already formatted in ``language`` (call under override)."""
    currency = invoice.currency
    seller = invoice.seller or {}
    in_bulgarian = language == "bg"
    lines = [
        PrintedLine(
            position=line.position,
            description=line.description,
            quantity=quantity_text(line.quantity),
            unit_price=amount_text(line.unit_price, currency),
            net=amount_text(line.net_amount, currency),
            vat_rate=rate_text(line.vat_rate),
            vat=amount_text(line.vat_amount, currency),
            gross=amount_text(line.gross_amount, currency),
        )
        for line in invoice.lines.all()
    ]
    credited = invoice.credited
    return {
        "invoice": invoice,
        "language": language,
        "title": invoice.get_kind_display(),
        "is_tax_document": invoice.is_tax_document,
        "is_proforma": invoice.kind == DocumentKind.PROFORMA,
        "is_credit_note": invoice.kind == DocumentKind.CREDIT_NOTE,
        "number": invoice.display_number,
        "issue_date": date_text(invoice.issue_date),
        "tax_event_date": date_text(invoice.tax_event_date) if invoice.is_tax_document else "",
        "due_date": date_text(invoice.due_date),
        "seller": {
            "name": (seller.get("name_bg") if in_bulgarian else "") or seller.get("name", ""),
            "address": (seller.get("address_bg") if in_bulgarian else "") or seller.get("address", ""),
            "vat_number": seller.get("vat_number", ""),
            "company_id": seller.get("company_id", ""),
            "iban": seller.get("iban", ""),
            "bic": seller.get("bic", ""),
            "bank_name": seller.get("bank_name", ""),
            "email": seller.get("email", ""),
        },
        "lines": lines,
        "currency": currency,
        "net": amount_text(invoice.net_amount, currency),
        "vat": amount_text(invoice.vat_amount, currency),
        "gross": amount_text(invoice.gross_amount, currency),
        "credited_number": credited.display_number if credited is not None else "",
        "credited_date": date_text(credited.issue_date) if credited is not None else "",
    }


def invoice_html(invoice: Invoice, *, language: str | None = None) -> str:
    """The document as the HTML WeasyPrint lays out (also what tests read)."""
    language = language if language in LANGUAGES else invoice.language if invoice.language in LANGUAGES else "bg"
    with translation.override(language):
        return render_to_string("billing/pdf/invoice.html", invoice_context(invoice, language=language))


def invoice_pdf(invoice: Invoice, *, language: str | None = None) -> bytes:
    """The document as a PDF, in ``language`` (default: the language it was issued in), with nothing fetched."""
    from weasyprint import HTML

    html = invoice_html(invoice, language=language)
    return bytes(HTML(string=html, url_fetcher=_refuse_fetch).write_pdf())
