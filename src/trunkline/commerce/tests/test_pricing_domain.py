"""The pure pricing core: volume tiers, VAT, reverse charge and the BGN conversion (no database)."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trunkline.commerce.domain.pricing import Tier, TierTableError, tier_for, validate_tiers, volume_net
from trunkline.commerce.domain.tax import BGN_PER_EUR, apply_vat, bgn_to_eur, reverse_charge_applies
from trunkline.core.money import Money


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


TIERS = [
    Tier(1, 10, eur("49.00")),
    Tier(10, 50, eur("44.00")),
    Tier(50, 250, eur("39.00")),
    Tier(250, None, eur("34.00")),
]


@pytest.mark.rule("RT-3.5")
@pytest.mark.parametrize(
    ("quantity", "unit_price", "net"),
    [
        (1, "49.00", "49.00"),
        (9, "49.00", "441.00"),
        (10, "44.00", "440.00"),
        (49, "44.00", "2156.00"),
        (50, "39.00", "1950.00"),
        (249, "39.00", "9711.00"),
        (250, "34.00", "8500.00"),
        (10_000, "34.00", "340000.00"),
    ],
)
def test_the_whole_quantity_takes_the_price_of_the_tier_containing_it(quantity, unit_price, net):
    """Volume pricing: each boundary quantity lands in exactly one tier and every unit costs that tier's price."""
    tier, amount = volume_net(validate_tiers(TIERS), quantity)
    assert tier.unit_price == eur(unit_price)
    assert amount == eur(net)


def test_quantity_zero_has_no_price():
    """A quantity below 1 is refused."""
    with pytest.raises(ValueError, match="at least 1"):
        tier_for(TIERS, 0)


def test_tiers_given_out_of_order_are_sorted():
    """Validation returns the tiers ordered by their lower bound."""
    assert validate_tiers(list(reversed(TIERS))) == TIERS


@pytest.mark.parametrize(
    ("tiers", "code", "index"),
    [
        ([], "empty", None),
        ([Tier(2, None, eur("1"))], "gap", 0),
        ([Tier(0, None, eur("1"))], "min_below_one", 0),
        ([Tier(1, 10, eur("2")), Tier(11, None, eur("1"))], "gap", 1),
        ([Tier(1, 10, eur("2")), Tier(9, None, eur("1"))], "overlap", 1),
        ([Tier(1, None, eur("2")), Tier(10, None, eur("1"))], "overlap", 1),
        ([Tier(1, 10, eur("2")), Tier(10, 20, eur("1"))], "not_open_ended", 1),
        ([Tier(1, 1, eur("2"))], "empty_range", 0),
        ([Tier(1, None, eur("-1"))], "negative_price", 0),
        ([Tier(1, 10, eur("2")), Tier(10, None, Money.of("1", "BGN"))], "mixed_currencies", None),
    ],
)
def test_tier_tables_with_gaps_or_overlaps_are_refused(tiers, code, index):
    """A table must cover every quantity from 1 exactly once, ending open; the offending tier is named."""
    with pytest.raises(TierTableError) as error:
        validate_tiers(tiers)
    assert (error.value.code, error.value.index) == (code, index)


@given(
    quantity=st.integers(min_value=1, max_value=1_000_000),
    cents=st.lists(st.integers(min_value=0, max_value=1_000_000), min_size=4, max_size=4),
)
def test_net_is_always_the_unit_price_times_the_quantity(quantity, cents):
    """Property: net equals the quoted unit price × quantity exactly, in whole cents."""
    prices = [Money(Decimal(value).scaleb(-2), "EUR") for value in cents]
    tiers = [Tier(1, 10, prices[0]), Tier(10, 50, prices[1]), Tier(50, 250, prices[2]), Tier(250, None, prices[3])]
    tier, net = volume_net(tiers, quantity)
    assert tier.contains(quantity)
    assert net.amount == tier.unit_price.amount * quantity
    assert net.amount == net.amount.quantize(Decimal("0.01"))


