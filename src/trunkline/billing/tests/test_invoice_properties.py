"""Properties of issued documents, over many generated invoices: totals are the sums of the stored lines, VAT is
rounded half-up once per line, and every amount read back is a Decimal — no float anywhere in money."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trunkline.billing.models import Invoice
from trunkline.billing.services import LineData, document_issue
from trunkline.testing.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
nets = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("100000"), places=4, allow_nan=False)
rates = st.sampled_from([Decimal("0"), Decimal("9"), Decimal("20"), Decimal("20.00"), Decimal("7.5")])
lines = st.lists(st.tuples(nets, rates, st.integers(min_value=1, max_value=500)), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=lines, reverse_charge=st.booleans())
def test_totals_are_the_sums_of_lines_rounded_half_up(rows, reverse_charge):
    organization = OrganizationFactory.create(kind="reseller")
    with transaction.atomic():
        issued = document_issue(
            ctx=None,
            organization=organization,
            kind="invoice",
            purpose="order",
            lines=[
                LineData(description=f"line {i}", quantity=Decimal(q), unit_price=net, net=net, vat_rate=rate)
                for i, (net, rate, q) in enumerate(rows)
            ],
            due_in_days=7,
            at=datetime(2026, 11, 2, 9, tzinfo=UTC),
            currency="EUR",
            is_reverse_charge=reverse_charge,
            notify=False,
        )
    invoice = Invoice.objects.get(pk=issued.pk)  # as stored, read back from the database
    stored = list(invoice.lines.order_by("position"))

    for (net, rate, _), line in zip(rows, stored, strict=True):
        expected_net = net.quantize(CENT, rounding=ROUND_HALF_UP)
        applied = Decimal(0) if reverse_charge else rate
        expected_vat = (expected_net * applied / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        assert (line.net_amount, line.vat_amount, line.gross_amount) == (
            expected_net,
            expected_vat,
            expected_net + expected_vat,
        )
        assert all(type(v) is Decimal for v in (line.net_amount, line.vat_amount, line.gross_amount, line.vat_rate))
    assert invoice.net_amount == sum((line.net_amount for line in stored), Decimal(0))
    assert invoice.vat_amount == sum((line.vat_amount for line in stored), Decimal(0))
    assert invoice.gross_amount == invoice.net_amount + invoice.vat_amount
    assert all(type(v) is Decimal for v in (invoice.net_amount, invoice.vat_amount, invoice.gross_amount))


def test_half_a_cent_rounds_up_never_to_even():
    """A net of 0.125 is 0.13, and 9 % VAT on 0.50 is 0.05 and on 2.50 is 0.23 (banker's rounding would give 0.12,
    0.04 and 0.22)."""
    organization = OrganizationFactory.create(kind="reseller")

    def line(net: str, rate: int) -> LineData:
        return LineData(
            description=net, quantity=Decimal(1), unit_price=Decimal(net), net=Decimal(net), vat_rate=Decimal(rate)
        )

    with transaction.atomic():
        invoice = document_issue(
            ctx=None,
            organization=organization,
            kind="invoice",
            purpose="order",
            lines=[line("0.125", 0), line("0.50", 9), line("2.50", 9)],
            due_in_days=7,
            at=datetime(2026, 11, 2, 9, tzinfo=UTC),
            currency="EUR",
            notify=False,
        )
    amounts = list(invoice.lines.order_by("position").values_list("net_amount", "vat_amount"))
    assert amounts == [
        (Decimal("0.13"), Decimal("0.00")),
        (Decimal("0.50"), Decimal("0.05")),
        (Decimal("2.50"), Decimal("0.23")),
    ]
