from trunkline.billing.models.invoices import (
    SERIES_OF_KIND,
    DisputeStatus,
    DocumentKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    NumberSeries,
    PenaltyDispute,
    Purpose,
)
from trunkline.billing.models.payments import (
    LineStatus,
    Payment,
    PaymentAllocation,
    Refund,
    RefundStatus,
    StatementImport,
    StatementLine,
)
from trunkline.billing.models.policy import BillingPolicy, Seller

__all__ = [
    "SERIES_OF_KIND",
    "BillingPolicy",
    "DisputeStatus",
    "DocumentKind",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "LineStatus",
    "NumberSeries",
    "Payment",
    "PaymentAllocation",
    "PenaltyDispute",
    "Purpose",
    "Refund",
    "RefundStatus",
    "Seller",
    "StatementImport",
    "StatementLine",
]
