"""The national aggregate: a national indicator's figure for a year, added up over the
provinces whose plans implement the national plan, each province through its own
indicators and their mapping (``portal.frameworks.mapping``) — so provinces with
different plans add up correctly — and every figure with the reports it came from.

Each province's contribution is its own consolidated figure: ``portal.reports.aggregate
.compute`` over the province's subtree (as the tree is now) for its own framework's
indicators, then through the mapping:

- a count or an amount: the sum of the mapped indicators' values, each times its factor
  (same meaning: 1; converted: its factor; parts: each part times its own);
- a ratio: the sum of numerators ÷ the sum of denominators — from a province ratio's own
  numerator and denominator, or from two counts mapped as numerator and denominator;
- a yes/no share: the units that said yes ÷ the units expected, over every province;
- a text: the provinces' texts, compiled.

A province that has mapped nothing to the indicator, or has no figure for the year, adds
nothing and is listed as such; the national figure is never a sum of percentages.
The caller's scope limits what is read, as everywhere: the ministry's people see every
province below it. Each province's figures and trace are read under that province's
subtree only (``tenants.scoping.narrow_scope``, a part of the caller's scope), so
row-level security and the guard carry one province's units, not the country's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select

from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Aggregation, Indicator, IndicatorKind, TimeBehaviour
from portal.frameworks.mapping import IndicatorMapping, MappingMode
from portal.frameworks.period import ReportingPeriod
from portal.reports.aggregate import (
    COUNTED,
    LiveAggregate,
    compute,
    members_of,
    time_behaviour,
)
from portal.reports.report import ReportValue, UnitReport
from tenants.ordering import natural_order
from tenants.scoping import narrow_scope
from tenants.unit import Unit


@dataclass(frozen=True)
class ReportRef:
    """One report a national figure came from."""

    report_id: int
    unit_code: str
    year: int


@dataclass
class Contribution:
    """What one province adds to a national indicator in a year."""

    province: Unit
    framework: Framework
    mapped: list[tuple[Indicator, IndicatorMapping]]   # its indicators feeding this one
    value: Decimal | None = None           # counts and amounts, converted
    numerator: Decimal | None = None       # ratios and shares
    denominator: Decimal | None = None
    texts: list[dict] = field(default_factory=list)
    reports: list[ReportRef] = field(default_factory=list)
    missing: str = ""                      # why it adds nothing: "unmapped", "no data", …

    @property
    def counts(self) -> bool:
        return not self.missing

    @property
    def ratio(self) -> float | None:
        if self.value is not None:
            return float(self.value)
        if self.numerator is None or not self.denominator:
            return None
        return float(self.numerator / self.denominator)


@dataclass
class NationalFigure:
    indicator: Indicator
    year: int
    contributions: list[Contribution]
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    texts: list[dict] = field(default_factory=list)

    @property
    def number(self) -> float | None:
        """The figure as shown: the sum, or the ratio (1 = 100 %)."""
        if self.indicator.kind in (IndicatorKind.RATIO, IndicatorKind.YES_NO):
            if self.numerator is None or not self.denominator:
                return None
            return float(self.numerator / self.denominator)
        return None if self.value is None else float(self.value)

    @property
    def trace(self) -> list[ReportRef]:
        """Every report the figure came from, province by province."""
        return [ref for c in self.contributions if c.counts for ref in c.reports]

    @property
    def ranking(self) -> list[Contribution]:
        """The contributing provinces, best first (by their own figure or ratio)."""
        counted = [c for c in self.contributions if c.counts and c.ratio is not None]
        return sorted(counted, key=lambda c: -(c.ratio or 0.0))


def implementing(national: Framework) -> list[Framework]:
    """The frameworks that declare they implement ``national`` (visible to the caller)."""
    return list(db.session.scalars(select(Framework).where(
        Framework.parent_id == national.id).order_by(Framework.id)))


def _decimal(number: float | int | None) -> Decimal | None:
    return None if number is None else Decimal(str(number))


@dataclass
class _Province:
    """One province implementing the national plan, as a board reads it: its own
    figures computed once for the year (``compute``), and the counted reports of its
    mapped indicators read once — for every national indicator of the board."""

    unit: Unit
    framework: Framework
    # national indicator id -> the province's indicators feeding it, with their mapping
    mapped: dict[int, list[tuple[Indicator, IndicatorMapping]]]
    live: LiveAggregate | None = None
    computed: bool = False
    # each counted report with the ids of the mapped indicators it gave a value for, in
    # the order of the year, then the unit
    counted: list[tuple[ReportRef, set[int]]] | None = None

    def figures(self, year: int, texts: bool) -> LiveAggregate | None:
        if not self.computed:
            with narrow_scope(self.unit.id, "national board: one province's figures"):
                self.live = compute(self.unit, self.framework, [year], texts=texts,
                                    by_child=False)
            self.computed = True
        return self.live

    def reports(self, indicators: list[Indicator], year: int) -> list[ReportRef]:
        """The counted reports of the province's subtree whose values of ``indicators``
        entered the year's figures (that year; up to it for cumulative and stock ones)."""
        if not indicators:
            return []
        if self.counted is None:
            with narrow_scope(self.unit.id, "national board: one province's trace"):
                self.counted = _counted_reports(self.unit, self.framework, sorted(
                    {i.id for feeding in self.mapped.values() for i, _m in feeding}), year)
        wanted = {i.id for i in indicators}
        every_year = any(time_behaviour(i) != TimeBehaviour.PER_YEAR for i in indicators)
        return [ref for ref, given in self.counted
                if (every_year or ref.year == year) and not wanted.isdisjoint(given)]


