"""Health bands: the actual figure against the value expected at this date.

The rules, first match wins (docs/progress.md § Health):

1. no expected value (no target, or a target of another level) → not assessed
   (``None``); no figure → *no data*;
2. the final target reached (higher is better: at or above it; lower is better: at or
   below it) → *achieved*;
3. nothing moved from the start (the baseline, 0 by default) while progress was
   expected → *not started*;
4. the ratio — actual ÷ expected (higher is better), expected ÷ actual (lower is
   better) — at least the framework's on-track threshold (95 %) → *on track*, at least
   its behind threshold (85 %) → *behind*, else *at risk*.

A "maintain" indicator holds its target: within the tolerance of it (5 % by default)
→ *on track*, within twice the tolerance → *behind*, further → *at risk*.

A parent (a group of indicators, II.1) is the mean of its children's scores, each
capped at 100 % (an exceeded target cannot hide a lagging one); see ``rollup``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from portal.frameworks.indicator import DEFAULT_TOLERANCE, Direction

DEFAULT_ON_TRACK = Decimal("0.95")
DEFAULT_BEHIND = Decimal("0.85")


class Health(enum.StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    AT_RISK = "at_risk"
    NOT_STARTED = "not_started"
    NO_DATA = "no_data"


HEALTH_LABELS = {Health.ACHIEVED: _l("Achieved"), Health.ON_TRACK: _l("On track"),
                 Health.BEHIND: _l("Behind"), Health.AT_RISK: _l("At risk"),
                 Health.NOT_STARTED: _l("Not started yet"), Health.NO_DATA: _l("No data")}
HEALTH_NOT_ASSESSED = _l("Not assessed")


@dataclass(frozen=True)
class Thresholds:
    """A framework's health thresholds (fractions: 0.95 = 95 %)."""

    on_track: Decimal = DEFAULT_ON_TRACK
    behind: Decimal = DEFAULT_BEHIND


@dataclass(frozen=True)
class Assessment:
    """An indicator's health: its band and the score a parent averages (0–1, capped)."""

    band: Health | None
    ratio: float | None = None     # actual ÷ expected (inverted when lower is better)
    score: float | None = None     # what counts for the parent: min(ratio, 1); 1 achieved

    @property
    def counted(self) -> bool:
        return self.score is not None


def _band(ratio: Decimal, thresholds: Thresholds) -> Health:
    if ratio >= thresholds.on_track:
        return Health.ON_TRACK
    return Health.BEHIND if ratio >= thresholds.behind else Health.AT_RISK


def _capped(ratio: Decimal) -> float:
    return float(max(Decimal(0), min(ratio, Decimal(1))))


def assess(value: float | Decimal | None, expected: float | Decimal | None, *,
           direction: str = Direction.INCREASE, final: float | Decimal | None = None,
           start: float | Decimal | None = 0, tolerance: Decimal | None = None,
           thresholds: Thresholds | None = None) -> Assessment:
    """The health of ``value`` against ``expected`` (both in the indicator's own terms:
    fractions for ratios and shares), with the final target and the start value."""
    thresholds = thresholds or Thresholds()
    if expected is None:
        return Assessment(None)
    if value is None:
        return Assessment(Health.NO_DATA)
    actual, aim = Decimal(str(value)), Decimal(str(expected))
    if direction == Direction.MAINTAIN:
        allowed = Decimal(tolerance) if tolerance is not None else DEFAULT_TOLERANCE
        deviation = abs(actual - aim) / abs(aim) if aim else abs(actual - aim)
        closeness = Decimal(1) - deviation
        if deviation <= allowed:
            return Assessment(Health.ON_TRACK, float(closeness), 1.0)
        band = Health.BEHIND if deviation <= 2 * allowed else Health.AT_RISK
        return Assessment(band, float(closeness), _capped(closeness))
    lower = direction == Direction.DECREASE
    goal = None if final is None else Decimal(str(final))
    if goal is not None and (actual <= goal if lower else actual >= goal):
        return Assessment(Health.ACHIEVED, None, 1.0)
    origin = None if start is None else Decimal(str(start))
    if origin is not None and (
            (lower and actual >= origin and aim < origin)
            or (not lower and actual <= origin and aim > origin)):
        return Assessment(Health.NOT_STARTED, 0.0, 0.0)
    if lower:
        ratio = aim / actual if actual > 0 else Decimal(1) if aim >= 0 else Decimal(0)
    else:
        ratio = actual / aim if aim > 0 else Decimal(1)
    return Assessment(_band(ratio, thresholds), float(ratio), _capped(ratio))


@dataclass(frozen=True)
class Rollup:
    """A parent's health from its children."""

    band: Health
    score: float | None            # the mean of the children's capped scores
    counted: int                   # children with a score
    no_data: int                   # children without a figure (not in the mean)
    by_band: dict[str, int]


def rollup(children: Iterable[Assessment], thresholds: Thresholds | None = None) -> Rollup:
    """A parent's health: the mean of its children's scores, each capped at 100 %
    (achieved counts 100 %, not started 0 %); children without a figure or an expected
    value are left out of the mean. All achieved → achieved; all not started → not
    started; none with a score → no data; else the mean against the thresholds."""
    thresholds = thresholds or Thresholds()
    items = list(children)
    by_band: dict[str, int] = {}
    for item in items:
        if item.band is not None:
            by_band[item.band.value] = by_band.get(item.band.value, 0) + 1
    scored = [item for item in items if item.counted]
    no_data = by_band.get(Health.NO_DATA.value, 0)
    if not scored:
        return Rollup(Health.NO_DATA, None, 0, no_data, by_band)
    score = sum(item.score or 0.0 for item in scored) / len(scored)
    if all(item.band == Health.ACHIEVED for item in scored):
        band = Health.ACHIEVED
    elif all(item.band == Health.NOT_STARTED for item in scored):
        band = Health.NOT_STARTED
    else:
        band = _band(Decimal(str(score)), thresholds)
    return Rollup(band, score, len(scored), no_data, by_band)
