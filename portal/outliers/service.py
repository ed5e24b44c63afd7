"""Outliers of yearly values: the owner's rules, the check a saved value goes through,
the follow-up flag it sets, and the reviewer's list (docs/outliers.md).

Operations only flush; the caller commits once. Refusals raise ``OutlierError`` with
messages by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator, IndicatorKind
from portal.frameworks.period import ReportingPeriod
from portal.numbers import NumberError, read_number, shown
from portal.outliers.bounds import (
    NoSpread,
    TooFewUnits,
    generate,
    outside_bounds,
    year_over_year,
)
from portal.outliers.rule import DEFAULT_K, DEFAULT_MIN_UNITS, BoundsMethod, OutlierRule
from portal.problems import DomainError
from portal.reports.report import ReportStatus, ReportValue, UnitReport
from portal.reports.value_thread import ValueFollowUp
from tenants.unit import Unit, UnitClosure, UnitKind

# The kinds a rule can check: a figure, not a yes/no or a text.
CHECKED_KINDS = (IndicatorKind.COUNT, IndicatorKind.AMOUNT, IndicatorKind.RATIO)
# Generated bounds read the values the units have reported (submitted or accepted).
REPORTED = (ReportStatus.SUBMITTED.value, ReportStatus.ACCEPTED.value)


class OutlierError(DomainError):
    """A rule refused; ``problems`` maps a field name to its message."""


def figure(row: ReportValue, indicator: Indicator) -> Decimal | None:
    """The number a rule compares: the value, or a ratio's part ÷ total (a fraction)."""
    if indicator.kind == IndicatorKind.RATIO:
        if row.numerator is None or not row.denominator:
            return None
        return Decimal(row.numerator) / Decimal(row.denominator)
    if indicator.kind in (IndicatorKind.COUNT, IndicatorKind.AMOUNT):
        return row.value
    return None


def shown_figure(number: Decimal | None, indicator: Indicator) -> str:
    """A compared number as the reader reads it (a ratio in per cent)."""
    if number is None:
        return "—"
    if indicator.kind == IndicatorKind.RATIO:
        return shown(round(number * 100, 2)) + " %"
    return shown(round(number, 4))


# ---- the rules -------------------------------------------------------------------------


def framework_rules(framework_id: int) -> dict[tuple[str, str], OutlierRule]:
    """The framework's rules by (indicator code, unit kind)."""
    return {(r.indicator_code, r.unit_kind): r for r in db.session.scalars(
        select(OutlierRule).where(OutlierRule.framework_id == framework_id))}


def rule_for(rules: dict[tuple[str, str], OutlierRule], code: str,
             kind: str) -> OutlierRule | None:
    """The rule for one kind of unit, else the rule for every kind, else none."""
    return rules.get((code, kind)) or rules.get((code, ""))


def bounds_text(rule: OutlierRule, indicator: Indicator) -> str:
    """The bounds of the rule in words, and where they come from ("" without bounds)."""
    if rule.low is None and rule.high is None:
        return ""
    if rule.low is None:
        span = _("at most %(high)s", high=shown_figure(rule.high, indicator))
    elif rule.high is None:
        span = _("at least %(low)s", low=shown_figure(rule.low, indicator))
    else:
        span = _("from %(low)s to %(high)s", low=shown_figure(rule.low, indicator),
                 high=shown_figure(rule.high, indicator))
    if rule.method == BoundsMethod.GENERATED:
        return _("usual range %(span)s: the median %(median)s ± %(k)s × 1.4826 × MAD "
                 "%(mad)s of %(units)d units in %(year)d",
                 span=span, median=shown_figure(rule.basis_median, indicator),
                 k=shown(rule.k), mad=shown_figure(rule.basis_mad, indicator),
                 units=rule.basis_units or 0, year=rule.basis_year or 0)
    return _("usual range %(span)s, set by the framework owner", span=span)


def rule_text(rule: OutlierRule, indicator: Indicator) -> str:
    """The whole rule in words, as the rules page says it."""
    parts = [bounds_text(rule, indicator)]
    if rule.yoy_factor is not None:
        parts.append(_("at most ×%(factor)s or ÷%(factor)s of last year's value",
                       factor=shown(rule.yoy_factor)))
    return "; ".join(p for p in parts if p)


def _number(data: dict[str, str], name: str, problems: dict[str, str],
            indicator: Indicator) -> Decimal | None:
    text = (data.get(name) or "").strip()
    if not text:
        return None
    try:
        value = read_number(text).value
    except NumberError as exc:
        problems[name] = str(exc)
        return None
    return value / 100 if indicator.kind == IndicatorKind.RATIO and name in ("low", "high") \
        else value


