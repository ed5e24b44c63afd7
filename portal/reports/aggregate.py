"""Aggregates of a subtree's reports, with the semantics of PRODUCT.md § What the numbers mean.

- Only submitted or accepted reports count; a draft is not a report yet.
- The subtree is everything *below* the root, grouped by the root's children; the root's
  own report is its parent's business.
- **Expected** units: the units below the root that are active in the period (valid by
  the data cut-off date and not closed before it) and whose kind must report: the kinds
  the framework's reporting obligations expect (``portal.reports.obligations``; the
  default one: the kinds the framework's indicators are reported by).
- **Reporting rate** = submitted ÷ expected; **timeliness** = submitted on or before the
  due date of the unit's obligation for the period (Vietnam time, from the first real
  submission) ÷ expected. Never above 1. Both per obligation, and over all of them.
- Indicators, by their aggregation rule and time behaviour:
  sum (per year: that year; cumulative: every year up to it, each report counted in the
  year it reported for; stock: each unit's latest value up to it, then summed) · ratio
  of sums (sum the numerators, sum the denominators, then divide — never an average of
  percentages) · share of expected units (units that said yes ÷ units expected to report
  the indicator; a yes/no that is not per year takes each unit's latest answer) · none
  (texts compiled, each with its unit).

Everything is summed **in SQL**, grouped by (year, child of the root, unit kind,
indicator): a fixed number of queries whatever the size of the tree, and no Python
loop over units. Python only adds up the few rows per child and kind that come back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    SQLColumnExpression,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from portal import clock
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkVersion
from portal.frameworks.indicator import Aggregation, Indicator, TimeBehaviour
from portal.frameworks.period import ReportingPeriod
from portal.plans.plan import PlanRevision, RevisionStatus, UnitPlan
from portal.reports.obligations import Terms, due_case, expected_kinds, terms_of
from portal.reports.report import ReportStatus, ReportValue, UnitReport
from tenants.lineage import UnitLineage
from tenants.ordering import natural_order
from tenants.unit import Unit, UnitClosure, UnitKind

COUNTED = (ReportStatus.SUBMITTED.value, ReportStatus.ACCEPTED.value)
RATE_FIELDS = ("expected", "submitted", "on_time", "accepted", "plans_issued")
VALUE_FIELDS = ("value", "values", "numerator", "denominator", "pairs", "yes", "texts")


def _fraction(part: Decimal | int, whole: Decimal | int) -> float | None:
    return None if not whole else float(Decimal(part) / Decimal(whole))


def _number(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def active_on(unit: type[Unit], day: SQLColumnExpression[date] | date) -> ColumnElement[bool]:
    return and_(or_(unit.valid_from.is_(None), unit.valid_from <= day),
                or_(unit.valid_to.is_(None), unit.valid_to > day))


def active_units(root_id: int, cutoff: date) -> dict[int, str]:
    """The units below ``root_id`` that exist on the period's cutoff date, with their kind."""
    return dict(db.session.execute(
        select(Unit.id, Unit.kind)
        .join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == root_id, UnitClosure.depth > 0,
               active_on(Unit, cutoff))).tuples().all())


def issued_plans(framework_id: int) -> Subquery:
    """The units that have issued a plan implementing the framework (a subquery)."""
    return (select(UnitPlan.unit_id).join(PlanRevision, PlanRevision.plan_id == UnitPlan.id)
            .where(UnitPlan.framework_id == framework_id,
                   PlanRevision.status.in_([RevisionStatus.ISSUED.value,
                                            RevisionStatus.SUPERSEDED.value]))
            .group_by(UnitPlan.unit_id).subquery("issued"))


def due_moment(due_date: date) -> datetime:
    """The last moment a report is on time: the end of the due date in Vietnam, in UTC."""
    return datetime.combine(due_date, time(23, 59, 59), tzinfo=clock.LOCAL).astimezone(UTC)


# ---- the sums, as SQL returns them ---------------------------------------------------------

Cell = dict[str, Decimal | int]          # the sums of one (year, group, kind, indicator)


