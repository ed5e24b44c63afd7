"""Will we reach the final target? A time-weighted linear trend, in the manner of ESCAP's
Anticipated Progress Index (docs/progress.md § Projection, with a worked example).

With the years reported so far t₁ < … < tₙ (n ≥ 2) and their values y₁ … yₙ, each year
weighs wᵢ = tᵢ − t₁ + 1 (the first 1, the next 2, …: recent years weigh more). The
weighted means are t̄ = Σwt / Σw and ȳ = Σwy / Σw; the slope (the pace so far, per
year) b = Σw(t − t̄)(y − ȳ) / Σw(t − t̄)²; the projection to the final year T is
ŷ(T) = ȳ + b·(T − t̄), kept within what the figure can be (never below 0, a share
never above 100 %, a cumulative figure never below what is already reached).

The gap is the target minus the projection (for lower-is-better, the projection minus
the target); the relative gap, as ESCAP reports it, divides it by the progress the
target asks for from the start value; the yearly pace needed is what is left to reach,
over the years left after the last one reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from portal.frameworks.indicator import DEFAULT_TOLERANCE, Direction

MIN_YEARS = 2
PLACES = Decimal("0.0001")   # as the report values are kept (Numeric(20, 4))


@dataclass(frozen=True)
class Projection:
    """The projection of one indicator for one unit."""

    years_reported: int
    final_year: int | None
    target: float | None
    enough: bool = False                  # at least two reported years
    projected: float | None = None        # the value expected in the final year
    pace: float | None = None             # the trend's slope: change per year so far
    pace_needed: float | None = None      # change per year needed from the last year on
    gap: float | None = None              # short of the target (≤ 0: reached)
    relative_gap: float | None = None     # the gap ÷ the progress the target asks for
    will_reach: bool | None = None        # None: no target, or not enough years
    last_year: int | None = None
    last_value: float | None = None
    # the dashed segment: from the last reported year to the final year
    line: list[tuple[int, float]] = field(default_factory=list)


def _reported(points: list[tuple[int, float | int | None]]) -> list[tuple[int, Decimal]]:
    return sorted((year, Decimal(str(value))) for year, value in points if value is not None)


def project(points: list[tuple[int, float | int | None]], final_year: int | None,
            target: float | Decimal | None, *, direction: str = Direction.INCREASE,
            start: float | Decimal | None = None, tolerance: Decimal | None = None,
            fraction: bool = False, cumulative: bool = False) -> Projection:
    """Project the final-year value from ``points`` (year, value; None = not reported)."""
    reported = _reported(points)
    aim = None if target is None else Decimal(str(target))
    base = Projection(years_reported=len(reported), final_year=final_year,
                      target=None if aim is None else float(aim),
                      last_year=reported[-1][0] if reported else None,
                      last_value=float(reported[-1][1]) if reported else None)
    if len(reported) < MIN_YEARS or final_year is None:
        return base
    first = reported[0][0]
    zero = Decimal(0)
    pairs = [(Decimal(year - first + 1), Decimal(year), value) for year, value in reported]
    total = sum((w for w, _t, _y in pairs), zero)
    t_mean = sum((w * t for w, t, _y in pairs), zero) / total
    y_mean = sum((w * y for w, _t, y in pairs), zero) / total
    spread = sum((w * (t - t_mean) ** 2 for w, t, _y in pairs), zero)
    slope = sum((w * (t - t_mean) * (y - y_mean) for w, t, y in pairs), zero) / spread
    last_year, last_value = reported[-1]
    projected = y_mean + slope * (final_year - t_mean)
    projected = max(projected, Decimal(0))
    if fraction:
        projected = min(projected, Decimal(1))
    if cumulative:
        projected = max(projected, last_value)
    projected = projected.quantize(PLACES)   # the figures' own precision: no float noise
    slope = slope.quantize(PLACES)
    gap: Decimal | None = None
    relative: Decimal | None = None
    reach: bool | None = None
    needed: Decimal | None = None
    if aim is not None:
        if direction == Direction.MAINTAIN:
            allowed = Decimal(tolerance) if tolerance is not None else DEFAULT_TOLERANCE
            gap = abs(aim - projected)
            reach = gap <= (allowed * abs(aim) if aim else allowed)
        else:
            gap = (projected - aim) if direction == Direction.DECREASE else (aim - projected)
            reach = gap <= 0
        origin = Decimal(str(start)) if start is not None else reported[0][1]
        if direction != Direction.MAINTAIN and aim != origin:
            relative = gap / abs(aim - origin)
        if final_year > last_year:
            needed = (aim - last_value) / (final_year - last_year)
    line = [(last_year, float(last_value)), (final_year, float(projected))] \
        if final_year > last_year else []
    return Projection(
        years_reported=len(reported), final_year=final_year, target=base.target,
        enough=True, projected=float(projected), pace=float(slope),
        pace_needed=None if needed is None else float(needed),
        gap=None if gap is None else float(gap),
        relative_gap=None if relative is None else float(relative), will_reach=reach,
        last_year=last_year, last_value=float(last_value), line=line)
