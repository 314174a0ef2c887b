from trunkline.billing.services.documents import LineData, document_issue
from trunkline.billing.services.invoices import credit_note_issue, invoice_order, invoice_settle
from trunkline.billing.services.payments import credit_apply, payment_record, refund_mark_paid
from trunkline.billing.services.penalties import penalty_dispute_open, penalty_dispute_resolve, penalty_raise
from trunkline.billing.services.settings import billing_settings_update
from trunkline.billing.services.statements import statement_import, statement_line_assign, statement_line_ignore
from trunkline.billing.services.termination import invoices_due_at_once

__all__ = [
    "LineData",
    "billing_settings_update",
    "credit_apply",
    "credit_note_issue",
    "document_issue",
    "invoice_order",
    "invoice_settle",
    "invoices_due_at_once",
    "payment_record",
    "penalty_dispute_open",
    "penalty_dispute_resolve",
    "penalty_raise",
    "refund_mark_paid",
    "statement_import",
    "statement_line_assign",
    "statement_line_ignore",
]
