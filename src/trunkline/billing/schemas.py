"""Input and output shapes of the billing API. Amounts are decimal strings with their ``currency``; never floats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from trunkline.billing.models import (
    DisputeStatus,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    LineStatus,
    Payment,
    PaymentAllocation,
    PenaltyDispute,
    Purpose,
    Refund,
    RefundStatus,
    StatementLine,
)


class InvoiceFilterIn(Schema):
    kind: DocumentKind | None = None
    status: InvoiceStatus | None = None
    purpose: Purpose | None = None
    organization_id: UUID | None = Field(None, description="Operator staff only.")
    issued_from: date | None = Field(None, description="Issued on or after.")
    issued_to: date | None = Field(None, description="Issued on or before.")
    overdue: bool = Field(False, description="Only open documents past their due date.")


class InvoiceOut(Schema):
    id: UUID = Field(alias="public_id")
    number: str = Field(alias="display_number", examples=["0000000042", "PF0000000007"])
    kind: DocumentKind
    purpose: Purpose
    status: InvoiceStatus
    organization_id: UUID
    buyer_name: str
    order_id: UUID | None
    issue_date: date
    tax_event_date: date | None
    due_date: date
    currency: str
    net: Decimal = Field(alias="net_amount")
    vat: Decimal = Field(alias="vat_amount")
    gross: Decimal = Field(alias="gross_amount", description="Negative on a credit note.")
    paid: Decimal = Field(alias="paid_amount")
    credited: Decimal = Field(alias="credited_amount")
    outstanding: Decimal = Field(description="What is still owed: gross less payments and credit notes.")
    is_reverse_charge: bool
    issued_at: datetime
    paid_at: datetime | None
    due_now_reason: str = Field(description="Set when termination made the document due at once (RT-8.3).")

    @staticmethod
    def resolve_organization_id(invoice: Invoice) -> UUID:
        return invoice.organization.public_id

    @staticmethod
    def resolve_order_id(invoice: Invoice) -> UUID | None:
        return invoice.order.public_id if invoice.order_id is not None and invoice.order else None

    @staticmethod
    def resolve_outstanding(invoice: Invoice) -> Decimal:
        return invoice.outstanding.amount


class InvoiceLineOut(Schema):
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal = Field(alias="net_amount")
    vat_rate: Decimal = Field(description="Percent, e.g. 20.00.")
    vat: Decimal = Field(alias="vat_amount")
    gross: Decimal = Field(alias="gross_amount")


class InvoiceAllocationOut(Schema):
    payment_id: UUID
    amount: Decimal
    received_on: date
    reference: str
    allocated_at: datetime

    @staticmethod
    def resolve_payment_id(allocation: PaymentAllocation) -> UUID:
        return allocation.payment.public_id

    @staticmethod
    def resolve_received_on(allocation: PaymentAllocation) -> date:
        return allocation.payment.received_on

    @staticmethod
    def resolve_reference(allocation: PaymentAllocation) -> str:
        return allocation.payment.reference


class DisputeOut(Schema):
    invoice_id: UUID
    status: DisputeStatus
    reason: str
    opened_at: datetime
    resolution: str
    resolved_at: datetime | None

    @staticmethod
    def resolve_invoice_id(dispute: PenaltyDispute) -> UUID:
        return dispute.invoice.public_id


class InvoiceDetailOut(InvoiceOut):
    language: str
    note: str
    buyer_vat_number: str
    buyer_country: str
    buyer_address: str
    seller: dict[str, Any] = Field(description="The seller as printed on the day of issue.")
    proforma_id: UUID | None = Field(description="The proforma this tax invoice was issued for.")
    credited_invoice_id: UUID | None = Field(description="The document this credit note corrects.")
    lines: list[InvoiceLineOut]
    allocations: list[InvoiceAllocationOut]
    dispute: DisputeOut | None

    @staticmethod
    def resolve_proforma_id(invoice: Invoice) -> UUID | None:
        return invoice.proforma.public_id if invoice.proforma_id is not None and invoice.proforma else None

    @staticmethod
    def resolve_credited_invoice_id(invoice: Invoice) -> UUID | None:
        return invoice.credited.public_id if invoice.credited_id is not None and invoice.credited else None

    @staticmethod
    def resolve_lines(invoice: Invoice) -> list[Any]:
        return list(invoice.lines.all())

    @staticmethod
    def resolve_allocations(invoice: Invoice) -> list[Any]:
        return list(invoice.allocations.all())

    @staticmethod
    def resolve_dispute(invoice: Invoice) -> PenaltyDispute | None:
        if invoice.purpose != Purpose.PENALTY:
            return None
        return PenaltyDispute.objects.filter(invoice=invoice).select_related("invoice").first()


class InvoiceOrderIn(Schema):
    kind: Literal["proforma", "invoice"] = Field(
        "proforma", description="A proforma invoice (paid first; the tax invoice follows payment) or a tax invoice."
    )


class CreditNoteIn(Schema):
    reason: str = Field(max_length=1000)
    net: Decimal | None = Field(None, description="Net amount to credit; empty credits the whole invoice.")


class DisputeOpenIn(Schema):
    reason: str = Field(max_length=5000, description="Your grounds for contesting the penalty.")


class DisputeResolveIn(Schema):
    for_reseller: bool = Field(description="True cancels the penalty by a credit note; false upholds it.")
    resolution: str = Field(max_length=5000)


class PaymentAllocationOut(Schema):
    invoice_id: UUID
    invoice_number: str
    amount: Decimal
    allocated_at: datetime

    @staticmethod
    def resolve_invoice_id(allocation: PaymentAllocation) -> UUID:
        return allocation.invoice.public_id

    @staticmethod
    def resolve_invoice_number(allocation: PaymentAllocation) -> str:
        return allocation.invoice.display_number


class PaymentOut(Schema):
    id: UUID = Field(alias="public_id")
    organization_id: UUID
    amount: Decimal
    currency: str
    received_on: date
    reference: str
    allocated: Decimal = Field(alias="allocated_amount")
    credit: Decimal = Field(description="The part no invoice took, kept as the payer's credit.")
    recorded_by: str = Field(alias="recorded_by_label")
    allocations: list[PaymentAllocationOut]

    @staticmethod
    def resolve_organization_id(payment: Payment) -> UUID:
        return payment.organization.public_id

    @staticmethod
    def resolve_credit(payment: Payment) -> Decimal:
        return payment.unallocated.amount

    @staticmethod
    def resolve_allocations(payment: Payment) -> list[Any]:
        return list(payment.allocations.all())


class PaymentFilterIn(Schema):
    organization_id: UUID | None = Field(None, description="Operator staff only.")


class PaymentRecordIn(Schema):
    organization_id: UUID = Field(description="The reseller or customer that paid.")
    amount: Decimal = Field(examples=["528.00"], description="A decimal string, at most 2 decimals.")
    currency: str = Field("EUR", max_length=3)
    received_on: date
    reference: str = Field("", max_length=300, description="As on the bank's advice; invoice numbers in it are paid.")
    invoice_ids: list[UUID] = Field(default_factory=list, description="Pay these; empty pays what the reference names.")


class BalanceIn(Schema):
    organization_id: UUID | None = Field(None, description="Operator staff: whose balance (required for them).")
    currency: str = Field("EUR", max_length=3)


class BalanceOut(Schema):
    organization_id: UUID
    currency: str
    outstanding: Decimal = Field(description="Owed on open invoices and proformas.")
    overdue: Decimal = Field(description="Of which past its due date.")
    credit: Decimal = Field(description="Payments no invoice took yet.")
    net: Decimal = Field(description="Outstanding less credit.")


class PenaltyRaiseIn(Schema):
    organization_id: UUID = Field(description="The reseller.")
    product_id: UUID = Field(description="The product of the wrongly provided licenses.")
    licenses: int = Field(ge=1, le=1_000_000)
    reason: str = Field(max_length=5000, description="Which rule was broken, for which end users.")


class StatementImportOut(Schema):
    id: UUID = Field(alias="public_id")
    filename: str
    format: str = Field(examples=["camt.053", "csv"])
    entries: int
    new_entries: int
    duplicates: int = Field(description="Lines imported before: recorded once, so nothing changed for them.")
    matched: int = Field(description="New lines that paid the invoices their reference names.")
    created_at: datetime


class StatementLineOut(Schema):
    id: UUID = Field(alias="public_id")
    statement_id: UUID
    status: LineStatus
    booking_date: date
    amount: Decimal
    currency: str
    reference: str
    counterparty_name: str
    counterparty_iban: str
    bank_reference: str
    review_note: str

    @staticmethod
    def resolve_statement_id(line: StatementLine) -> UUID:
        return line.statement.public_id


class StatementLineAssignIn(Schema):
    organization_id: UUID = Field(description="Who paid.")
    invoice_ids: list[UUID] = Field(default_factory=list, description="Pay these; the rest becomes credit.")
    note: str = Field("", max_length=500)


class StatementLineIgnoreIn(Schema):
    note: str = Field(max_length=500, description="Why the line is not a payment (e.g. bank interest).")


class RefundOut(Schema):
    id: UUID = Field(alias="public_id")
    organization_id: UUID
    amount: Decimal
    currency: str
    status: RefundStatus
    credit_note_id: UUID
    credit_note_number: str
    paid_on: date | None
    bank_reference: str
    created_at: datetime

    @staticmethod
    def resolve_organization_id(refund: Refund) -> UUID:
        return refund.organization.public_id

    @staticmethod
    def resolve_credit_note_id(refund: Refund) -> UUID:
        return refund.credit_note.public_id

    @staticmethod
    def resolve_credit_note_number(refund: Refund) -> str:
        return refund.credit_note.display_number


class RefundPaidIn(Schema):
    paid_on: date
    bank_reference: str = Field(max_length=100)
