"""The leaders' dashboard of a unit's subtree: indicators against their targets with their
trend, reporting and plans by child, task statuses rolled up, the tasks most often
overdue, a ranking of the children, and the latest official snapshot beside the live
figures.

Every figure comes from ``portal.reports.aggregate.compute`` (SQL grouped by child) or
from one grouped query here: the number of queries does not depend on the number of
units. The caller's scope limits what is read, as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, select

from portal import clock
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkNode
from portal.frameworks.indicator import (
    Aggregation,
    Indicator,
    IndicatorKind,
    IndicatorTarget,
    TargetPath,
    TargetScope,
    TimeBehaviour,
)
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.service import visible_frameworks
from portal.plans.plan import PlanTask
from portal.progress.confidence import LEVELS, RATED_STATUSES
from portal.progress.health import Thresholds
from portal.progress.model import (
    GroupHealth,
    IndicatorProgress,
    ProgressBoard,
    group_health,
    indicator_progress,
    parent_code,
)
from portal.progress.settings import thresholds_of
from portal.reports.aggregate import (
    COUNTED,
    LiveAggregate,
    Members,
    active_on,
    compute,
    due_moment,
    issued_plans,
    members_of,
    time_behaviour,
)
from portal.reports.consolidation import Consolidation, RunStatus, is_stale
from portal.reports.obligations import (
    Terms,
    due_case,
    expected_kinds,
    obligations_of,
    terms_of,
)
from portal.reports.report import ReportTask, ReportValue, TaskStatus, UnitReport
from tenants.ordering import natural_order, unit_key
from tenants.tree import unit_labels
from tenants.unit import Unit, UnitKind

BUCKETS = tuple(s.value for s in TaskStatus)
OVERDUE_SHOWN = 5


class Track:
    """Where an indicator stands against its target for the year."""

    EXCEEDED = "exceeded"          # above the target
    ON_TRACK = "on_track"          # the target reached, exactly
    BEHIND = "behind"
    NO_TARGET = "no_target"
    NO_DATA = "no_data"
    ELSEWHERE = "elsewhere"        # the target belongs to the owning unit, not this level


TRACK_LABELS = {Track.EXCEEDED: _l("Target exceeded"), Track.ON_TRACK: _l("On track"),
                Track.BEHIND: _l("Behind target"), Track.NO_TARGET: _l("No target"),
                Track.NO_DATA: _l("No data yet"),
                Track.ELSEWHERE: _l("Target of the level above")}


@dataclass
class IndicatorFigure:
    indicator: Indicator
    figure: dict                      # the aggregate's shape: value / numerator / texts …
    target_year: Decimal | None       # the target given for the chosen year
    target_final: Decimal | None      # the target at the plan's horizon (2030)
    target_now: Decimal | None        # what ``measured`` is compared with this year
    progress: float | None            # measured ÷ target_now (1 = reached), not clamped
    track: str
    trend: list[tuple[int, float | None]]   # ``measured`` over the years so far
    written: int                      # texts: how many units wrote something
    official: dict | None = None      # the snapshot's figure, when there is a snapshot
    # The figure compared with the target, as its scope says: the owning unit's own
    # (its departments' and bodies'), the sum over the units below, or the share of them.
    measured: dict = field(default_factory=dict)
    # health against the value expected this year, and the projection to the final year
    outlook: IndicatorProgress | None = None

    @property
    def value(self) -> float | int | None:
        return self.figure.get("value")

    @property
    def measured_value(self) -> float | int | None:
        return self.measured.get("value")

    @property
    def bar(self) -> float | None:
        """The share of the target the bar shows: capped at the whole bar."""
        return None if self.progress is None else max(0.0, min(self.progress, 1.0))

    @property
    def exceeded(self) -> bool:
        return self.track == Track.EXCEEDED

    @property
    def target_number(self) -> float | None:
        """The target the trend is drawn against, as a number for the chart."""
        return None if self.target_now is None else float(self.target_now)


@dataclass
class ChildRow:
    unit: Unit
    reporting: dict
    plans_issued: int
    tasks: dict[str, int]
    has_subtree: bool
    rank: int = 0

    @property
    def task_completion(self) -> float | None:
        given = sum(self.tasks.values())
        done = self.tasks.get("done_on_time", 0) + self.tasks.get("done_late", 0)
        return done / given if given else None


@dataclass
class Dashboard:
    unit: Unit
    framework: Framework
    frameworks: list[Framework]
    period: ReportingPeriod
    years: list[int]                  # every year of the plan period
    indicators: list[IndicatorFigure]
    reporting: dict
    plans_issued: int
    by_year: list[tuple[int, dict]]   # reporting of each year up to the chosen one
    children: list[ChildRow]
    tasks: dict[str, int]
    overdue: list[dict]
    snapshot: Consolidation | None
    snapshot_stale: bool
    own_report: UnitReport | None = None
    own_values: list[tuple[Indicator, ReportValue]] = field(default_factory=list)
    as_now: bool = True
    generated_at: object = field(default_factory=clock.now)
    thresholds: Thresholds = field(default_factory=Thresholds)
    # reporting of the year by obligation: who reports to whom by which date
    obligations: list[tuple[Terms, dict]] = field(default_factory=list)
    receivers: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> code, name
    groups: list[GroupHealth] = field(default_factory=list)     # health of II.1, …
    confidence: dict[str, int] = field(default_factory=dict)    # tasks in progress by level
    unrated: int = 0                                            # … and those not rated

    @property
    def progress(self) -> ProgressBoard:
        """Health, projections and confidence: the API's and the snapshot's shape."""
        return ProgressBoard(
            unit=self.unit.code, year=self.year, thresholds=self.thresholds,
            indicators={f.indicator.code: f.outlook for f in self.indicators
                        if f.outlook is not None},
            groups=self.groups, confidence=self.confidence, unrated=self.unrated)

    @property
    def year(self) -> int:
        return self.period.year

    @property
    def due_dates(self) -> list:
        """The due dates the year's timeliness is judged against, one per obligation."""
        return sorted({t.due_for(self.period) for t, _r in self.obligations}) or \
            [self.period.due_date]

    @property
    def ranking(self) -> list[ChildRow]:
        return sorted((c for c in self.children if c.reporting["expected"]),
                      key=lambda c: c.rank)


