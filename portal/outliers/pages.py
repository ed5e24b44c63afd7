"""What the outlier pages show: the owner's rules page and the reviewer's list."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator, IndicatorKind
from portal.frameworks.period import ReportingPeriod
from portal.numbers import shown
from portal.outliers.rule import OutlierRule
from portal.outliers.service import (
    CHECKED_KINDS,
    FlaggedValue,
    flagged_values,
    framework_rules,
    rule_text,
)
from portal.reports.workflow import chosen_period
from tenants.unit import UNIT_KIND_LABELS, Unit


@dataclass
class RulesPage:
    framework: Framework
    indicators: list[Indicator]                    # those a rule can check
    # (rule, its indicator, the rule in words, its form's fields as typed)
    rules: list[tuple[OutlierRule, Indicator, str, dict[str, str]]]
    periods: list[ReportingPeriod]
    kinds: dict[str, str]                          # unit kind -> label


def rules_page(framework: Framework) -> RulesPage:
    version = framework.published()
    indicators = [] if version is None else list(db.session.scalars(select(Indicator).where(
        Indicator.version_id == version.id, Indicator.kind.in_(CHECKED_KINDS))
        .order_by(Indicator.position)))
    by_code = {i.code: i for i in indicators}
    rules = [(rule, by_code[code], rule_text(rule, by_code[code]),
              rule_fields(rule, by_code[code]))
             for (code, _kind), rule in sorted(framework_rules(framework.id).items())
             if code in by_code]
    periods = list(db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == framework.id).order_by(ReportingPeriod.year.desc())))
    return RulesPage(framework=framework, indicators=indicators, rules=rules,
                     periods=periods, kinds={k.value: str(v) for k, v in
                                             UNIT_KIND_LABELS.items()})


def rule_fields(rule: OutlierRule, indicator: Indicator) -> dict[str, str]:
    """The rule's form as the owner typed it (ratios' bounds in per cent)."""
    def typed(value: Decimal | None, scale: int = 1) -> str:
        return "" if value is None else shown(value * scale)

    scale = 100 if indicator.kind == IndicatorKind.RATIO else 1
    return {"low": typed(rule.low, scale), "high": typed(rule.high, scale),
            "yoy_factor": typed(rule.yoy_factor), "k": typed(rule.k),
            "min_units": str(rule.min_units)}


@dataclass
class FollowUpsPage:
    unit: Unit
    period: ReportingPeriod | None
    flagged: list[FlaggedValue]


def follow_ups_page(unit: Unit, period_id: int | None) -> FollowUpsPage:
    """The values marked for follow-up in the unit's subtree (one period, when chosen)."""
    period = chosen_period(unit, period_id) if period_id else None
    return FollowUpsPage(unit=unit, period=period, flagged=flagged_values(
        below=unit, period_id=period.id if period else None))
