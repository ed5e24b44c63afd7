"""Aggregates of a subtree's reports, with the semantics of PRODUCT.md § What the numbers mean.

- Only submitted or accepted reports count; a draft is not a report yet.
- **Expected** units: the units below the root that are active in the period (valid by
  the data cut-off date and not closed before it) and whose kind must report (the kinds
  the framework's indicators are reported by).
- **Reporting rate** = submitted ÷ expected; **timeliness** = submitted on or before the
  due date (Vietnam time, from the first real submission) ÷ expected. Never above 1.
- Indicators, by their aggregation rule and time behaviour:
  sum (per year: that year; cumulative: every year up to it; stock: each unit's latest
  value up to it, then summed) · ratio of sums (sum the numerators, sum the denominators,
  then divide — never an average of percentages) · share of expected units (units that
  said yes ÷ units expected to report the indicator) · none (texts compiled, each with
  its unit).

One pass over the rows of the subtree, grouped in memory by child: the number of
queries does not grow with the number of units.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import and_, or_, select

from portal import clock
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkVersion
from portal.frameworks.indicator import Aggregation, Indicator, TimeBehaviour
from portal.frameworks.period import ReportingPeriod
from portal.reports.report import ReportStatus, ReportValue, UnitReport
from tenants.tree import unit_labels
from tenants.unit import Unit, UnitClosure

COUNTED = (ReportStatus.SUBMITTED.value, ReportStatus.ACCEPTED.value)


@dataclass
class _Bucket:
    """What one group of units (the whole subtree, or one child's) adds up to."""

    expected: set[int] = field(default_factory=set)
    submitted: set[int] = field(default_factory=set)
    on_time: set[int] = field(default_factory=set)
    accepted: set[int] = field(default_factory=set)


def _fraction(part: Decimal | int, whole: Decimal | int) -> float | None:
    return None if not whole else float(Decimal(part) / Decimal(whole))


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def active_units(root_id: int, cutoff: date) -> dict[int, str]:
    """The units below ``root_id`` that exist on the period's cutoff date, with their kind."""
    return dict(db.session.execute(
        select(Unit.id, Unit.kind)
        .join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == root_id, UnitClosure.depth > 0,
               or_(Unit.valid_from.is_(None), Unit.valid_from <= cutoff),
               or_(Unit.valid_to.is_(None), Unit.valid_to > cutoff))).tuples().all())