class NothingToShow(LookupError):
    """The unit has no published plan with reporting periods to show."""


def choose(unit: Unit, framework_id: int | None, year: int | None
           ) -> tuple[Framework, list[Framework], ReportingPeriod, list[int]]:
    """The framework and period to show: the ones asked for, or the plan in force nearest
    above the unit and this year (or the nearest year of its period)."""
    frameworks = [f for f in visible_frameworks(unit) if f.published() is not None]
    if framework_id is not None:
        frameworks_by_id = {f.id: f for f in frameworks}
        if framework_id not in frameworks_by_id:
            raise NothingToShow(framework_id)
        framework = frameworks_by_id[framework_id]
    elif frameworks:
        framework = frameworks[0]
    else:
        raise NothingToShow(None)
    periods = {p.year: p for p in db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == framework.id))}
    if not periods:
        raise NothingToShow(framework.id)
    if year is None:
        this_year = clock.today().year
        year = this_year if this_year in periods else min(periods, key=lambda y: (
            abs(y - this_year), -y))
    if year not in periods:
        raise NothingToShow(year)
    return framework, frameworks, periods[year], sorted(periods)


def build(unit: Unit, framework_id: int | None = None, year: int | None = None, *,
          as_now: bool = True) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries; the tree as it is
    now (reports of merged units count for their successors) or as it was."""
    framework, frameworks, period, years = choose(unit, framework_id, year)
    # The receiving units' names first: leaving the system scope unit_labels enters
    # expires what is loaded, so each row loaded before would be read again one by one.
    receivers = unit_labels(o.receiver_unit_id for o in obligations_of(framework.id))
    shown_years = [y for y in years if y <= period.year]
    live = compute(unit, framework, shown_years, texts=False, as_now=as_now)
    assert live is not None  # noqa: S101 - choose() only returns published frameworks
    snapshot = db.session.scalar(select(Consolidation).where(
        Consolidation.unit_id == unit.id, Consolidation.period_id == period.id,
        Consolidation.status == RunStatus.DONE.value)
        .order_by(Consolidation.number.desc()).limit(1))
    targets = _targets(live.indicators)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(
        Unit.id.in_([c for c, _code in live.children])))}
    # The unit's own bodies: the departments directly below it (the owning unit's own
    # figure is theirs; districts and communes have figures of their own).
    bodies = [child_id for child_id, _code in live.children
              if child_id in units and units[child_id].kind == UnitKind.DEPARTMENT]
    thresholds = thresholds_of(framework)
    figures = [_figure(live, unit, indicator, period.year, shown_years, targets, snapshot,
                       bodies, years, thresholds) for indicator in live.indicators]
    assessed = [f.outlook for f in figures if f.outlook is not None]
    # the members compute() read, for the task statements too (none: no child, no years)
    members = live.members or Members(root_id=unit.id, as_now=as_now, rows=[])
    confidence, unrated, tasks_by_child = _task_figures(members, period.id)
    below = set(db.session.scalars(select(Unit.parent_id).where(
        Unit.parent_id.in_(list(units))).distinct()))
    children = [ChildRow(unit=units[child_id],
                         reporting=live.reporting(period.year, child_id),
                         plans_issued=live.plans_issued(period.year, child_id),
                         tasks={b: tasks_by_child.get(child_id, {}).get(b, 0) for b in BUCKETS},
                         has_subtree=child_id in below)
                for child_id, _code in live.children if child_id in units]
    _rank(children)
    own_report, own_values = None, []
    if not live.children:
        own_report = db.session.scalar(select(UnitReport).where(
            UnitReport.unit_id == unit.id, UnitReport.period_id == period.id))
        if own_report is not None:
            own_values = list(db.session.execute(
                select(Indicator, ReportValue).join(ReportValue,
                                                    ReportValue.indicator_id == Indicator.id)
                .where(ReportValue.report_id == own_report.id)
                .order_by(ReportValue.position)).tuples())
    return Dashboard(
        unit=unit, framework=framework, frameworks=frameworks, period=period, years=years,
        indicators=figures, reporting=live.reporting(period.year),
        plans_issued=live.plans_issued(period.year),
        by_year=[(y, live.reporting(y)) for y in shown_years],
        children=children,
        tasks={b: sum(t.get(b, 0) for t in tasks_by_child.values()) for b in BUCKETS},
        overdue=_most_overdue(members, period.id), snapshot=snapshot,
        snapshot_stale=is_stale(snapshot) if snapshot else False, own_report=own_report,
        own_values=own_values, as_now=as_now, thresholds=thresholds,
        obligations=live.by_obligation(period.year),
        receivers=receivers,
        groups=group_health(assessed, _group_titles(live.indicators), thresholds),
        confidence=confidence, unrated=unrated)


def progress_for_snapshot(root: Unit, framework: Framework, year: int) -> dict:
    """The health and projections of ``root`` for ``year``, kept in its consolidation
    snapshot (``portal.reports.consolidation.on_snapshot``): ``{"progress": …}``."""
    try:
        board = build(root, framework.id, year)
    except NothingToShow:
        return {}
    return {"progress": board.progress.as_dict()}


def _targets(indicators: list[Indicator]) -> dict[int, dict[int, Decimal]]:
    rows = db.session.execute(select(IndicatorTarget.indicator_id, IndicatorTarget.year,
                                     IndicatorTarget.value).where(
        IndicatorTarget.indicator_id.in_([i.id for i in indicators]))).all()
    targets: dict[int, dict[int, Decimal]] = {}
    for indicator_id, year, value in rows:
        targets.setdefault(indicator_id, {})[year] = value
    return targets


def target_now(indicator: Indicator, year: int, yearly: dict[int, Decimal],
               first_year: int) -> Decimal | None:
    """What the indicator is compared with in ``year``, as its target path says.

    ``yearly``: the target given for that year, or else the final target. ``linear``: the
    straight line from the baseline (by default 0 in the year before the plan's first
    year) to the final target in its year; a whole-number indicator's target is rounded
    up to the next whole number (10 programmes by 2030 from 0 in 2024: 4 by 2026, not
    3.3333). Before the baseline year, the baseline; from the final year on, the final.
    """
    final = indicator.target_final
    if indicator.target_path != TargetPath.LINEAR:
        return yearly.get(year, final)
    horizon = indicator.target_year
    if final is None or horizon is None:
        return None
    start_year = indicator.baseline_year if indicator.baseline_year is not None \
        else first_year - 1
    start = Decimal(indicator.baseline) if indicator.baseline is not None else Decimal(0)
    final = Decimal(final)
    if year >= horizon or horizon <= start_year:
        return final
    if year <= start_year:
        return start
    aim = start + (final - start) * Decimal(year - start_year) / Decimal(horizon - start_year)
    if indicator.kind in (IndicatorKind.COUNT, IndicatorKind.AMOUNT) \
            and not indicator.target_is_fraction:
        return aim.to_integral_value(rounding=ROUND_CEILING) if final >= start \
            else aim.to_integral_value()
    return aim.quantize(Decimal("0.0001"))


def compared_here(unit: Unit, indicator: Indicator) -> bool:
    """Whether the indicator's target is compared on ``unit``'s dashboard: a share of
    units and a ratio hold at every level; the owning unit's own figure, and a count or
    an amount summed over the units, are the owning unit's (a province's 10 programmes
    are not a district's)."""
    if indicator.target_scope == TargetScope.SHARE or (
            indicator.target_scope == TargetScope.SUM and indicator.target_is_fraction):
        return True
    return unit.id == indicator.owner_unit_id


