"""VAT on a net amount, reverse charge for EU business customers, and the fixed BGN to EUR conversion."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from stdnum.eu import vat as eu_vat

from trunkline.core.money import Money, round_half_up

STANDARD_VAT_RATE = Decimal("20")  # Bulgaria's standard rate, in percent
BGN_PER_EUR = Decimal("1.95583")  # fixed by the Council of the EU for Bulgaria's euro changeover on 2026-01-01


@dataclass(frozen=True, slots=True)
class TaxedAmount:
    """Net, VAT and gross with the rate applied. Stored as they are; never recomputed later."""

    net: Money
    vat: Money
    gross: Money
    vat_rate: Decimal
    is_reverse_charge: bool


def vat_number_is_valid(vat_number: str) -> bool:
    """Whether ``vat_number`` has a valid EU VAT number format and check digits (python-stdnum; no VIES lookup)."""
    return bool(vat_number.strip()) and bool(eu_vat.is_valid(vat_number))


def vat_number_country(vat_number: str) -> str:
    """The country prefix of an EU VAT number, upper case ("EL" is Greece)."""
    return eu_vat.compact(vat_number)[:2].upper()


def reverse_charge_applies(*, is_business: bool, vat_number: str) -> bool:
    """Reverse charge (0 % VAT, the customer accounts for it): a business customer in another EU member state whose
    VAT number has a valid format. A Bulgarian customer always pays Bulgarian VAT."""
    if not is_business or not vat_number_is_valid(vat_number):
        return False
    return vat_number_country(vat_number) != "BG"


def apply_vat(net: Money, *, rate: Decimal = STANDARD_VAT_RATE, reverse_charge: bool = False) -> TaxedAmount:
    """VAT on a (rounded) net amount, rounded half-up once; gross is net plus VAT. Reverse charge means 0 %."""
    net = net.rounded()
    applied = Decimal(0) if reverse_charge else rate
    vat = Money(round_half_up(net.amount * applied / 100, net.currency), net.currency)
    return TaxedAmount(net=net, vat=vat, gross=net + vat, vat_rate=applied, is_reverse_charge=reverse_charge)


def bgn_to_eur(amount: Money) -> Money:
    """An amount agreed in BGN, in EUR at the fixed rate 1 EUR = 1.95583 BGN, rounded half-up to the cent.

    Use it for amounts agreed before 2026-01-01 that fall due later; never re-denominate an issued document."""
    if amount.currency != "BGN":
        raise ValueError(f"Expected an amount in BGN, got {amount.currency}.")
    return Money(round_half_up(amount.amount / BGN_PER_EUR, "EUR"), "EUR")