def save_rule(framework: Framework, data: dict[str, str], user_id: int | None) -> OutlierRule:
    """Create or change the rule for an indicator (by code) and a unit kind ("" = every
    kind). Bounds typed by hand make it a manual rule; ``generate_bounds`` fills them."""
    version = framework.published()
    code = (data.get("indicator_code") or "").strip()
    indicator = db.session.scalar(select(Indicator).where(
        Indicator.version_id == version.id, Indicator.code == code)) if version else None
    if indicator is None or indicator.kind not in CHECKED_KINDS:
        raise OutlierError({"indicator_code": _("Choose an indicator with a figure "
                                                "(a count, an amount or a ratio).")})
    kind = (data.get("unit_kind") or "").strip()
    if kind and kind not in {k.value for k in UnitKind}:
        raise OutlierError({"unit_kind": _("Choose a kind of unit.")})
    problems: dict[str, str] = {}
    low = _number(data, "low", problems, indicator)
    high = _number(data, "high", problems, indicator)
    factor = _number(data, "yoy_factor", problems, indicator)
    k = _number(data, "k", problems, indicator)
    minimum = _number(data, "min_units", problems, indicator)
    if low is not None and high is not None and low > high:
        problems["low"] = _("The low bound cannot be above the high bound.")
    if factor is not None and factor <= 1:
        problems["yoy_factor"] = _("The factor must be more than 1 (3 means ×3 or ÷3).")
    if k is not None and k <= 0:
        problems["k"] = _("k must be more than 0.")
    if minimum is not None and (minimum < 3 or minimum != int(minimum)):
        problems["min_units"] = _("At least 3 units, a whole number.")
    if problems:
        raise OutlierError(problems)
    rule = framework_rules(framework.id).get((code, kind))
    if rule is None:
        rule = OutlierRule(framework_id=framework.id, owner_unit_id=framework.owner_unit_id,
                           indicator_code=code, unit_kind=kind)
        db.session.add(rule)
    # Generated bounds sent back unchanged (the form shows them) stay generated, with
    # their basis; any other bounds are the owner's own.
    if rule.id is None or (low, high) != (rule.low, rule.high):
        rule.method, rule.low, rule.high = BoundsMethod.MANUAL.value, low, high
        rule.basis_year = rule.basis_units = rule.basis_median = rule.basis_mad = None
    rule.yoy_factor = factor
    rule.k = k if k is not None else DEFAULT_K
    rule.min_units = int(minimum) if minimum is not None else DEFAULT_MIN_UNITS
    rule.updated_by_id, rule.updated_at = user_id, clock.now()
    db.session.flush()
    return rule


def generate_bounds(rule: OutlierRule, period: ReportingPeriod, user_id: int | None) -> None:
    """Bounds from the values the units of the rule's kind reported for ``period``
    (submitted or accepted), median ± k × scaled MAD (``portal.outliers.bounds``)."""
    if period.framework_id != rule.framework_id:
        raise OutlierError({"period_id": _("Choose a period of this framework.")})
    indicator_ids = select(Indicator.id).where(Indicator.code == rule.indicator_code)
    query = (select(ReportValue, Indicator).join(UnitReport, ReportValue.report_id ==
                                                 UnitReport.id)
             .join(Indicator, Indicator.id == ReportValue.indicator_id)
             .join(Unit, Unit.id == UnitReport.unit_id)
             .where(UnitReport.period_id == period.id, UnitReport.status.in_(REPORTED),
                    ReportValue.indicator_id.in_(indicator_ids)))
    if rule.unit_kind:
        query = query.where(Unit.kind == rule.unit_kind)
    values = [v for v in (figure(row, indicator) for row, indicator
                          in db.session.execute(query).tuples()) if v is not None]
    try:
        made = generate(values, Decimal(rule.k), rule.min_units)
    except TooFewUnits:
        raise OutlierError({"period_id": _(
            "Only %(n)d units reported a value for %(year)d; at least %(min)d are needed to "
            "generate bounds.", n=len(values), year=period.year, min=rule.min_units)}) from None
    except NoSpread:
        raise OutlierError({"period_id": _(
            "More than half the units reported the same value in %(year)d: the spread is 0. "
            "Set the bounds by hand.", year=period.year)}) from None
    rule.method = BoundsMethod.GENERATED.value
    rule.low, rule.high = round(made.low, 4), round(made.high, 4)
    rule.basis_year, rule.basis_units = period.year, made.units
    rule.basis_median, rule.basis_mad = round(made.median, 4), round(made.mad, 4)
    rule.updated_by_id, rule.updated_at = user_id, clock.now()
    db.session.flush()


def delete_rule(rule: OutlierRule) -> None:
    db.session.delete(rule)
    db.session.flush()


# ---- checking a value -------------------------------------------------------------------


def last_year_values(report: UnitReport) -> dict[str, ReportValue]:
    """The unit's values of the year before, by indicator code (none: no report then)."""
    period = db.session.get_one(ReportingPeriod, report.period_id)
    before = db.session.scalar(select(UnitReport).join(
        ReportingPeriod, ReportingPeriod.id == UnitReport.period_id).where(
        UnitReport.unit_id == report.unit_id, ReportingPeriod.framework_id ==
        period.framework_id, ReportingPeriod.year == period.year - 1))
    if before is None:
        return {}
    return {code: row for row, code in db.session.execute(
        select(ReportValue, Indicator.code).join(Indicator, Indicator.id ==
                                                 ReportValue.indicator_id)
        .where(ReportValue.report_id == before.id)).tuples()}


