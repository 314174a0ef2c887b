"""What the cross-organisation walk needs to know about each path parameter: how to make an object of that kind
in a given organisation. Every app that adds an endpoint with a new ``{..._id}`` parameter registers a maker here;
the walk fails for a parameter nobody registered, so no endpoint escapes the check."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import uuid4

from django.db import transaction

from trunkline.accounts.models import ApiKey
from trunkline.audit.services import audit_record
from trunkline.billing.calendar import business_date
from trunkline.billing.models import DocumentKind, Invoice, Purpose, Refund, StatementLine
from trunkline.billing.services import (
    LineData,
    credit_note_issue,
    document_issue,
    payment_record,
    statement_import,
)
from trunkline.commerce.models import Product
from trunkline.commerce.services import order_place_online
from trunkline.core import clock
from trunkline.notifications.services import notice_send
from trunkline.tenancy.models import Membership
from trunkline.testing.factories import api_key_for, ctx_for, member

ObjectMaker = Callable[[Membership], Any]


def _api_key(owner: Membership) -> Any:
    plaintext = api_key_for(owner, ["organization:read"])
    return ApiKey.objects.get(prefix=plaintext.split("_")[1]).public_id


def _membership(owner: Membership) -> Any:
    return member(organization=owner.organization, role="agent").public_id


def _notice(owner: Membership) -> Any:
    owner.organization.email = owner.organization.email or "office@example.com"
    owner.organization.save(update_fields=["email"])
    [notice] = notice_send(organization=owner.organization, kind="organization.suspended", context={"reason": "test"})
    return notice.public_id


def _audit_event(owner: Membership) -> Any:
    with transaction.atomic():
        return audit_record(ctx=ctx_for(owner), action="test.isolation").public_id


def _staff_ctx() -> Any:
    return ctx_for(member(kind="operator", role="staff"))


def _order(owner: Membership) -> Any:
    """An Online Order of the owner's organisation; customers order no licenses, so for them a new reseller's."""
    reseller = owner if owner.organization.kind == "reseller" else member(kind="reseller", role="admin")
    product = Product.objects.get(code="EPL-PRO")
    return order_place_online(ctx=ctx_for(reseller), product_id=product.public_id, quantity=3, accept_terms=True)


def _penalty_invoice(owner: Membership) -> Invoice:
    """A tax invoice (a penalty, so the dispute endpoints reach it too) issued to the owner's organisation."""
    with transaction.atomic():
        return document_issue(
            ctx=_staff_ctx(),
            organization=owner.organization,
            kind=DocumentKind.INVOICE,
            purpose=Purpose.PENALTY,
            lines=[LineData("Isolation test", Decimal(1), Decimal("10.00"), Decimal("10.00"), Decimal("0"))],
            due_in_days=14,
            at=clock.now(),
            currency="EUR",
            notify=False,
        )


def _refund(owner: Membership) -> Any:
    """A refund due to the owner's organisation: its paid invoice credited in full."""
    invoice = _penalty_invoice(owner)
    staff = _staff_ctx()
    payment_record(
        ctx=staff,
        organization_id=owner.organization.public_id,
        amount=invoice.gross_amount,
        currency=invoice.currency,
        received_on=business_date(clock.now()),
        invoice_ids=[invoice.public_id],
    )
    note = credit_note_issue(ctx=staff, invoice_id=invoice.public_id, reason="Isolation test")
    return Refund.objects.get(credit_note=note).public_id


def _statement_line(owner: Membership) -> Any:
    """An unmatched incoming bank line (the operator's books: nobody else's, whoever ``owner`` is)."""
    reference = uuid4().hex
    header = "date;amount;currency;reference;counterparty;bank reference"
    data = f"{header}\n2026-11-02;10,00;EUR;{reference};Payer;{reference}\n"
    statement_import(ctx=_staff_ctx(), data=data.encode(), filename="isolation.csv")
    return StatementLine.objects.get(bank_reference=reference).public_id


def _reseller_of(owner: Membership) -> Membership:
    """End users and licenses belong to resellers: a customer's walk gets another reseller's object."""
    if owner.organization.kind == "reseller":
        return member(organization=owner.organization, role="admin")
    return member(kind="reseller", role="admin")


def _end_user(owner: Membership) -> Any:
    from trunkline.licensing.services import end_user_create

    return end_user_create(
        ctx=ctx_for(_reseller_of(owner)),
        name="Isolated end user",
        email="isolated@example.com",
        is_affiliated=False,
    ).public_id


def _license(owner: Membership) -> Any:
    from decimal import Decimal

    from trunkline.commerce.models import Product
    from trunkline.licensing.models import Pool
    from trunkline.licensing.services import license_assign, pool_get_or_create

    product, _ = Product.objects.get_or_create(
        code="ISOLATION", defaults={"name": "Isolation product", "retail_amount": Decimal(1)}
    )
    reseller = _reseller_of(owner)
    pool = pool_get_or_create(organization=reseller.organization, product=product)
    Pool.objects.filter(pk=pool.pk).update(purchased=pool.purchased + 1)
    license, _key = license_assign(ctx=ctx_for(reseller), end_user_id=_end_user(reseller), product_id=product.public_id)
    return license.public_id