def _measured(live: LiveAggregate, indicator: Indicator, year: int,
              bodies: list[int]) -> dict:
    """The figure the target measures, for ``year``."""
    if indicator.target_scope == TargetScope.SHARE:
        return live.share(indicator, year)
    if indicator.target_scope != TargetScope.OWN:
        return live.indicator(indicator, year)
    parts = [live.indicator(indicator, year, group) for group in bodies]
    if indicator.aggregation == Aggregation.RATIO_OF_SUMS:
        given = [p for p in parts if p.get("denominator") is not None]
        if not given:
            return {"value": None, "numerator": None, "denominator": None}
        numerator = sum(p["numerator"] for p in given)
        denominator = sum(p["denominator"] for p in given)
        return {"value": float(Decimal(str(numerator)) / Decimal(str(denominator)))
                if denominator else None, "numerator": numerator, "denominator": denominator}
    values = [p["value"] for p in parts if p.get("value") is not None]
    return {"value": sum(values) if values else None}


def _figure(live: LiveAggregate, unit: Unit, indicator: Indicator, year: int,
            years: list[int], targets: dict[int, dict[int, Decimal]],
            snapshot: Consolidation | None, bodies: list[int], plan_years: list[int],
            thresholds: Thresholds) -> IndicatorFigure:
    figure = live.indicator(indicator, year)
    yearly = targets.get(indicator.id, {})
    computed = indicator.aggregation != Aggregation.NONE
    aim = target_now(indicator, year, yearly, years[0]) if computed else None
    here = compared_here(unit, indicator)
    measured = _measured(live, indicator, year, bodies) if computed and here else {}
    value = measured.get("value")
    progress = None
    if not computed:
        track = Track.NO_TARGET
    elif not here:
        track = Track.ELSEWHERE if aim is not None else Track.NO_TARGET
        aim = None
    elif value is None:
        track = Track.NO_DATA
    elif aim is None or aim == 0:
        track = Track.NO_TARGET
    else:
        progress = float(Decimal(str(value)) / Decimal(aim))
        track = Track.EXCEEDED if progress > 1 else \
            Track.ON_TRACK if progress == 1 else Track.BEHIND
    official = None
    if snapshot is not None and snapshot.result:
        official = snapshot.result.get("indicators", {}).get(indicator.code)
    trend_of = (lambda y: _measured(live, indicator, y, bodies).get("value")) if here \
        else (lambda y: live.indicator(indicator, y).get("value"))
    trend = [(y, trend_of(y)) for y in years] if computed else []
    assessed = None
    if computed:
        final_year = indicator.target_year or plan_years[-1]
        final_target = target_now(indicator, final_year, yearly, plan_years[0]) \
            if here else None
        assessed = indicator_progress(indicator, year, value, aim if here else None, trend,
                                      final_year, final_target, thresholds)
    return IndicatorFigure(
        indicator=indicator, figure=figure, target_year=yearly.get(year),
        target_final=indicator.target_final, target_now=aim, progress=progress, track=track,
        trend=trend, written=live.written(indicator, year), official=official,
        measured=measured, outlook=assessed)


