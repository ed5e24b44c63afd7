"""The arithmetic of the outlier rules, on plain numbers (docs/outliers.md).

Bounds generated from the units of one kind in one year: median ± k × 1.4826 × MAD, where
MAD is the median of the absolute deviations from the median (1.4826 makes it estimate the
standard deviation of normal data); the low bound is never below 0. They are generated
only from at least ``min_units`` values, and not when the MAD is 0 (more than half the
units give the same value: every other value would be "outside").

Year over year, with a factor f > 1: a value above f × last year's, or below last year's
÷ f, is flagged. From 0 to anything else, or from anything to 0, is flagged (no factor
covers it); 0 both years is not; with no value last year the rule does not apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

MAD_SCALE = Decimal("1.4826")


def median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def mad(values: Sequence[Decimal]) -> Decimal:
    """The median absolute deviation from the median (unscaled)."""
    centre = median(values)
    return median([abs(v - centre) for v in values])


@dataclass(frozen=True)
class Generated:
    low: Decimal
    high: Decimal
    median: Decimal
    mad: Decimal
    units: int


class TooFewUnits(ValueError):
    """Fewer values than the rule's minimum: no bounds."""


class NoSpread(ValueError):
    """The MAD is 0: bounds would be a single point."""


def generate(values: Sequence[Decimal], k: Decimal, min_units: int) -> Generated:
    """Bounds from ``values`` (one per unit), or ``TooFewUnits`` / ``NoSpread``."""
    if len(values) < max(min_units, 1):
        raise TooFewUnits(len(values))
    centre, spread = median(values), mad(values)
    if spread == 0:
        raise NoSpread(centre)
    width = k * MAD_SCALE * spread
    return Generated(low=max(Decimal(0), centre - width), high=centre + width,
                     median=centre, mad=spread, units=len(values))


def outside_bounds(value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    return (low is not None and value < low) or (high is not None and value > high)


def year_over_year(value: Decimal, last_year: Decimal | None,
                   factor: Decimal | None) -> bool:
    """Whether ``value`` moved from ``last_year``'s by more than ``factor`` either way."""
    if factor is None or last_year is None:
        return False
    if last_year == 0 or value == 0:
        return value != last_year
    return value > factor * last_year or value * factor < last_year