def _inbox(name: str) -> ObjectMaker:
    def make(owner: Membership) -> Any:
        from trunkline.inbox.testing import inbox_object

        return inbox_object(owner, name)

    return make


def _ticket(owner: Membership) -> Any:
    from trunkline.support.models import Representative
    from trunkline.support.services.tickets import ticket_create_for

    representative, _created = Representative.objects.get_or_create(
        organization=owner.organization, email=f"rep{owner.pk}@example.com", defaults={"name": "Owner"}
    )
    return ticket_create_for(
        representative=representative, subject="Isolation", description="Test.", priority="low", channel="api"
    ).public_id


def _user_number(owner: Membership) -> Any:
    from trunkline.telephony.tests.factories import user_number_for

    return user_number_for(owner).public_id


def _business_number(owner: Membership) -> Any:
    from trunkline.telephony.tests.factories import business_number_for

    return business_number_for(owner).public_id


def _trunk(owner: Membership) -> Any:
    from trunkline.telephony.tests.factories import trunk_for

    return trunk_for(owner).public_id


def _voice_asset(owner: Membership) -> Any:
    from trunkline.telephony.tests.factories import voice_asset_for

    return voice_asset_for(owner).public_id


def _configuration_request(owner: Membership) -> Any:
    from trunkline.telephony.tests.factories import configuration_request_for

    return configuration_request_for(owner).public_id


OBJECT_MAKERS: dict[str, ObjectMaker] = {
    "organization_id": lambda owner: owner.organization.public_id,
    "membership_id": _membership,
    "api_key_id": _api_key,
    "audit_event_id": _audit_event,
    "notice_id": _notice,
    "order_id": lambda owner: _order(owner).public_id,
    "invoice_id": lambda owner: _penalty_invoice(owner).public_id,
    "refund_id": _refund,
    "line_id": _statement_line,
    "end_user_id": _end_user,
    "license_id": _license,
    "ticket_id": _ticket,
    "user_number_id": _user_number,
    "business_number_id": _business_number,
    "trunk_id": _trunk,
    "asset_id": _voice_asset,
    "request_id": _configuration_request,
    **{name: _inbox(name) for name in ("channel_id", "contact_id", "conversation_id", "campaign_id")},
    **{name: _inbox(name) for name in ("contact_list_id", "webhook_id", "canned_reply_id")},
}

# Request bodies that pass validation, so the walk reaches the object lookup (a 422 would hide a leak).
VALID_BODIES: dict[str, dict[str, Any]] = {
    "organization_update": {"name": "Intruder"},
    "membership_change_role": {"role": "agent"},
    "commerce_order_cancel": {"reason": "Intruder"},
    "billing_order_invoice": {"kind": "proforma"},
    "billing_credit_note_issue": {"reason": "Intruder"},
    "billing_penalty_dispute_open": {"reason": "Intruder"},
    "billing_penalty_dispute_resolve": {"for_reseller": True, "resolution": "Intruder"},
    "billing_statement_line_assign": {"organization_id": "00000000-0000-4000-8000-000000000000"},
    "billing_statement_line_ignore": {"note": "Intruder"},
    "billing_refund_mark_paid": {"paid_on": "2026-11-02", "bank_reference": "Intruder"},
    "licensing_license_assign": {"product_id": "00000000-0000-4000-8000-000000000000"},
    "licensing_license_test_assign": {"product_id": "00000000-0000-4000-8000-000000000000"},
    "licensing_license_reset_override": {"reason": "isolation walk"},
    "licensing_pool_test_allotment_grant": {
        "product_id": "00000000-0000-4000-8000-000000000000",
        "quantity": 1,
        "reason": "isolation walk",
    },
    "licensing_disable_all": {"reason": "isolation walk"},
    "licensing_reseller_end_user_create": {"name": "Intruder", "email": "intruder@example.com", "is_affiliated": False},
    "licensing_reseller_license_assign": {"product_id": "00000000-0000-4000-8000-000000000000"},
    "licensing_reseller_license_test_assign": {"product_id": "00000000-0000-4000-8000-000000000000"},
    "licensing_enable_all": {"reason": "isolation walk"},
    "support_ticket_reply": {"body": "Intruder"},
    "support_ticket_escalate": {"step": "help_desk"},
    "support_ticket_set_status": {"status": "solved"},
    "telephony_business_number_add": {"number": "+35928880001"},
    "telephony_hunt_reorder": {"order": []},
    "telephony_user_number_set_hours": {"is_enabled": False, "weekly": [""] * 7},
    "telephony_voice_asset_text_propose": {"text": "Intruder"},
    "telephony_voice_asset_claim_rights": {"reason": "Intruder"},
    "consent_grant": {"channel_id": "00000000-0000-4000-8000-000000000000", "source": "web form"},
    "contact_list_import": {"csv": "phone\n+359888000113\n"},
    "message_send": {"body": "Intruder"},
    "note_add": {"body": "Intruder"},
    "channel_update": {"name": "Intruder"},
    "canned_reply_update": {"body": "Intruder"},
    "contact_update": {"name": "Intruder"},
}

# Operations that answer without authentication, on purpose.
PUBLIC_OPERATIONS: set[str] = set()