@dataclass
class Sums:
    """What the SQL returned, keyed by year, then group (a child's id, or the root's own
    for units merged into the root itself), then unit kind."""

    rates: dict[int, dict[int, dict[str, Cell]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict)))
    # year -> group -> kind -> code -> cell: flows in the year they were reported for
    flows: dict[int, dict[int, dict[str, dict[str, Cell]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(dict))))
    # target year -> group -> kind -> code -> cell: each unit's latest value up to the year
    stocks: dict[int, dict[int, dict[str, dict[str, Cell]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(dict))))
    texts: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    # group -> code -> the texts of that child's units (the same texts, by child)
    group_texts: dict[int, dict[str, list[dict]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    texts_year: int | None = None          # the year the texts were read for


def time_behaviour(indicator: Indicator) -> str:
    """How the indicator's values add up over time; a cumulative yes/no is each unit's
    latest answer ("has it done so yet"), like a stock."""
    if indicator.aggregation == Aggregation.SHARE_OF_EXPECTED and \
            indicator.time_behaviour == TimeBehaviour.CUMULATIVE:
        return TimeBehaviour.STOCK
    return indicator.time_behaviour


def _add(total: Cell, cell: Cell) -> None:
    for key, number in cell.items():
        total[key] = total.get(key, 0) + (number or 0)


@dataclass
class LiveAggregate:
    """The live figures of a subtree for some years of a framework: one set of queries,
    then any year's figures for the whole subtree or any child of the root."""

    root: Unit
    indicators: list[Indicator]
    years: list[int]
    children: list[tuple[int, str]]            # (id, code) of the root's children
    reporting_kinds: set[str]                  # the kinds some obligation expects
    sums: Sums
    obligations: list[Terms] = field(default_factory=list)
    members: Members | None = None             # read once, for the caller's statements too

    # -- reporting --

    def reporting(self, year: int, group: int | None = None,
                  obligation: Terms | None = None) -> dict:
        """Reporting figures of the year for the subtree (``group`` None) or one child,
        over every obligation or one."""
        kinds = self.reporting_kinds if obligation is None else obligation.kinds
        total: Cell = {}
        for kind, cell in self._rate_cells(year, group):
            if kind in kinds:
                _add(total, cell)
        expected = int(total.get("expected", 0))
        return {"expected": expected, "submitted": int(total.get("submitted", 0)),
                "on_time": int(total.get("on_time", 0)),
                "accepted": int(total.get("accepted", 0)),
                "rate": _fraction(total.get("submitted", 0), expected) if expected else None,
                "timeliness": _fraction(total.get("on_time", 0), expected)
                if expected else None}

    def by_obligation(self, year: int, group: int | None = None) -> list[tuple[Terms, dict]]:
        """Each obligation that expects some kind, with its reporting figures."""
        return [(t, self.reporting(year, group, t)) for t in self.obligations if t.kinds]

    def plans_issued(self, year: int, group: int | None = None) -> int:
        return int(sum(cell.get("plans_issued", 0) for kind, cell in
                       self._rate_cells(year, group) if kind in self.reporting_kinds))

    def _rate_cells(self, year: int, group: int | None) -> Iterator[tuple[str, Cell]]:
        groups = self.sums.rates.get(year, {})
        chosen = groups.values() if group is None else [groups.get(group, {})]
        for by_kind in chosen:
            yield from by_kind.items()

    # -- indicators --

    def _cell(self, indicator: Indicator, year: int, group: int | None,
              kinds: set[str] | None = None) -> Cell:
        """The indicator's sums for the year, over the subtree or one child (and kinds)."""
        behaviour = time_behaviour(indicator)
        if behaviour == TimeBehaviour.STOCK:
            sources = [self.sums.stocks.get(year, {})]
        elif behaviour == TimeBehaviour.CUMULATIVE:
            sources = [self.sums.flows[y] for y in self.sums.flows if y <= year]
        else:
            sources = [self.sums.flows.get(year, {})]
        total: Cell = {}
        for groups in sources:
            chosen = groups.values() if group is None else [groups.get(group, {})]
            for by_kind in chosen:
                for kind, by_code in by_kind.items():
                    if kinds is None or kind in kinds:
                        _add(total, by_code.get(indicator.code, {}))
        return total

    def indicator(self, indicator: Indicator, year: int, group: int | None = None) -> dict:
        """One indicator's figure, in the API's shape."""
        rule = indicator.aggregation
        if rule == Aggregation.SUM:
            cell = self._cell(indicator, year, group)
            return {"value": _number(cell["value"]) if cell.get("values") else None}
        if rule == Aggregation.RATIO_OF_SUMS:
            cell = self._cell(indicator, year, group)
            if not cell.get("pairs"):
                return {"value": None, "numerator": None, "denominator": None}
            return {"value": _fraction(cell["numerator"], cell["denominator"]),
                    "numerator": _number(cell["numerator"]),
                    "denominator": _number(cell["denominator"])}
        if rule == Aggregation.SHARE_OF_EXPECTED:
            return self.share(indicator, year, group)
        if year != self.sums.texts_year:
            return {"texts": []}
        # a child's texts are those of its units: the same rule as the total's, so the
        # children's counts add up to it (texts of units merged into the root: total only)
        texts = self.sums.texts if group is None else self.sums.group_texts.get(group, {})
        return {"texts": texts.get(indicator.code, [])}

    def share(self, indicator: Indicator, year: int, group: int | None = None) -> dict:
        """Units expected to report the indicator that said yes (or gave a non-zero
        value) ÷ units expected: a yes/no's figure, and any target measured as a share."""
        kinds = set(indicator.reporting_kind_list)
        yes = int(self._cell(indicator, year, group, kinds).get("yes", 0))
        expected = sum(int(cell.get("expected", 0))
                       for kind, cell in self._rate_cells(year, group) if kind in kinds)
        return {"value": _fraction(yes, expected) if expected else None,
                "numerator": yes, "denominator": expected}

    def written(self, indicator: Indicator, year: int, group: int | None = None) -> int:
        """How many units gave a text for the indicator (the dashboard's count of texts)."""
        return int(self._cell(indicator, year, group).get("texts", 0))

    def as_dict(self, year: int) -> dict:
        """The API's shape for one year (``GET /api/v1/units/{code}/aggregates``)."""
        return {"unit": self.root.code, "year": year,
                "indicators": {i.code: self.indicator(i, year) for i in self.indicators},
                "reporting": self.reporting(year),
                "children": [{"unit": code,
                              "indicators": {i.code: self.indicator(i, year, child_id)
                                             for i in self.indicators},
                              "reporting": self.reporting(year, child_id)}
                             for child_id, code in self.children]}


# ---- the queries ----------------------------------------------------------------------------


def members_of(root_id: int, as_now: bool = False) -> Subquery:
    """Every unit below the root, with the child of the root it belongs to.

    ``as_now``: the root as it is today, after reorganizations. Only children active
    today make groups; a unit closed by a reorganization counts in the group of its
    successor (active today), or of the root itself when its successor is the root (a
    district of a level removed, a province merged in) — so its reports, attached to it
    forever, count "as the province is now". Without it: the tree as it was, every
    unit under the parent it had.
    """
    child = aliased(Unit)
    if not as_now:
        return (select(UnitClosure.descendant_id.label("unit_id"), child.id.label("child_id"))
                .join(child, child.id == UnitClosure.ancestor_id)
                .where(child.parent_id == root_id)).subquery("members")
    today = clock.today()
    current = and_(child.parent_id == root_id, active_on(child, today))
    successor = aliased(Unit)
    kept = (select(UnitClosure.descendant_id.label("unit_id"), child.id.label("child_id"))
            .join(child, child.id == UnitClosure.ancestor_id)
            .where(current, UnitClosure.descendant_id.notin_(
                select(UnitLineage.predecessor_id))))
    mapped = (select(UnitLineage.predecessor_id, child.id)
              .join(successor, and_(successor.id == UnitLineage.successor_id,
                                    active_on(successor, today)))
              .join(UnitClosure, UnitClosure.descendant_id == successor.id)
              .join(child, child.id == UnitClosure.ancestor_id)
              .where(current))
    into_root = (select(UnitLineage.predecessor_id, literal(root_id))
                 .where(UnitLineage.successor_id == root_id))
    return union_all(kept, mapped, into_root).subquery("members")


@dataclass
class Members:
    """The units below a root with the child of the root each counts for, read once by
    one statement under the caller's scope and handed to the statements that follow.

    Each statement that joined ``members_of`` derived the members again, and every unit
    and closure row it read carried row-level security's and the guard's subplans: six
    statements of a province's dashboard paid for the same few hundred rows six times.
    On PostgreSQL the following statements read them as two arrays
    (``unnest(CAST(:ids AS INTEGER[]), …)``): one bound parameter each, so the compiled
    statement is cached, and the planner knows how many rows there are and joins the
    reports by their unit's index. SQLite, which has no arrays (and no row-level
    security), joins the members' subquery as before. The rows the statements read are
    still limited by the scope (the guard and the policies stay on every tenant table):
    the arrays only say which units to group, never which ones may be seen.
    """

    root_id: int
    as_now: bool
    rows: list[tuple[int, int]]                 # (unit id, child id), as the statement gave

    @classmethod
    def read(cls, root_id: int, as_now: bool) -> Members:
        members = members_of(root_id, as_now)
        rows = [(u, c) for u, c in db.session.execute(
            select(members.c.unit_id, members.c.child_id)).tuples()]
        return cls(root_id=root_id, as_now=as_now, rows=rows)

    def table(self) -> FromClause:
        """The members as a table with the columns ``unit_id`` and ``child_id``; a fresh
        one for each statement (one shared by several statements is annotated by the
        first one's ORM compilation, which changed the next ones' cache keys)."""
        if db.session.get_bind().dialect.name != "postgresql":
            return members_of(self.root_id, self.as_now)
        numbers = ARRAY(Integer)
        return func.unnest(cast(literal([u for u, _c in self.rows], numbers), numbers),
                           cast(literal([c for _u, c in self.rows], numbers), numbers)
                           ).table_valued("unit_id", "child_id").render_derived(
            name="members")

    def child_of(self) -> dict[int, int]:
        return dict(self.rows)


def tenant_keys(root: Unit, as_now: bool = False) -> list[int] | None:
    """The tenant keys (``Unit.province_id``, migration 0028) of every unit whose rows a
    figure of ``root``'s subtree reads, for ``column.in_(…)``: the root's own key, and,
    as the tree is now, the keys of the units merged into the subtree (one small query).
    None above the provinces (every key: no condition).

    Row-level security and the ORM guard still decide what is visible; the keys only
    tell the planner which tenant's rows to read. Given as numbers, not as a subquery:
    the planner then estimates the rows from the key's statistics (a province's share)
    and reads them through the keys' indexes, where the policies' hashed subplan let it
    guess half of every table and scan all of it."""
    if root.kind == UnitKind.NATION or root.province_id is None:
        return None
    keys = {root.province_id}
    if as_now:
        keys |= set(db.session.scalars(
            select(Unit.province_id).distinct()
            .join(UnitLineage, UnitLineage.predecessor_id == Unit.id)
            .join(UnitClosure, UnitClosure.descendant_id == UnitLineage.successor_id)
            .where(UnitClosure.ancestor_id == root.id)))
    return sorted(k for k in keys if k is not None)


def keyed(column: Any, keys: list[int] | None) -> ColumnElement[bool]:
    """``column`` (a tenant key) among ``keys``; always true without keys."""
    return true() if keys is None else column.in_(keys)


def _value_sums(statement: Select, value: Any) -> Select:
    """Add the per-cell sums of report values to ``statement`` (``value`` has the columns
    value, numerator, denominator, text and unit_id)."""
    paired = and_(value.numerator.isnot(None), value.denominator.isnot(None))
    return statement.add_columns(
        func.sum(value.value).label("value"),
        func.count(value.value).label("values"),
        func.sum(case((paired, value.numerator))).label("numerator"),
        func.sum(case((paired, value.denominator))).label("denominator"),
        func.count(case((paired, 1))).label("pairs"),
        func.count(func.distinct(case((value.value != 0, value.unit_id)))).label("yes"),
        func.count(func.distinct(case((value.text != "", value.unit_id)))).label("texts"))


def compute(root: Unit, framework: Framework, years: list[int], *,
            texts: bool = True, as_now: bool = True,
            by_child: bool = True) -> LiveAggregate | None:
    """The live figures of ``root``'s subtree for ``years`` (texts for the last one),
    with the tree as it is now (``members_of``) or as it was.

    ``by_child`` False: for a caller that needs only the subtree's totals (the national
    board, for each province). The sums are then grouped by year, kind and indicator
    only, as one group keyed by the root's id, not by each child of the root: the same
    totals from far fewer rows (a province's flows: a few hundred, not one per commune
    and value). A child's own figures are then empty; the texts are read as before.

    None when the framework has no published version. Runs a fixed number of queries.
    """
    version = framework.published()
    if version is None:
        return None
    indicators = list(db.session.scalars(select(Indicator).where(
        Indicator.version_id == version.id).order_by(Indicator.position)))
    periods = {p.year: p for p in db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == framework.id))}
    years = sorted(y for y in set(years) if y in periods)
    # The rows shown: the children today (as now), or those open at the last year's data
    # cut-off (as it was); the totals count every group either way.
    below = select(Unit.id, Unit.code).where(Unit.parent_id == root.id)
    if as_now:
        below = below.where(active_on(Unit, clock.today()))
    elif years:
        below = below.where(active_on(Unit, periods[years[-1]].cutoff_date))
    children = [tuple(r) for r in db.session.execute(below.order_by(*natural_order()))]
    terms = terms_of(framework, {k for i in indicators for k in i.reporting_kind_list})
    live = LiveAggregate(root=root, indicators=indicators, years=years, children=children,
                         reporting_kinds=expected_kinds(terms), sums=Sums(), obligations=terms)
    if not years or not children:
        return live
    # The members read once; a fresh table of them for each statement (Members.table).
    live.members = members_set = Members.read(root.id, as_now)
    members = members_set.table
    keys = tenant_keys(root, as_now)
    # the code of every indicator of the framework's versions (a report written on an
    # older version gave its values to that version's indicators): the value statements
    # then name the indicators by id, with no join to ``indicator`` for each value
    code_of = dict(db.session.execute(
        select(Indicator.id, Indicator.code)
        .join(FrameworkVersion, FrameworkVersion.id == Indicator.version_id)
        .where(FrameworkVersion.framework_id == framework.id)).tuples().all())
    whole = None if by_child else root.id
    _read_rates(live, framework, periods, years, members(), keys, whole)
    by_behaviour: dict[str, list[str]] = defaultdict(list)
    for indicator in indicators:
        by_behaviour[time_behaviour(indicator)].append(indicator.code)
    flow_codes = by_behaviour[TimeBehaviour.PER_YEAR] + by_behaviour[TimeBehaviour.CUMULATIVE]
    if flow_codes:
        _read_flows(live, periods, years[-1], members(), _codes(code_of, flow_codes), keys,
                    whole)
    if by_behaviour[TimeBehaviour.STOCK]:
        _read_stocks(live, framework, years, members(),
                     _codes(code_of, by_behaviour[TimeBehaviour.STOCK]), keys, whole)
    text_codes = [i.code for i in indicators if i.aggregation == Aggregation.NONE]
    if texts and text_codes:
        _read_texts(live, framework, years[-1], members_set, text_codes, keys)
    return live


