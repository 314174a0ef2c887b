"""Operator staff edit the billing policy and the seller printed on documents. Issued documents keep their copies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from trunkline.audit.services import audit_record
from trunkline.billing.errors import BillingInvalidError
from trunkline.billing.models import BillingPolicy, Seller
from trunkline.billing.services.invoices import require_staff
from trunkline.core import clock
from trunkline.core.context import RequestContext

POLICY_FIELDS = ("invoice_due_days", "penalty_due_days", "penalty_vat_rate")
SELLER_FIELDS = (
    "name",
    "name_bg",
    "vat_number",
    "company_id",
    "address",
    "address_bg",
    "iban",
    "bic",
    "bank_name",
    "email",
)


def _apply(instance: Any, fields: tuple[str, ...], values: dict[str, Any]) -> dict[str, list[str]]:
    changed: dict[str, list[str]] = {}
    for name in fields:
        if name in values and getattr(instance, name) != values[name]:
            changed[name] = [str(getattr(instance, name)), str(values[name])]
            setattr(instance, name, values[name])
    return changed


def billing_settings_update(
    *,
    ctx: RequestContext,
    policy: dict[str, Any],
    seller: dict[str, Any],
    at: datetime | None = None,
) -> tuple[BillingPolicy, Seller]:
    """Change the policy numbers and the seller's details; every change is audited with old and new values."""
    at = at or clock.now()
    require_staff(ctx)
    with transaction.atomic():
        current_policy = BillingPolicy.objects.select_for_update().get(pk=BillingPolicy.current().pk)
        current_seller = Seller.objects.select_for_update().get(pk=Seller.current().pk)
        changes = {
            **{f"policy.{k}": v for k, v in _apply(current_policy, POLICY_FIELDS, policy).items()},
            **{f"seller.{k}": v for k, v in _apply(current_seller, SELLER_FIELDS, seller).items()},
        }
        errors: dict[str, list[str]] = {}
        for instance in (current_policy, current_seller):
            try:
                instance.full_clean()
            except ValidationError as error:
                errors.update({name: [str(m) for m in messages] for name, messages in error.message_dict.items()})
        if errors:
            raise BillingInvalidError(fields=errors)
        if changes:
            current_policy.save()
            current_seller.save()
            audit_record(ctx=ctx, action="billing.settings.changed", changes=changes, at=at)
    return current_policy, current_seller
