"""Volume pricing: the whole quantity is sold at the unit price of the one tier whose range contains it.

A tier covers the half-open range ``[min_quantity, max_quantity)``, or ``[min_quantity, ∞)`` when ``max_quantity`` is
None. A tier table must start at 1, leave no gaps and no overlaps, and end with an open tier, so every quantity from 1
up has exactly one price. Graduated pricing (each band of units at its own price) is deliberately not offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trunkline.core.money import Money


@dataclass(frozen=True, slots=True)
class Tier:
    min_quantity: int
    max_quantity: int | None  # exclusive; None means no upper bound
    unit_price: Money

    def contains(self, quantity: int) -> bool:
        return self.min_quantity <= quantity and (self.max_quantity is None or quantity < self.max_quantity)


class TierTableError(ValueError):
    """A tier table that does not cover every quantity from 1 exactly once. ``code`` is stable, ``index`` names the
    offending tier (in the order given), so callers can attach a translated message to the right row."""

    def __init__(self, code: str, index: int | None = None) -> None:
        self.code = code
        self.index = index
        super().__init__(f"{code} (tier {index})" if index is not None else code)


def validate_tiers(tiers: Sequence[Tier]) -> list[Tier]:
    """The tiers sorted by ``min_quantity``; ``TierTableError`` unless they cover [1, ∞) without gaps or overlaps."""
    if not tiers:
        raise TierTableError("empty")
    currencies = {tier.unit_price.currency for tier in tiers}
    for index, tier in enumerate(tiers):
        if tier.min_quantity < 1:
            raise TierTableError("min_below_one", index)
        if tier.max_quantity is not None and tier.max_quantity <= tier.min_quantity:
            raise TierTableError("empty_range", index)
        if tier.unit_price.amount < 0:
            raise TierTableError("negative_price", index)
    if len(currencies) > 1:
        raise TierTableError("mixed_currencies")
    order = sorted(range(len(tiers)), key=lambda index: tiers[index].min_quantity)
    expected = 1
    for position, index in enumerate(order):
        tier = tiers[index]
        if tier.min_quantity > expected:
            raise TierTableError("gap", index)
        if tier.min_quantity < expected:
            raise TierTableError("overlap", index)
        if tier.max_quantity is None:
            if position != len(order) - 1:
                raise TierTableError("overlap", order[position + 1])
            return [tiers[i] for i in order]
        expected = tier.max_quantity
    raise TierTableError("not_open_ended", order[-1])


def tier_for(tiers: Sequence[Tier], quantity: int) -> Tier:
    """The one tier of a valid table whose range contains ``quantity`` (at least 1)."""
    if quantity < 1:
        raise ValueError("The quantity must be at least 1.")
    for tier in tiers:
        if tier.contains(quantity):
            return tier
    raise TierTableError("not_covered")


def volume_net(tiers: Sequence[Tier], quantity: int) -> tuple[Tier, Money]:
    """The tier applied and the net amount: every unit at that tier's unit price, rounded half-up once."""
    tier = tier_for(tiers, quantity)
    return tier, (tier.unit_price * quantity).rounded()