def _group_titles(indicators: list[Indicator]) -> dict[str, str]:
    """The titles of the outline items the indicators hang under ("II.1": "Chỉ tiêu …")."""
    if not indicators:
        return {}
    paths = {parent_code(i.code) for i in indicators}
    rows = db.session.execute(select(FrameworkNode.path, FrameworkNode.title,
                                     FrameworkNode.text).where(
        FrameworkNode.version_id == indicators[0].version_id,
        FrameworkNode.path.in_(sorted(paths)))).all()
    return {r.path: (r.title or r.text or "")[:200] for r in rows}


def _rank(children: list[ChildRow]) -> None:
    """Rank for the leaders' meeting: timeliness, then reporting rate, then the share of
    tasks done; units not expected to report come last, unranked."""
    def key(row: ChildRow) -> tuple:
        r = row.reporting
        return (-(r["timeliness"] or 0), -(r["rate"] or 0), -(row.task_completion or 0),
                unit_key(row.unit))

    ranked = sorted((c for c in children if c.reporting["expected"]), key=key)
    for place, row in enumerate(ranked, 1):
        row.rank = place


def _task_figures(members: Members, period_id: int
                  ) -> tuple[dict[str, int], int, dict[int, dict[str, int]]]:
    """The tasks of the counted reports of the period below the root, in one statement
    grouped by child, status and confidence: the statuses by child, and the confidence
    ratings of the tasks not done yet by level with how many of those have none."""
    table = members.table()
    rows = db.session.execute(
        select(table.c.child_id, ReportTask.status, ReportTask.confidence, func.count())
        .select_from(ReportTask)
        .join(UnitReport, UnitReport.id == ReportTask.report_id)
        .join(table, table.c.unit_id == ReportTask.unit_id)
        .where(UnitReport.period_id == period_id, UnitReport.status.in_(COUNTED),
               ReportTask.status.isnot(None))
        .group_by(table.c.child_id, ReportTask.status, ReportTask.confidence)).all()
    by_child: dict[int, dict[str, int]] = {}
    levels = dict.fromkeys(LEVELS, 0)
    unrated = 0
    for child_id, status, level, count in rows:
        statuses = by_child.setdefault(child_id, {})
        statuses[status] = statuses.get(status, 0) + count
        if status not in RATED_STATUSES:
            continue
        if level in levels:
            levels[level] += count
        else:
            unrated += count
    return levels, unrated, by_child


