"""An order's status timeline as the reseller and the back office both show it: each step, when it happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy

from trunkline.commerce.models import Order, OrderKind, OrderStatus


@dataclass(frozen=True)
class Step:
    label: Any
    at: datetime | None
    done: bool


def order_timeline(order: Order) -> list[Step]:
    """Placed, binding (signed by both sides for a Purchase Order), invoiced, paid, fulfilled — or, once cancelled,
    the steps it reached and the cancellation."""
    steps = [Step(gettext_lazy("Placed"), order.placed_at, True)]
    if order.kind == OrderKind.PURCHASE:
        steps.append(Step(gettext_lazy("Signed by both sides"), order.binding_at, order.binding_at is not None))
    else:
        steps.append(Step(gettext_lazy("Binding"), order.binding_at, order.binding_at is not None))
    steps += [
        Step(gettext_lazy("Invoiced"), order.invoiced_at, order.invoiced_at is not None),
        Step(gettext_lazy("Paid"), order.paid_at, order.paid_at is not None),
        Step(gettext_lazy("Fulfilled"), order.fulfilled_at, order.fulfilled_at is not None),
    ]
    if order.status == OrderStatus.CANCELLED:
        steps = [step for step in steps if step.done]
        steps.append(Step(gettext_lazy("Cancelled"), order.cancelled_at, True))
    return steps
