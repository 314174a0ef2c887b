"""The invoice PDF: printed from the stored document only, titled by kind, in the document's language (or the one
asked for), with the reverse-charge statement, the corrected document of a credit note and the payment details."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from weasyprint import HTML

from trunkline.billing.models import Invoice, InvoiceLine
from trunkline.billing.pdf import amount_text, invoice_html, invoice_pdf
from trunkline.billing.services import credit_note_issue
from trunkline.billing.tests.factories import billing_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def bulgarian() -> None:
    """The Bulgarian texts of the PDF come from the billing catalogue; a missing translation fails here first."""
    with translation.override("bg"):
        assert translation.gettext("Proforma invoice") != "Proforma invoice"


def laid_out_text(html: str) -> str:
    """The text WeasyPrint lays out on the pages of the PDF, in reading order."""
    texts: list[str] = []

    def walk(box: Any) -> None:
        if getattr(box, "text", None):
            texts.append(box.text)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in HTML(string=html).render().pages:
        walk(page._page_box)
    return " ".join(texts)


def test_the_pdf_of_an_invoice_in_english_has_its_number_totals_and_payment_details():
    """An English tax invoice: a PDF with the title, ORIGINAL, the number, the lines and totals as stored, and the
    seller's IBAN with the number as the payment reference."""
    world = billing_world()
    invoice = world.invoiced(quantity=250, kind="invoice")
    invoice.seller = {**invoice.seller, "iban": "BG80BNBG96611020345678", "bic": "BNBGBGSD"}
    invoice.save(update_fields=["seller"])
    pdf = invoice_pdf(invoice, language="en")
    assert pdf.startswith(b"%PDF")
    text = laid_out_text(invoice_html(invoice, language="en"))
    assert "Invoice" in text
    assert "ORIGINAL" in text  # capitals from the stylesheet
    assert invoice.display_number in text
    assert "Proforma" not in text
    for amount in (invoice.net_amount, invoice.vat_amount, invoice.gross_amount):
        assert amount_text(amount) in text.replace("\xa0", " ") or f"{amount:,.2f}" in text
    assert "BG80BNBG96611020345678" in text
    assert "Date of the taxable event" in text
    assert world.reseller.organization.name in text


def test_the_pdf_prints_what_was_stored_not_what_the_prices_are_now():
    """The amounts come from the stored lines: changing the product's price after issue changes nothing."""
    world = billing_world()
    invoice = world.invoiced(quantity=10, kind="invoice")
    world.product.retail_amount = Decimal("999.00")
    world.product.save()
    InvoiceLine.objects.filter(invoice=invoice).update(description="As issued on the day")
    invoice = Invoice.objects.get(pk=invoice.pk)
    html = invoice_html(invoice, language="en")
    assert "As issued on the day" in html
    assert f"{invoice.gross_amount:,.2f}" in html
    assert "999.00" not in html


def test_a_proforma_says_it_is_not_a_tax_document():
    world = billing_world()
    proforma = world.invoiced(quantity=10)
    text = laid_out_text(invoice_html(proforma, language="en"))
    assert "Proforma invoice" in text
    assert "This is not a tax document." in text
    assert "ORIGINAL" not in text
    assert "Date of the taxable event" not in text


def test_a_credit_note_names_the_document_it_corrects():
    world = billing_world()
    invoice = world.invoiced(quantity=10, kind="invoice")
    note = credit_note_issue(ctx=world.staff_ctx, invoice_id=invoice.public_id, reason="Wrong quantity")
    text = laid_out_text(invoice_html(note, language="en"))
    assert "Credit note" in text
    assert f"Corrects document No. {invoice.display_number}" in text
    assert f"-{note.gross_amount.copy_abs():,.2f}" in text


def test_reverse_charge_is_stated_on_the_pdf():
    world = billing_world()
    organization = world.reseller.organization
    organization.vat_number, organization.country = "DE136695976", "DE"
    organization.save()
    invoice = world.invoiced(quantity=10, kind="invoice")
    assert invoice.is_reverse_charge
    text = laid_out_text(invoice_html(invoice, language="en"))
    assert "Reverse charge" in text
    assert "Art. 196 of Directive 2006/112/EC" in text


def test_the_pdf_is_in_bulgarian_for_a_bulgarian_document(bulgarian):
    """A document issued in Bulgarian prints in Bulgarian by default: "Фактура", "ОРИГИНАЛ", Bulgarian
    separators; the same document can still be printed in English on request."""
    world = billing_world()
    organization = world.reseller.organization
    organization.language = "bg"
    organization.save()
    invoice = world.invoiced(quantity=250, kind="invoice")
    assert invoice.language == "bg"
    assert invoice_pdf(invoice).startswith(b"%PDF")
    text = laid_out_text(invoice_html(invoice))
    assert "Фактура" in text
    assert "ОРИГИНАЛ" in text
    assert "Дата на издаване" in text
    assert invoice.display_number in text
    assert f"{invoice.gross_amount:,.2f}".replace(",", "\xa0").replace(".", ",") in text
    english = laid_out_text(invoice_html(invoice, language="en"))
    assert "Invoice" in english
    assert "Фактура" not in english


def test_a_bulgarian_proforma_has_its_bulgarian_title(bulgarian):
    world = billing_world()
    proforma = world.invoiced(quantity=10)
    text = laid_out_text(invoice_html(proforma, language="bg"))
    assert "Проформа фактура" in text
    assert "Това не е данъчен документ." in text
