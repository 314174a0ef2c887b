"""Money: a Decimal amount with its currency. No floats, and rounding half-up to the minor unit in one place."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MINOR_UNITS = {"EUR": 2, "BGN": 2, "USD": 2, "GBP": 2, "CHF": 2, "RON": 2, "JPY": 0}
DEFAULT_CURRENCY = "EUR"


class CurrencyMismatchError(ValueError):
    pass


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """The one place where money is rounded: half-up to the currency's minor unit."""
    exponent = Decimal(1).scaleb(-MINOR_UNITS[currency])
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, (float, bool)):
        raise TypeError("Money amounts are Decimal, int or str, never float or bool.")
    try:
        result = Decimal(value)
    except InvalidOperation as error:
        raise ValueError(f"{value!r} is not an amount.") from error
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite amount.")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency. Arithmetic keeps full precision; ``rounded()`` gives the payable amount."""

    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if self.currency not in MINOR_UNITS:
            raise ValueError(f"Unknown currency {self.currency!r}.")
        object.__setattr__(self, "amount", to_decimal(self.amount))

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(Decimal(0), currency)

    def rounded(self) -> Money:
        return Money(round_half_up(self.amount, self.currency), self.currency)

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}.")
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"Cannot combine {self.currency} with {other.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"

    def percent(self, rate: Decimal | int | str) -> Money:
        """``rate`` percent of this amount, unrounded (e.g. VAT at 20)."""
        return Money(self.amount * to_decimal(rate) / 100, self.currency)
