"""The typed read-model of progress the dashboard, the API and the consolidation show:
per indicator its expected value, health and projection; per group of indicators the
health rolled up; the confidence ratings of the tasks in progress, by level."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from portal.frameworks.indicator import Indicator, IndicatorKind, TimeBehaviour
from portal.progress.confidence import LEVELS
from portal.progress.health import Assessment, Health, Rollup, Thresholds, assess, rollup
from portal.progress.projection import Projection, project


def _float(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class IndicatorProgress:
    code: str
    year: int
    value: float | None               # the figure compared (the dashboard's "measured")
    expected: float | None            # expected at this date (the year's target)
    health: Assessment
    projection: Projection

    @property
    def band(self) -> Health | None:
        return self.health.band

    def as_dict(self) -> dict:
        p = self.projection
        return {"value": self.value, "expected": self.expected,
                "health": self.health.band.value if self.health.band else None,
                "ratio": self.health.ratio, "score": self.health.score,
                "projection": {"years_reported": p.years_reported, "enough": p.enough,
                               "final_year": p.final_year, "target": p.target,
                               "projected": p.projected, "pace": p.pace,
                               "pace_needed": p.pace_needed, "gap": p.gap,
                               "relative_gap": p.relative_gap, "will_reach": p.will_reach}}


@dataclass(frozen=True)
class GroupHealth:
    """A parent of indicators (II.1) and its health from them."""

    code: str
    title: str
    indicators: list[str]
    health: Rollup

    def as_dict(self) -> dict:
        return {"code": self.code, "title": self.title, "indicators": self.indicators,
                **{k: v for k, v in asdict(self.health).items() if k != "band"},
                "health": self.health.band.value}


@dataclass
class ProgressBoard:
    unit: str
    year: int
    thresholds: Thresholds
    indicators: dict[str, IndicatorProgress]
    groups: list[GroupHealth]
    confidence: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    unrated: int = 0                  # tasks not done yet without a rating

    def as_dict(self) -> dict:
        return {"unit": self.unit, "year": self.year,
                "thresholds": {"on_track": float(self.thresholds.on_track),
                               "behind": float(self.thresholds.behind)},
                "indicators": {c: p.as_dict() for c, p in self.indicators.items()},
                "groups": [g.as_dict() for g in self.groups],
                "tasks": {"confidence": self.confidence, "unrated": self.unrated}}


def parent_code(code: str) -> str:
    """The group an indicator belongs to: its outline path without the last part."""
    return code.rsplit(".", 1)[0] if "." in code else code


def indicator_progress(indicator: Indicator, year: int, value: float | int | None,
                       expected: Decimal | None, trend: list[tuple[int, float | int | None]],
                       final_year: int | None, final_target: Decimal | None,
                       thresholds: Thresholds) -> IndicatorProgress:
    """One indicator's health at ``year`` and its projection to ``final_year``."""
    start = Decimal(indicator.baseline) if indicator.baseline is not None else Decimal(0)
    health = assess(value, expected, direction=indicator.direction, final=final_target,
                    start=start, tolerance=indicator.tolerance, thresholds=thresholds)
    projection = project(
        trend, final_year, final_target, direction=indicator.direction, start=start,
        tolerance=indicator.tolerance, fraction=indicator.target_is_fraction,
        cumulative=indicator.time_behaviour == TimeBehaviour.CUMULATIVE
        and indicator.kind in (IndicatorKind.COUNT, IndicatorKind.AMOUNT))
    return IndicatorProgress(code=indicator.code, year=year, value=_float(value),
                             expected=_float(expected), health=health, projection=projection)


def group_health(items: list[IndicatorProgress], titles: dict[str, str],
                 thresholds: Thresholds) -> list[GroupHealth]:
    """The health of each parent of indicators, from its children (``rollup``)."""
    groups: dict[str, list[IndicatorProgress]] = {}
    for item in items:
        groups.setdefault(parent_code(item.code), []).append(item)
    return [GroupHealth(code=code, title=titles.get(code, ""),
                        indicators=[i.code for i in members],
                        health=rollup((i.health for i in members), thresholds))
            for code, members in groups.items()]