def _read_rates(live: LiveAggregate, framework: Framework, periods: dict, years: list[int],
                members: FromClause, keys: list[int] | None = None,
                whole: int | None = None) -> None:
    """Expected, submitted, on time, accepted and plans issued, by year, child and kind
    (``whole``: by year and kind, as the one group of that id)."""
    groups = [members.c.child_id] if whole is None else []
    unit = aliased(Unit)
    due = due_case(unit.kind, ReportingPeriod.id, [periods[y] for y in years],
                   live.obligations, due_moment, UnitReport.first_submitted_at.type)
    # the kinds obligations expect, and those indicators are reported by (a share's
    # expected units)
    kinds = live.reporting_kinds | {k for i in live.indicators for k in i.reporting_kind_list}
    issued = issued_plans(framework.id)
    rows = db.session.execute(
        select(ReportingPeriod.year, *groups, unit.kind,
               func.count().label("expected"),
               func.count(UnitReport.id).label("submitted"),
               func.count(case((UnitReport.first_submitted_at <= due, 1))).label("on_time"),
               func.count(case((UnitReport.status == ReportStatus.ACCEPTED.value, 1)))
               .label("accepted"),
               func.count(issued.c.unit_id).label("plans_issued"))
        .select_from(ReportingPeriod)
        .join(members, literal(True))
        .join(unit, and_(unit.id == members.c.unit_id, keyed(unit.province_id, keys),
                         active_on(unit, ReportingPeriod.cutoff_date)))
        .outerjoin(UnitReport, and_(UnitReport.unit_id == unit.id,
                                    keyed(UnitReport.province_id, keys),
                                    UnitReport.period_id == ReportingPeriod.id,
                                    UnitReport.status.in_(COUNTED)))
        .outerjoin(issued, issued.c.unit_id == unit.id)
        .where(ReportingPeriod.framework_id == framework.id, ReportingPeriod.year.in_(years),
               unit.kind.in_(sorted(kinds)))
        .group_by(ReportingPeriod.year, *groups, unit.kind)).all()
    for row in rows:
        live.sums.rates[row.year][row.child_id if whole is None else whole][row.kind] = {
            name: getattr(row, name) for name in RATE_FIELDS}


