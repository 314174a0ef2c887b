from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trunkline.core.money import CurrencyMismatchError, Money, round_half_up

amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=4, allow_nan=False)


def test_rounding_is_half_up_to_the_minor_unit():
    """2.345 EUR rounds to 2.35 and -2.345 to -2.35 (half away from zero), not banker's rounding."""
    assert Money.of("2.345").rounded() == Money.of("2.35")
    assert Money.of("-2.345").rounded() == Money.of("-2.35")
    assert Money.of("2.344").rounded() == Money.of("2.34")
    assert round_half_up(Decimal("10.5"), "JPY") == Decimal("11")


def test_floats_are_refused():
    """A float amount is a bug waiting to happen, so it is refused outright."""
    with pytest.raises(TypeError, match="never float"):
        Money.of(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of("1") * 1.5  # type: ignore[operator]


def test_currencies_never_mix():
    """Adding euros to leva is refused rather than silently summed."""
    with pytest.raises(CurrencyMismatchError, match="Cannot combine EUR with BGN"):
        Money.of("1", "EUR") + Money.of("1", "BGN")


def test_unknown_currency_and_non_numbers_are_refused():
    """Only known currencies and finite amounts make Money."""
    with pytest.raises(ValueError, match="Unknown currency"):
        Money.of("1", "ZZZ")
    with pytest.raises(ValueError, match="not an amount"):
        Money.of("one")
    with pytest.raises(ValueError, match="not a finite amount"):
        Money.of("NaN")


def test_vat_percentage_and_display():
    """20 % of 10.01 EUR is 2.002, payable as 2.00; str() shows the rounded amount with the currency."""
    vat = Money.of("10.01").percent(20)
    assert vat.amount == Decimal("2.002")
    assert str(vat) == "2.00 EUR"


@given(amounts, amounts)
def test_addition_keeps_full_precision(a, b):
    """Sums are exact: rounding happens only when asked."""
    assert (Money(a) + Money(b)).amount == a + b
    assert (Money(a) - Money(b) + Money(b)).amount == a


@given(amounts)
def test_rounding_is_idempotent_and_within_half_a_cent(a):
    """Rounding twice changes nothing, and never moves an amount by more than half a cent."""
    once = Money(a).rounded()
    assert once.rounded() == once
    assert abs(once.amount - a) <= Decimal("0.005")
