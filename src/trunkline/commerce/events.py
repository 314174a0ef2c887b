"""Events of the commerce context. Sent inside the service's transaction, so a receiver's writes land or roll back
with the change; receivers with side effects outside the database defer them with on_commit."""

from django.dispatch import Signal

# kwargs: order (commerce.Order, status "paid", with its lines), ctx (RequestContext | None).
# Sent exactly once per order: in the transaction that moves it from "invoiced" to "paid" (RT-3.3).
order_paid = Signal()