def _codes(code_of: dict[int, str], codes: list[str]) -> dict[int, str]:
    """The indicators (id -> code) of ``code_of`` whose code is one of ``codes``."""
    wanted = set(codes)
    return {i: code for i, code in sorted(code_of.items()) if code in wanted}


def _code(codes: dict[int, str]) -> ColumnElement[str]:
    """The code of a report value's indicator, from its id (no join to ``indicator``)."""
    return case(codes, value=ReportValue.indicator_id)


def _read_flows(live: LiveAggregate, periods: dict[int, ReportingPeriod], last_year: int,
                members: FromClause, codes: dict[int, str],
                keys: list[int] | None = None, whole: int | None = None) -> None:
    """Per-year and cumulative indicators: sums by the year reported for, child and kind,
    over the units active in that year (a report counts in the year it reports on);
    ``whole``: by year and kind only, as the one group of that id.

    The periods' years and cut-off dates are given by their ids (a CASE), like the
    indicators' codes: no lookup of ``reporting_period`` for each report value."""
    unit = aliased(Unit)
    code = _code(codes)
    groups = [members.c.child_id] if whole is None else []
    chosen = sorted((p for y, p in periods.items() if y <= last_year), key=lambda p: p.id)
    year = case({p.id: p.year for p in chosen}, value=UnitReport.period_id)
    cutoff = case({p.id: p.cutoff_date for p in chosen}, value=UnitReport.period_id)
    statement = (
        select(year.label("year"), *groups, unit.kind, code.label("code"))
        .select_from(ReportValue)
        .join(UnitReport, UnitReport.id == ReportValue.report_id)
        .join(members, members.c.unit_id == UnitReport.unit_id)
        .join(unit, and_(unit.id == UnitReport.unit_id, keyed(unit.province_id, keys),
                         active_on(unit, cutoff)))
        .where(UnitReport.period_id.in_([p.id for p in chosen]),
               UnitReport.status.in_(COUNTED),
               keyed(UnitReport.province_id, keys), keyed(ReportValue.province_id, keys),
               ReportValue.indicator_id.in_(list(codes)))
        .group_by(year, *groups, unit.kind, code))
    for row in db.session.execute(_value_sums(statement, ReportValue)):
        group = row.child_id if whole is None else whole
        live.sums.flows[row.year][group][row.kind][row.code] = {
            name: getattr(row, name) for name in VALUE_FIELDS}


