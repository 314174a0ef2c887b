"""Events of the billing context, sent inside the service's transaction."""

from django.dispatch import Signal

# kwargs: invoice (billing.Invoice, just fully paid; purpose "order" or "penalty"), ctx (RequestContext | None).
# Sent once per invoice, when its outstanding amount reaches zero by payment.
invoice_paid = Signal()
