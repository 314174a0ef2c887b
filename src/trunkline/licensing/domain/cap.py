"""The Affiliated Party cap (RT-4.10) in whole numbers, so the database can check it in the same UPDATE.

An assignment to an Affiliated Party is allowed when, counting this one, affiliated ≤ cap % of all End-Point Licenses
provided: ``affiliated_after × 10000 ≤ cap_basis_points × provided_after``. There is no rounding up: with a 10 %
cap the first affiliated assignment needs at least 10 provided licenses counting itself (9 to independent end users
before it), the second needs 20, and so on.
"""

from __future__ import annotations

from decimal import Decimal


def basis_points(percent: Decimal) -> int:
    """10 % → 1000 (percent has at most two decimal places)."""
    return int((percent * 100).to_integral_value())


def affiliated_allowed(*, affiliated_after: int, provided_after: int, cap_percent: Decimal) -> bool:
    return affiliated_after * 10_000 <= basis_points(cap_percent) * provided_after


def affiliated_room(*, affiliated: int, provided: int, cap_percent: Decimal) -> int:
    """How many affiliated assignments in a row the cap allows now, each counting itself as provided."""
    points = basis_points(cap_percent)
    if points >= 10_000:
        return 1_000_000_000
    return max(0, (points * provided - 10_000 * affiliated) // (10_000 - points))