def _read_stocks(live: LiveAggregate, framework: Framework, years: list[int],
                 members: FromClause,
                 codes: dict[int, str], keys: list[int] | None = None,
                 whole: int | None = None) -> None:
    """Stocks: each unit's latest value up to each year (the next value it gave ends one),
    summed by child and kind over the units active in that year (``whole``: by kind
    only, as the one group of that id)."""
    unit = aliased(Unit)
    code = _code(codes)
    given = (
        select(ReportValue.unit_id, members.c.child_id, code.label("code"),
               ReportingPeriod.year, ReportValue.value, ReportValue.numerator,
               ReportValue.denominator, ReportValue.text,
               # by code: a unit's values given on two versions of the framework follow
               # one another
               func.lead(ReportingPeriod.year).over(
                   partition_by=(ReportValue.unit_id, code),
                   order_by=ReportingPeriod.year).label("next_year"))
        .select_from(ReportValue)
        .join(UnitReport, UnitReport.id == ReportValue.report_id)
        .join(ReportingPeriod, ReportingPeriod.id == UnitReport.period_id)
        .join(members, members.c.unit_id == UnitReport.unit_id)
        .where(ReportingPeriod.framework_id == framework.id,
               ReportingPeriod.year <= years[-1], UnitReport.status.in_(COUNTED),
               keyed(UnitReport.province_id, keys), keyed(ReportValue.province_id, keys),
               ReportValue.indicator_id.in_(list(codes)),
               or_(ReportValue.value.isnot(None), ReportValue.denominator.isnot(None)))
    ).subquery("given")
    target = aliased(ReportingPeriod)
    groups = [given.c.child_id] if whole is None else []
    statement = (
        select(target.year, *groups, unit.kind, given.c.code)
        .select_from(given)
        .join(target, and_(target.framework_id == framework.id, target.year.in_(years),
                           target.year >= given.c.year,
                           or_(given.c.next_year.is_(None), target.year < given.c.next_year)))
        .join(unit, and_(unit.id == given.c.unit_id, keyed(unit.province_id, keys),
                         active_on(unit, target.cutoff_date)))
        .group_by(target.year, *groups, unit.kind, given.c.code))
    for row in db.session.execute(_value_sums(statement, given.c)):
        group = row.child_id if whole is None else whole
        live.sums.stocks[row.year][group][row.kind][row.code] = {
            name: getattr(row, name) for name in VALUE_FIELDS}