def _counted_reports(province: Unit, framework: Framework, indicator_ids: list[int],
                     year: int) -> list[tuple[ReportRef, set[int]]]:
    """The counted reports of the province's subtree up to ``year`` with a value of one
    of ``indicator_ids``, each with the ids it gave a value for: one row per report (a
    flag per indicator), not one per value."""
    if not indicator_ids:
        return []
    members = members_of(province.id, as_now=True)
    given = [func.max(case((ReportValue.indicator_id == i, 1), else_=0)).label(f"i{n}")
             for n, i in enumerate(indicator_ids)]
    rows = db.session.execute(
        select(UnitReport.id, Unit.code, ReportingPeriod.year, *given)
        .join(ReportingPeriod, ReportingPeriod.id == UnitReport.period_id)
        .join(Unit, Unit.id == UnitReport.unit_id)
        .join(members, members.c.unit_id == UnitReport.unit_id)
        .join(ReportValue, ReportValue.report_id == UnitReport.id)
        .where(ReportingPeriod.framework_id == framework.id, ReportingPeriod.year <= year,
               UnitReport.status.in_(COUNTED),
               ReportValue.indicator_id.in_(indicator_ids),
               (ReportValue.value.isnot(None)) | (ReportValue.denominator.isnot(None))
               | (ReportValue.text != ""))
        .group_by(UnitReport.id, ReportingPeriod.year, Unit.id, Unit.code, Unit.kind,
                  Unit.search_name)
        .order_by(ReportingPeriod.year, *natural_order(Unit), UnitReport.id)).all()
    return [(ReportRef(report_id=r[0], unit_code=r[1], year=r[2]),
             {i for i, flag in zip(indicator_ids, r[3:], strict=True) if flag})
            for r in rows]


def _provinces(national: Framework) -> list[_Province]:
    """The provinces whose published frameworks implement ``national`` (visible to the
    caller), each with its mapping to the national indicators: three statements."""
    frameworks = implementing(national)
    owners = {u.id: u for u in db.session.scalars(select(Unit).where(
        Unit.id.in_([f.owner_unit_id for f in frameworks])))}
    versions = {f.id: v for f in frameworks if (v := f.published()) is not None}
    mapped: dict[int, dict[int, list[tuple[Indicator, IndicatorMapping]]]] = {}
    if versions:
        for indicator, mapping in db.session.execute(
                select(Indicator, IndicatorMapping)
                .join(IndicatorMapping, IndicatorMapping.indicator_id == Indicator.id)
                .where(IndicatorMapping.version_id.in_([v.id for v in versions.values()]),
                       IndicatorMapping.national_indicator_id.isnot(None))
                .order_by(Indicator.position, Indicator.id)).tuples():
            assert mapping.national_indicator_id is not None  # noqa: S101 - filtered
            mapped.setdefault(mapping.version_id, {}).setdefault(
                mapping.national_indicator_id, []).append((indicator, mapping))
    return [_Province(unit=owners[f.owner_unit_id], framework=f,
                      mapped=mapped.get(versions[f.id].id, {}))
            for f in frameworks if f.owner_unit_id in owners and f.id in versions]


def _contribution(national: Indicator, year: int, province: _Province,
                  texts: bool) -> Contribution:
    mapped = province.mapped.get(national.id, [])
    share = Contribution(province=province.unit, framework=province.framework,
                         mapped=mapped)
    if not mapped:
        share.missing = "unmapped"
        return share
    live = province.figures(year, texts)
    if live is None or year not in live.years:
        share.missing = "no period"
        return share
    figures = {i.id: live.indicator(i, year) for i, _m in mapped}
    if national.aggregation == Aggregation.SUM:
        values = [(_decimal(figures[i.id].get("value")), m.multiplier) for i, m in mapped]
        given = [v * factor for v, factor in values if v is not None]
        share.value = sum(given, Decimal(0)) if given else None
        if share.value is None:
            share.missing = "no data"
    elif national.aggregation == Aggregation.NONE:
        share.texts = [{"province": province.unit.code, **t}
                       for i, _m in mapped for t in figures[i.id].get("texts", [])]
        if not share.texts:
            share.missing = "no data"
    else:
        numerator = denominator = None
        for indicator, mapping in mapped:
            figure = figures[indicator.id]
            if mapping.mode == MappingMode.NUMERATOR:
                numerator = _decimal(figure.get("value"))
            elif mapping.mode == MappingMode.DENOMINATOR:
                denominator = _decimal(figure.get("value"))
            else:   # a ratio or a yes/no share with the same meaning
                numerator = _decimal(figure.get("numerator"))
                denominator = _decimal(figure.get("denominator"))
        if numerator is None or denominator is None:
            share.missing = "no data"
        share.numerator, share.denominator = numerator, denominator
    if share.counts:
        share.reports = province.reports([i for i, _m in mapped], year)
    return share