def _most_overdue(members: Members, period_id: int) -> list[dict]:
    """The framework's tasks most units report overdue this year (units' own extra tasks,
    which no framework item names, are not compared across units)."""
    table = members.table()
    rows = db.session.execute(
        select(FrameworkNode.path, func.min(FrameworkNode.title).label("title"),
               func.min(FrameworkNode.text).label("text"),
               func.count(func.distinct(ReportTask.unit_id)).label("units"))
        .select_from(ReportTask)
        .join(UnitReport, UnitReport.id == ReportTask.report_id)
        .where(ReportTask.unit_id.in_(select(table.c.unit_id)))
        .join(PlanTask, and_(PlanTask.revision_id == UnitReport.plan_revision_id,
                             PlanTask.key == ReportTask.task_key))
        .join(FrameworkNode, FrameworkNode.id == PlanTask.framework_node_id)
        .where(UnitReport.period_id == period_id, UnitReport.status.in_(COUNTED),
               ReportTask.status == TaskStatus.OVERDUE.value)
        .group_by(FrameworkNode.path)
        .order_by(func.count(func.distinct(ReportTask.unit_id)).desc(), FrameworkNode.path)
        .limit(OVERDUE_SHOWN)).all()
    return [{"path": r.path, "title": r.title or (r.text or "")[:200], "units": r.units}
            for r in rows]


def trail_of(unit: Unit, top_ids: set[int]) -> list[tuple[str, str, int]]:
    """The breadcrumb's units above ``unit`` that the caller may open a dashboard of."""
    from tenants.tree import ancestors

    return [(code, name, uid) for code, name, uid in ancestors(unit) if uid in top_ids]



# ---- where a number comes from -------------------------------------------------------------

REPORTING_FIGURES = ("expected", "submitted", "on_time", "late", "accepted", "missing",
                     "plans_issued")
PAGE_SIZE = 100