@given(cents=st.integers(min_value=0, max_value=10**9))
def test_vat_is_rounded_half_up_and_gross_is_net_plus_vat(cents):
    """Property: VAT at 20 % is rounded half-up to the cent, and gross is exactly net plus VAT."""
    net = Money(Decimal(cents).scaleb(-2), "EUR")
    taxed = apply_vat(net)
    exact = net.amount * Decimal("0.2")
    difference = taxed.vat.amount - exact
    assert taxed.vat.amount == taxed.vat.amount.quantize(Decimal("0.01"))
    assert Decimal("-0.005") < difference <= Decimal("0.005")  # nearest cent; an exact half goes up
    assert taxed.gross == taxed.net + taxed.vat


@pytest.mark.parametrize(
    ("net", "rate", "vat"),
    [("0.03", "20", "0.01"), ("0.02", "20", "0.00"), ("0.025", "20", "0.01"), ("10.05", "9", "0.90")],
)
def test_vat_halves_round_up(net, rate, vat):
    """0.025 net rounds to 0.03 first; VAT of 0.03 at 20 % is 0.006 → 0.01; 10.05 at 9 % is 0.9045 → 0.90."""
    taxed = apply_vat(eur(net), rate=Decimal(rate))
    assert taxed.vat == eur(vat)
    assert taxed.vat_rate == Decimal(rate)
    assert taxed.is_reverse_charge is False


def test_vat_on_the_250_tier_order():
    """250 licenses at 34.00: net 8500.00, VAT 1700.00, gross 10200.00."""
    taxed = apply_vat(eur("8500.00"))
    assert (taxed.net, taxed.vat, taxed.gross) == (eur("8500.00"), eur("1700.00"), eur("10200.00"))


def test_reverse_charge_is_zero_vat_and_marked():
    """Reverse charge keeps the net, charges 0 % and says so."""
    taxed = apply_vat(eur("8500.00"), reverse_charge=True)
    assert (taxed.vat, taxed.gross, taxed.vat_rate, taxed.is_reverse_charge) == (
        eur("0.00"),
        eur("8500.00"),
        Decimal(0),
        True,
    )


@pytest.mark.parametrize(
    ("is_business", "vat_number", "applies"),
    [
        (True, "DE136695976", True),
        (True, "DE 136 695 976", True),
        (True, "ATU13585627", True),
        (True, "EL094259216", True),
        (True, "DE136695978", False),  # wrong check digit
        (True, "BG175074752", False),  # Bulgarian customers pay Bulgarian VAT
        (True, "", False),
        (True, "US123456789", False),
        (False, "DE136695976", False),  # consumers never
    ],
)
def test_reverse_charge_needs_an_eu_business_with_a_valid_foreign_vat_number(is_business, vat_number, applies):
    """Reverse charge applies only to a business with a well-formed, non-Bulgarian EU VAT number."""
    assert reverse_charge_applies(is_business=is_business, vat_number=vat_number) is applies


@pytest.mark.parametrize(
    ("bgn", "eur_amount"),
    [("1.95583", "1.00"), ("100.00", "51.13"), ("95.83", "49.00"), ("0.01", "0.01"), ("0.00", "0.00")],
)
def test_bgn_converts_at_the_fixed_rate_half_up(bgn, eur_amount):
    """BGN amounts convert at 1.95583 and round half-up to the euro cent."""
    assert Decimal("1.95583") == BGN_PER_EUR
    assert bgn_to_eur(Money.of(bgn, "BGN")) == eur(eur_amount)


def test_bgn_conversion_refuses_other_currencies():
    """Only BGN amounts are converted."""
    with pytest.raises(ValueError, match=r"Expected an amount in BGN, got EUR\."):
        bgn_to_eur(eur("1.00"))


def test_the_domain_package_imports_no_django():
    """commerce/domain stays pure Python."""
    for path in (Path(__file__).parent.parent / "domain").glob("*.py"):
        tree = ast.parse(path.read_text())
        modules: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                modules.append(node.module or "")
        assert not [module for module in modules if module.split(".")[0] == "django"], path