def national_figure(indicator: Indicator, year: int,
                    provinces: list[_Province] | None = None, *,
                    texts: bool | None = None) -> NationalFigure:
    """``indicator`` (of the national plan's published version) for ``year``, over every
    province whose framework implements the national plan.

    ``provinces``: as ``_provinces`` read them, for a board that asks for every national
    indicator — each province's figures are then computed once for all of them (with
    the texts when ``texts``), not once per indicator."""
    if provinces is None:
        national = db.session.get(Framework, _framework_id(indicator))
        assert national is not None  # noqa: S101 - the indicator's own framework
        provinces = _provinces(national)
    if texts is None:
        texts = indicator.kind == IndicatorKind.TEXT
    figure = NationalFigure(indicator=indicator, year=year, contributions=[
        _contribution(indicator, year, province, texts) for province in provinces])
    counted = [c for c in figure.contributions if c.counts]
    if indicator.aggregation == Aggregation.SUM:
        figure.value = sum((c.value for c in counted if c.value is not None), Decimal(0)) \
            if counted else None
    elif indicator.aggregation == Aggregation.NONE:
        figure.texts = [t for c in counted for t in c.texts]
    elif counted:
        figure.numerator = sum((c.numerator or Decimal(0) for c in counted), Decimal(0))
        figure.denominator = sum((c.denominator or Decimal(0) for c in counted), Decimal(0))
    return figure


def _framework_id(indicator: Indicator) -> int:
    from portal.frameworks.framework import FrameworkVersion

    framework_id = db.session.scalar(select(FrameworkVersion.framework_id).where(
        FrameworkVersion.id == indicator.version_id))
    assert framework_id is not None  # noqa: S101 - every indicator has its version
    return framework_id


class NoNationalPlan(LookupError):
    """The unit owns no published plan with reporting periods: nothing to add up."""


@dataclass
class NationalBoard:
    """The ministry's dashboard: each national indicator with every province's figure
    side by side, and the provinces ranked."""

    unit: Unit
    framework: Framework
    year: int
    years: list[int]
    figures: list[NationalFigure]
    provinces: list[Unit]

    def cell(self, figure: NationalFigure, province: Unit) -> Contribution | None:
        return next((c for c in figure.contributions if c.province.id == province.id), None)

    def rank(self, figure: NationalFigure, province: Unit) -> int | None:
        ranked = [c.province.id for c in figure.ranking]
        return ranked.index(province.id) + 1 if province.id in ranked else None

    @property
    def ranking(self) -> list[tuple[Unit, float | None, int]]:
        """The provinces by their mean rank over the indicators they have a figure for
        (best first), with how many indicators the mean is over."""
        rows = []
        for province in self.provinces:
            ranks = [r for f in self.figures if (r := self.rank(f, province)) is not None]
            rows.append((province, sum(ranks) / len(ranks) if ranks else None, len(ranks)))
        return sorted(rows, key=lambda row: (row[1] is None, row[1] or 0.0, row[0].code))


def national_board(unit: Unit, year: int | None = None) -> NationalBoard:
    """The national plan owned by ``unit`` (a ministry) for ``year`` (this year, or the
    nearest year of its periods), every indicator over every province implementing it."""
    from portal import clock

    national = next((f for f in db.session.scalars(select(Framework).where(
        Framework.owner_unit_id == unit.id).order_by(Framework.id))
        if f.published() is not None), None)
    if national is None:
        raise NoNationalPlan(unit.code)
    years = sorted(db.session.scalars(select(ReportingPeriod.year).where(
        ReportingPeriod.framework_id == national.id)))
    if year is None:
        this_year = clock.today().year
        year = this_year if this_year in years or not years else min(
            years, key=lambda y: (abs(y - this_year), -y))
    version = national.published()
    assert version is not None  # noqa: S101 - chosen for it above
    indicators = list(db.session.scalars(select(Indicator).where(
        Indicator.version_id == version.id).order_by(Indicator.position)))
    # each province read once for every indicator: its figures, its mapping, its reports
    shared = _provinces(national)
    texts = any(i.kind == IndicatorKind.TEXT for i in indicators)
    figures = [national_figure(i, year, shared, texts=texts) for i in indicators]
    provinces: dict[int, Unit] = {}
    for figure in figures:
        for c in figure.contributions:
            provinces.setdefault(c.province.id, c.province)
    return NationalBoard(unit=unit, framework=national, year=year, years=years,
                         figures=figures, provinces=sorted(provinces.values(),
                                                           key=lambda u: u.code))