def warnings(row: ReportValue, indicator: Indicator, rule: OutlierRule | None,
             last: ReportValue | None, last_indicator: Indicator | None = None) -> list[str]:
    """Why the value is unusual under ``rule``, in words (empty: it is not)."""
    value = figure(row, indicator)
    if rule is None or value is None:
        return []
    said = []
    if outside_bounds(value, rule.low, rule.high):
        said.append(_("%(value)s is outside the %(rule)s.", value=shown_figure(
            value, indicator), rule=bounds_text(rule, indicator)))
    before = figure(last, last_indicator or indicator) if last is not None else None
    if before is not None and rule.yoy_factor is not None and \
            year_over_year(value, before, rule.yoy_factor):
        factor, now, then = shown(rule.yoy_factor), shown_figure(value, indicator), \
            shown_figure(before, indicator)
        if before == 0:
            said.append(_("Last year's value was 0; this year's is %(value)s.", value=now))
        elif value == 0:
            said.append(_("This year's value is 0; last year's was %(last)s.", last=then))
        elif value > before:
            said.append(_("%(value)s is more than %(factor)s times last year's value "
                          "(%(last)s).", value=now, factor=factor, last=then))
        else:
            said.append(_("%(value)s is less than last year's value (%(last)s) divided by "
                          "%(factor)s.", value=now, factor=factor, last=then))
    return said


@dataclass
class ReportOutliers:
    """The warnings of each value of a report, by value id."""

    warnings: dict[int, list[str]]


def report_outliers(report: UnitReport) -> ReportOutliers:
    """Every value of the report checked against its rule (the report page)."""
    period = db.session.get_one(ReportingPeriod, report.period_id)
    rules = framework_rules(period.framework_id)
    if not rules:
        return ReportOutliers({})
    kind = db.session.get_one(Unit, report.unit_id).kind
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == report.framework_version_id))}
    last = last_year_values(report)
    said = {}
    for row in report.values:
        indicator = indicators[row.indicator_id]
        found = warnings(row, indicator, rule_for(rules, indicator.code, kind),
                         last.get(indicator.code))
        if found:
            said[row.id] = found
    return ReportOutliers(said)


def check_value(row: ReportValue, report: UnitReport, before: Decimal | None) -> list[str]:
    """Check a value just saved and mark it for follow-up: outside its rule, it is flagged
    (automatically); back inside, an automatic flag is cleared. A reviewer's own decision
    stands until the figure changes. ``before``: the figure before the save."""
    indicator = db.session.get_one(Indicator, row.indicator_id)
    period = db.session.get_one(ReportingPeriod, report.period_id)
    rules = framework_rules(period.framework_id)
    rule = rule_for(rules, indicator.code, db.session.get_one(Unit, report.unit_id).kind)
    found = warnings(row, indicator, rule, last_year_values(report).get(indicator.code)) \
        if rule is not None else []
    if figure(row, indicator) == before:
        return found
    mark = db.session.scalar(select(ValueFollowUp).where(ValueFollowUp.value_id == row.id))
    if found:
        if mark is None:
            mark = ValueFollowUp(value_id=row.id, unit_id=row.unit_id)
            db.session.add(mark)
        mark.flagged, mark.automatic, mark.reason = True, True, " ".join(found)
        mark.set_by_id, mark.set_at = None, clock.now()
    elif mark is not None and mark.automatic and mark.flagged:
        mark.flagged, mark.reason, mark.set_at = False, "", clock.now()
    db.session.flush()
    return found


# ---- the reviewer's list ----------------------------------------------------------------


@dataclass
class FlaggedValue:
    unit: Unit
    report: UnitReport
    row: ReportValue
    indicator: Indicator
    mark: ValueFollowUp
    year: int


def flagged_values(*, report: UnitReport | None = None, below: Unit | None = None,
                   period_id: int | None = None) -> list[FlaggedValue]:
    """The values marked for follow-up, of one report or of a unit's subtree (and one
    period), in unit and indicator order."""
    query = (select(ValueFollowUp, ReportValue, UnitReport, Unit, Indicator, ReportingPeriod)
             .join(ReportValue, ReportValue.id == ValueFollowUp.value_id)
             .join(UnitReport, UnitReport.id == ReportValue.report_id)
             .join(Unit, Unit.id == UnitReport.unit_id)
             .join(Indicator, Indicator.id == ReportValue.indicator_id)
             .join(ReportingPeriod, ReportingPeriod.id == UnitReport.period_id)
             .where(ValueFollowUp.flagged.is_(True)))
    if report is not None:
        query = query.where(UnitReport.id == report.id)
    if below is not None:
        query = query.join(UnitClosure, UnitClosure.descendant_id == Unit.id).where(
            UnitClosure.ancestor_id == below.id)
    if period_id is not None:
        query = query.where(UnitReport.period_id == period_id)
    query = query.order_by(ReportingPeriod.year.desc(), Unit.name, ReportValue.position)
    return [FlaggedValue(unit=unit, report=rep, row=row, indicator=indicator, mark=mark,
                         year=period.year)
            for mark, row, rep, unit, indicator, period in db.session.execute(query).tuples()]

