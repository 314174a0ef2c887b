"""Matching a payment to what it pays: invoice numbers read from the payer's reference, and allocation of the amount.

Invoice numbers in references
-----------------------------
Bulgarian tax invoices are numbered with exactly 10 digits (``0000000012``); our proformas carry ``PF`` and 10
digits (``PF0000000012``). Payers type them into a free-text field, so:

* an invoice number is a run of exactly 10 digits not touching another digit — ``12345678901`` (11 digits, e.g. a
  phone number or an account number) is not an invoice; nor is a run right after ``BG``, which is a VAT number
  (``BG1234567890``) rather than an invoice;
* spaces or dashes *inside* the 10 digits are not tolerated: remittance texts are full of dates, amounts and account
  fragments, and gluing digit groups together across separators invents numbers that were never written; a reference
  that fails to match goes to the review screen, which is the safe side;
* a proforma is ``PF`` (any case, not glued to a preceding letter, so ``XPF`` — a currency — does not count),
  optionally one separator (``-``, space, ``_``, ``#``, ``/``, ``.``, ``№``), then 10 digits not followed by another
  digit; it is returned as ``PF`` + the digits;
* numbers come back in the order they were written, each once.

Allocation
----------
``allocate`` spreads one received amount over open items in the order given (the caller puts the invoices named in
the reference first, then the oldest due): each item is paid up to what it still owes, and what is left over is
``unallocated`` — kept as the payer's credit, never lost and never forced onto an item. All amounts are Decimal,
rounded half-up to the cent before any arithmetic; a float is refused outright.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PROFORMA_PREFIX = "PF"
_NUMBERS = re.compile(
    r"(?<![^\W\d_])PF[-\s_#/.№]?(?P<proforma>\d{10})(?!\d)|(?<!\d)(?<!BG)(?P<invoice>\d{10})(?!\d)",
    re.IGNORECASE,
)


def find_invoice_numbers(reference: str) -> list[str]:
    """Invoice numbers (``0000000012``) and proforma numbers (``PF0000000012``) written in a payment reference."""
    found: list[str] = []
    for match in _NUMBERS.finditer(reference):
        number = f"{PROFORMA_PREFIX}{match['proforma']}" if match["proforma"] else match["invoice"]
        if number not in found:
            found.append(number)
    return found


def to_cents(amount: Decimal) -> Decimal:
    """The one rounding of this module: half-up to two places. Refuses float, which cannot hold cents exactly."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"Amounts are Decimal, not {type(amount).__name__}.")
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount.")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class OpenItem:
    """Something a payment can settle: an invoice or proforma ``number`` and what it still ``outstanding``."""

    number: str
    outstanding: Decimal


@dataclass(frozen=True, slots=True)
class ItemPayment:
    number: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    """How a payment was spread: ``payments`` in the order of the open items (only those that received money) and
    the ``unallocated`` remainder, the payer's credit."""

    payments: tuple[ItemPayment, ...]
    unallocated: Decimal

    @property
    def allocated(self) -> Decimal:
        return sum((payment.amount for payment in self.payments), Decimal("0.00"))

    def amount_for(self, number: str) -> Decimal:
        return next((payment.amount for payment in self.payments if payment.number == number), Decimal("0.00"))


def allocate(amount: Decimal, open_items: Sequence[OpenItem]) -> Allocation:
    """Pay ``open_items`` in turn, each up to its outstanding amount; the rest is ``unallocated``.

    ``amount`` and every ``outstanding`` are rounded half-up to the cent first; ``allocated + unallocated`` is that
    rounded amount exactly. An item owing nothing (or less than nothing) receives nothing. A negative amount is not a
    payment and is refused, as are two open items with the same number (the caller would not know which was paid).
    """
    remaining = to_cents(amount)
    if remaining < 0:
        raise ValueError(f"Only money received can be allocated, not {remaining}.")
    numbers = [item.number for item in open_items]
    if len(set(numbers)) != len(numbers):
        raise ValueError("Each open item may appear only once.")
    payments = []
    for item in open_items:
        outstanding = to_cents(item.outstanding)
        paid = min(remaining, outstanding)
        if paid > 0:
            payments.append(ItemPayment(item.number, paid))
            remaining -= paid
    return Allocation(payments=tuple(payments), unallocated=remaining)