def _read_texts(live: LiveAggregate, framework: Framework, year: int, members: Members,
                codes: list[str], keys: list[int] | None = None) -> None:
    """The texts of the year (per-year indicators) or of every year up to it, by unit.

    Four statements on one table each, joined here: the counted reports of the years,
    the non-empty texts of the text indicators, the members with their child (read once
    by ``compute``: ``Members``), and the units' codes and dates. A join of them, under
    the job's subtree scope (row-level security and the guard add their subplans to
    every table), flipped between plans
    with the size of the subtree, once to a merge join that removed 115 million rows by
    its join filter (8-19 s of a national consolidation). Without a join there is no
    plan to flip: each statement is one scan (by index for a province, sequential for
    the country), and the rows meet in dictionaries."""
    behaviour = {i.code: i.time_behaviour for i in live.indicators}
    wanted = {i.id: i.code for i in live.indicators if i.code in codes}
    every_year = {i for i, code in wanted.items() if behaviour[code] != TimeBehaviour.PER_YEAR}
    chosen = [p for p in db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == framework.id, ReportingPeriod.year <= year))]
    periods = {p.id: p.year for p in chosen}
    cutoffs = {p.id: p.cutoff_date for p in chosen}
    reports = {row.id: row for row in db.session.execute(
        select(UnitReport.id, UnitReport.unit_id, UnitReport.period_id).where(
            UnitReport.period_id.in_(list(periods)), UnitReport.status.in_(COUNTED),
            keyed(UnitReport.province_id, keys)))}
    values = db.session.execute(
        select(ReportValue.report_id, ReportValue.indicator_id, ReportValue.text).where(
            ReportValue.indicator_id.in_(list(wanted)), ReportValue.text != "",
            keyed(ReportValue.province_id, keys))).all() if wanted and reports else []
    child_of = members.child_of()
    units = {row.id: row for row in db.session.execute(
        select(Unit.id, Unit.code, Unit.valid_from, Unit.valid_to).where(
            keyed(Unit.province_id, keys)))} if values else {}
    found = []
    for value in values:
        report = reports.get(value.report_id)
        if report is None or report.unit_id not in child_of:
            continue
        unit = units.get(report.unit_id)
        report_year = periods[report.period_id]
        if unit is None or not (report_year == year or value.indicator_id in every_year):
            continue
        cutoff = cutoffs[report.period_id]
        if (unit.valid_from is not None and unit.valid_from > cutoff) or (
                unit.valid_to is not None and unit.valid_to <= cutoff):
            continue
        found.append((wanted[value.indicator_id], report.unit_id, report_year, unit.code,
                      value.text))
    # the order the join gave: by indicator, unit, year
    for code, unit_id, _year, unit_code, text_ in sorted(found, key=lambda f: f[:3]):
        entry = {"unit": unit_code, "text": text_}
        live.sums.texts[code].append(entry)
        live.sums.group_texts[child_of[unit_id]][code].append(entry)
    live.sums.texts_year = year


def aggregate(root: Unit, framework: Framework, year: int, *, as_now: bool = True) -> dict:
    """The live aggregate of ``root``'s subtree for ``year``: the API's shape."""
    live = compute(root, framework, [year], as_now=as_now)
    if live is None or year not in live.years:
        return {"unit": root.code, "year": year, "indicators": {},
                "reporting": {"expected": 0, "submitted": 0, "on_time": 0, "accepted": 0,
                              "rate": None, "timeliness": None}, "children": []}
    return live.as_dict(year)