def aggregate(root: Unit, framework: Framework, year: int) -> dict:
    """The live aggregate of ``root``'s subtree for ``year``: the API's shape."""
    version = framework.published()
    period = db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == framework.id, ReportingPeriod.year == year))
    if version is None or period is None:
        return {"unit": root.code, "year": year, "indicators": {}, "reporting": _rates(
            _Bucket()), "children": []}
    indicators = list(db.session.scalars(select(Indicator).where(
        Indicator.version_id == version.id).order_by(Indicator.position)))
    reporting_kinds = {k for i in indicators for k in i.reporting_kind_list}

    # Every unit below the root, with the child of the root it belongs to.
    children = list(db.session.execute(
        select(Unit.id, Unit.code).where(Unit.parent_id == root.id).order_by(Unit.code)))
    child_ids = [c.id for c in children]
    group_of: dict[int, int] = {}
    if child_ids:
        for descendant, ancestor in db.session.execute(
                select(UnitClosure.descendant_id, UnitClosure.ancestor_id)
                .where(UnitClosure.ancestor_id.in_(child_ids))):
            group_of[descendant] = ancestor
    kind_of = active_units(root.id, period.cutoff_date)

    total = _Bucket()
    by_child: dict[int, _Bucket] = {c: _Bucket() for c in child_ids}
    for unit_id, kind in kind_of.items():
        if kind in reporting_kinds:
            for bucket in _buckets(unit_id, total, by_child, group_of):
                bucket.expected.add(unit_id)

    # The reports of this year (for the rates), and of every year up to it (for values).
    periods = dict(db.session.execute(select(ReportingPeriod.id, ReportingPeriod.year).where(
        ReportingPeriod.framework_id == framework.id,
        ReportingPeriod.year <= year)).tuples().all())
    due = datetime.combine(period.due_date, time(23, 59, 59), tzinfo=clock.LOCAL)
    reports = db.session.execute(
        select(UnitReport.id, UnitReport.unit_id, UnitReport.period_id, UnitReport.status,
               UnitReport.first_submitted_at)
        .join(UnitClosure, and_(UnitClosure.descendant_id == UnitReport.unit_id,
                                UnitClosure.ancestor_id == root.id))
        .where(UnitReport.period_id.in_(list(periods)), UnitReport.status.in_(COUNTED))).all()
    report_year: dict[int, tuple[int, int]] = {}
    for report in reports:
        report_year[report.id] = (report.unit_id, periods[report.period_id])
        if report.period_id != period.id or report.unit_id not in kind_of:
            continue
        for bucket in _buckets(report.unit_id, total, by_child, group_of):
            if report.unit_id not in bucket.expected:
                continue  # a unit not expected to report adds nothing to the rates
            bucket.submitted.add(report.unit_id)
            submitted = report.first_submitted_at
            if submitted is not None and submitted.tzinfo is None:
                submitted = submitted.replace(tzinfo=UTC)  # SQLite keeps no zone: it is UTC
            if submitted is not None and submitted <= due:
                bucket.on_time.add(report.unit_id)
            if report.status == ReportStatus.ACCEPTED.value:
                bucket.accepted.add(report.unit_id)

    # Values, by the indicator's code (codes stay the same across framework versions).
    code_of = dict(db.session.execute(
        select(Indicator.id, Indicator.code)
        .join(FrameworkVersion, FrameworkVersion.id == Indicator.version_id)
        .where(FrameworkVersion.framework_id == framework.id)).tuples().all())
    rows = db.session.execute(
        select(ReportValue.report_id, ReportValue.indicator_id, ReportValue.value,
               ReportValue.numerator, ReportValue.denominator, ReportValue.text)
        .where(ReportValue.report_id.in_(list(report_year)))).all() if report_year else []
    # code -> unit -> year -> row
    values: dict[str, dict[int, dict[int, object]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        unit_id, row_year = report_year[row.report_id]
        values[code_of[row.indicator_id]][unit_id][row_year] = row

    labels = unit_labels({u for by_unit in values.values() for u, years in by_unit.items()
                          if any(r.text for r in years.values())})
    # The active units of each child, found once (not once per indicator and child).
    members: dict[int, list[int]] = defaultdict(list)
    for unit_id in kind_of:
        members[group_of.get(unit_id, 0)].append(unit_id)
    result = {"unit": root.code, "year": year,
              "indicators": {i.code: _indicator(i, values[i.code], total, year, labels,
                                                list(kind_of), kind_of)
                             for i in indicators},
              "reporting": _rates(total), "children": []}
    for child in children:
        bucket = by_child[child.id]
        result["children"].append({
            "unit": child.code,
            "indicators": {i.code: _indicator(i, values[i.code], bucket, year, labels,
                                              members[child.id], kind_of)
                           for i in indicators},
            "reporting": _rates(bucket)})
    return result


def _buckets(unit_id: int, total: _Bucket, by_child: dict[int, _Bucket],
             group_of: dict[int, int]) -> list[_Bucket]:
    child = group_of.get(unit_id)
    return [total, by_child[child]] if child in by_child else [total]


def _rates(bucket: _Bucket) -> dict:
    expected = len(bucket.expected)
    return {"expected": expected, "submitted": len(bucket.submitted),
            "on_time": len(bucket.on_time), "accepted": len(bucket.accepted),
            "rate": _fraction(len(bucket.submitted), expected) if expected else None,
            "timeliness": _fraction(len(bucket.on_time), expected) if expected else None}


def _indicator(indicator: Indicator, by_unit: dict[int, dict[int, object]], bucket: _Bucket,
               year: int, labels: dict[int, tuple[str, str]], among: list[int],
               kind_of: dict[int, str]) -> dict:
    """One indicator over the active units ``among`` (a child's, or the whole subtree's)."""
    units = [u for u in among if u in by_unit]

    def rows_for(unit_id: int) -> list[object]:
        years = by_unit[unit_id]
        if indicator.time_behaviour == TimeBehaviour.PER_YEAR:
            return [years[year]] if year in years else []
        if indicator.time_behaviour == TimeBehaviour.CUMULATIVE:
            return [years[y] for y in sorted(years) if y <= year]
        # a stock: the latest year up to this one in which the unit gave a value
        given = [y for y in sorted(years) if y <= year and (
            years[y].value is not None or years[y].denominator is not None)]
        return [years[given[-1]]] if given else []

    rule = indicator.aggregation
    if rule == Aggregation.SUM:
        parts = [r.value for u in units for r in rows_for(u) if r.value is not None]
        return {"value": _number(sum(parts, Decimal(0))) if parts else None,
                "units": len({u for u in units if rows_for(u)})}
    if rule == Aggregation.RATIO_OF_SUMS:
        pairs = [(r.numerator, r.denominator) for u in units for r in rows_for(u)
                 if r.numerator is not None and r.denominator is not None]
        numerator = sum((n for n, _d in pairs), Decimal(0))
        denominator = sum((d for _n, d in pairs), Decimal(0))
        return {"value": _fraction(numerator, denominator) if pairs else None,
                "numerator": _number(numerator) if pairs else None,
                "denominator": _number(denominator) if pairs else None}
    if rule == Aggregation.SHARE_OF_EXPECTED:
        expected = {u for u in bucket.expected
                    if kind_of.get(u) in indicator.reporting_kind_list}
        yes = {u for u in units if u in expected and any(
            r.value for r in rows_for(u) if r.value is not None)}
        return {"value": _fraction(len(yes), len(expected)) if expected else None,
                "numerator": len(yes), "denominator": len(expected)}
    texts = [{"unit": labels.get(u, ("", ""))[0], "text": r.text}
             for u in sorted(units) for r in rows_for(u) if getattr(r, "text", "")]
    return {"texts": texts}