@dataclass
class SourcePage:
    rows: list[dict]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def reporting_sources(unit: Unit, framework: Framework, period: ReportingPeriod,
                      figure: str, page: int, as_now: bool = True) -> SourcePage:
    """The units behind a reporting figure of the dashboard: each expected unit below
    ``unit`` with its report for the period (or none), filtered by the figure."""
    terms = terms_of(framework)
    kinds = sorted(expected_kinds(terms))
    issued = issued_plans(framework.id)
    # the end of the due date of each unit's obligation (its kind's) for the period
    due = due_case(Unit.kind, literal(period.id), [period], terms, due_moment,
                   UnitReport.first_submitted_at.type)
    statement = (
        select(Unit.id, Unit.code, Unit.name, Unit.kind, UnitReport.id.label("report_id"),
               UnitReport.status, UnitReport.first_submitted_at,
               issued.c.unit_id.label("plan_issued"))
        .where(Unit.id.in_(select(members_of(unit.id, as_now).c.unit_id)))
        .outerjoin(UnitReport, and_(UnitReport.unit_id == Unit.id,
                                    UnitReport.period_id == period.id,
                                    UnitReport.status.in_(COUNTED)))
        .outerjoin(issued, issued.c.unit_id == Unit.id)
        .where(Unit.kind.in_(kinds), active_on(Unit, period.cutoff_date)))
    on_time = UnitReport.first_submitted_at <= due
    statement = statement.where({
        "expected": True,
        "submitted": UnitReport.id.isnot(None),
        "on_time": and_(UnitReport.id.isnot(None), on_time),
        "late": and_(UnitReport.id.isnot(None), ~on_time),
        "accepted": UnitReport.status == "accepted",
        "missing": UnitReport.id.is_(None),
        "plans_issued": issued.c.unit_id.isnot(None),
    }[figure])  # type: ignore[arg-type]  # each entry is a condition (True: no filter)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.execute(statement.order_by(*natural_order())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return SourcePage(rows=[dict(r._mapping) for r in rows], total=total or 0, page=page)


def indicator_sources(unit: Unit, framework: Framework, period: ReportingPeriod,
                      indicator: Indicator, page: int, as_now: bool = True) -> SourcePage:
    """The report values behind an indicator's figure: each counted report below ``unit``
    that gave a value, for the years the indicator's time behaviour adds up; for a stock,
    only each unit's latest value counts (``counts``)."""
    year_clause = (ReportingPeriod.year == period.year
                   if indicator.time_behaviour == TimeBehaviour.PER_YEAR
                   else ReportingPeriod.year <= period.year)
    given = ReportValue.text != "" if indicator.aggregation == Aggregation.NONE else \
        (ReportValue.value.isnot(None)) | (ReportValue.denominator.isnot(None))
    latest = func.row_number().over(partition_by=ReportValue.unit_id,
                                    order_by=ReportingPeriod.year.desc()).label("latest")
    statement = (
        select(Unit.code, Unit.name, Unit.kind, Unit.search_name, ReportingPeriod.year,
               UnitReport.id.label("report_id"),
               UnitReport.status, ReportValue.value, ReportValue.numerator,
               ReportValue.denominator, ReportValue.text, ReportValue.note, latest)
        .select_from(ReportValue)
        .join(UnitReport, UnitReport.id == ReportValue.report_id)
        .join(ReportingPeriod, ReportingPeriod.id == UnitReport.period_id)
        .join(Indicator, Indicator.id == ReportValue.indicator_id)
        .join(Unit, and_(Unit.id == ReportValue.unit_id,
                         active_on(Unit, ReportingPeriod.cutoff_date)))
        .where(ReportValue.unit_id.in_(select(members_of(unit.id, as_now).c.unit_id)),
               ReportingPeriod.framework_id == framework.id, UnitReport.status.in_(COUNTED),
               Indicator.code == indicator.code, year_clause, given)).subquery()
    total = db.session.scalar(select(func.count()).select_from(statement))
    rows = db.session.execute(select(statement).order_by(
        *natural_order(statement.c), statement.c.year.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    stock = time_behaviour(indicator) == TimeBehaviour.STOCK
    return SourcePage(rows=[{**r._mapping, "counts": not stock or r.latest == 1}
                            for r in rows], total=total or 0, page=page)
