"""Penalty invoices (RT-6.4, the money part) and termination money (RT-8.3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from trunkline.audit.models import AuditEvent
from trunkline.billing.errors import BillingInvalidError, DisputeExistsError, DocumentStateError
from trunkline.billing.models import BillingPolicy, DocumentKind, Invoice, InvoiceStatus, PenaltyDispute, Refund
from trunkline.billing.selectors import organizations_with_overdue_penalties
from trunkline.billing.services import penalty_dispute_open, penalty_dispute_resolve, penalty_raise
from trunkline.billing.tests.factories import World, billing_world
from trunkline.core.errors import MissingScopeError, NotFoundError
from trunkline.licensing.services.pools import policy_set
from trunkline.notifications.models import Notice
from trunkline.tenancy.services import organization_terminate
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def raise_penalty(world: World, licenses: int = 3, **kwargs) -> Invoice:
    with time_machine.travel(kwargs.pop("at", MONDAY), tick=False):
        return penalty_raise(
            ctx=world.staff_ctx,
            organization_id=world.reseller.organization.public_id,
            product_id=world.product.public_id,
            licenses=licenses,
            reason="RT-4.10: three affiliated end users above the cap",
            **kwargs,
        )


@pytest.mark.rule("RT-6.4")
def test_a_penalty_is_twice_the_retail_price_per_license_and_due_in_14_days():
    world = billing_world()
    penalty = raise_penalty(world, licenses=3)  # retail 49.00

    assert (penalty.kind, penalty.purpose, penalty.number) == (DocumentKind.INVOICE, "penalty", "0000000001")
    [line] = penalty.lines.all()
    assert (line.quantity, line.unit_price, line.net_amount, line.vat_amount) == (
        Decimal("3"),
        Decimal("98.00"),
        Decimal("294.00"),
        Decimal("0.00"),
    )
    assert penalty.gross_amount == Decimal("294.00")
    assert penalty.due_date == date(2026, 11, 16)
    assert "RT-4.10" in penalty.note


@pytest.mark.rule("RT-6.4")
def test_the_penalty_numbers_are_policy_data():
    """The multiplier is the licensing policy's, per reseller where it is overridden; the term is billing's."""
    world = billing_world()
    BillingPolicy.objects.filter(pk=BillingPolicy.current().pk).update(penalty_due_days=10)
    policy_set(
        ctx=world.staff_ctx,
        organization=world.reseller.organization,
        product=None,
        values={"penalty_multiplier": Decimal("3")},
    )
    penalty = raise_penalty(world, licenses=1)
    assert penalty.gross_amount == Decimal("147.00")
    assert penalty.due_date == date(2026, 11, 12)
    other = billing_world(email="other@example.com")
    assert raise_penalty(other, licenses=1).gross_amount == Decimal("98.00")  # the default policy: 2 ×
    overridden = raise_penalty(world, licenses=1, multiplier=Decimal("2.5"))
    assert overridden.gross_amount == Decimal("122.50")


def test_only_staff_raise_penalties_and_bad_input_changes_nothing():
    world = billing_world()
    with pytest.raises(MissingScopeError):
        penalty_raise(
            ctx=world.reseller_ctx,
            organization_id=world.reseller.organization.public_id,
            product_id=world.product.public_id,
            licenses=1,
            reason="self-inflicted",
        )
    with pytest.raises(BillingInvalidError) as error:
        penalty_raise(
            ctx=world.staff_ctx,
            organization_id=member(kind="customer").organization.public_id,
            product_id="nope",
            licenses=0,
            reason=" ",
        )
    assert set(error.value.fields) == {"organization_id", "product_id", "licenses", "reason"}
    assert Invoice.objects.count() == 0


@pytest.mark.rule("RT-6.4")
def test_contesting_a_penalty_does_not_move_its_due_date():
    world = billing_world()
    penalty = raise_penalty(world)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        dispute = penalty_dispute_open(ctx=world.reseller_ctx, invoice_id=penalty.public_id, reason="They are staff.")
    with pytest.raises(DisputeExistsError):
        penalty_dispute_open(ctx=world.reseller_ctx, invoice_id=penalty.public_id, reason="again")

    penalty.refresh_from_db()
    assert penalty.due_date == date(2026, 11, 16)
    assert dispute.status == "open"
    at_day_15 = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    assert organizations_with_overdue_penalties(at=at_day_15) == {world.reseller.organization.pk}
    assert organizations_with_overdue_penalties(at=MONDAY + timedelta(days=13)) == set()


def test_another_reseller_cannot_contest_and_an_order_invoice_is_no_penalty():
    world = billing_world()
    penalty = raise_penalty(world)
    intruder = member(kind="reseller", role="admin", accepted_terms=True)
    with pytest.raises(NotFoundError):
        penalty_dispute_open(ctx=ctx_for(intruder), invoice_id=penalty.public_id, reason="not mine")
    order_invoice = world.invoiced(kind="invoice")
    with pytest.raises(NotFoundError):
        penalty_dispute_open(ctx=world.reseller_ctx, invoice_id=order_invoice.public_id, reason="too expensive")
    assert PenaltyDispute.objects.count() == 0


@pytest.mark.rule("RT-6.4")
def test_a_dispute_resolved_for_the_reseller_credits_the_penalty_and_refunds_what_was_paid():
    world = billing_world()
    penalty = raise_penalty(world, licenses=2)  # 196.00
    world.pay(penalty, "196.00", reference=f"penalty {penalty.number}")
    penalty_dispute_open(ctx=world.reseller_ctx, invoice_id=penalty.public_id, reason="Licenses were ours.")

    dispute = penalty_dispute_resolve(
        ctx=world.staff_ctx, invoice_id=penalty.public_id, for_reseller=True, resolution="Court decision 12/2026"
    )

    assert dispute.status == "for_reseller"
    credit_note = Invoice.objects.get(kind=DocumentKind.CREDIT_NOTE, credited=penalty)
    assert credit_note.gross_amount == Decimal("-196.00")
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.credit_note) == (Decimal("196.00"), "due", credit_note)
    with pytest.raises(DocumentStateError):
        penalty_dispute_resolve(ctx=world.staff_ctx, invoice_id=penalty.public_id, for_reseller=False, resolution="x")


@pytest.mark.rule("RT-6.4")
def test_an_upheld_dispute_changes_nothing_owed():
    world = billing_world()
    penalty = raise_penalty(world)
    penalty_dispute_open(ctx=world.reseller_ctx, invoice_id=penalty.public_id, reason="Please reconsider.")
    penalty_dispute_resolve(ctx=world.staff_ctx, invoice_id=penalty.public_id, for_reseller=False, resolution="Upheld")
    penalty.refresh_from_db()
    assert (penalty.status, penalty.outstanding.amount) == (InvoiceStatus.ISSUED, penalty.gross_amount)
    assert not Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).exists()
    assert not Refund.objects.exists()


@pytest.mark.rule("RT-8.3")
def test_on_termination_every_unpaid_amount_is_due_at_once_and_nothing_is_refunded():
    world = billing_world()
    with time_machine.travel(MONDAY, tick=False):
        proforma = world.invoiced(quantity=10)  # due in 7 days
        half_paid = world.invoiced(quantity=1, kind="invoice")
        paid = world.invoiced(quantity=1)
    world.pay(half_paid, "10.00")
    world.pay(paid, "58.80")
    penalty = raise_penalty(world)  # due in 14 days

    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        organization_terminate(
            ctx=world.staff_ctx,
            organization_id=world.reseller.organization.public_id,
            reason="Material breach",
            ground="breach",
        )

    tuesday = date(2026, 11, 3)
    for invoice in (proforma, half_paid, penalty):
        invoice.refresh_from_db()
        assert (invoice.due_date, invoice.due_now_reason) == (tuesday, "termination of the agreement")
    paid.refresh_from_db()
    assert paid.status == InvoiceStatus.SUPERSEDED
    assert not Refund.objects.exists()
    assert AuditEvent.objects.filter(action="billing.document.due_at_once").count() == 3
    [notice] = Notice.objects.filter(kind="billing.due_at_once")
    assert proforma.display_number in notice.body
