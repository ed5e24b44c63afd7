"""What the report and consolidation pages show: typed read-models, built here.

A view loads its row through the guard, checks access, and renders one of these
(``render_template(…, **vars(page))``); it runs no query of its own. Permissions that
decide what is offered on the page come from the caller's reach, by the same rules the
actions check (``portal.reports.workflow``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from portal import clock
from portal.accounts.user import User
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.service import visible_frameworks
from portal.reports.consolidation import Consolidation, is_stale
from portal.reports.consolidation import latest as latest_consolidation
from portal.reports.consolidation_narrative import may_edit as may_edit_narrative
from portal.reports.consolidation_narrative import stored as stored_narrative
from portal.reports.consolidation_narrative import texts as narrative_texts
from portal.reports.consolidation_narrative import versions as narrative_versions
from portal.reports.evidence import ReportEvidence
from portal.reports.obligations import reports_on
from portal.reports.report import (
    EDITABLE,
    NARRATIVE,
    ReportAction,
    ReportStatus,
    ReportTask,
    ReportTransition,
    ReportValue,
    TaskStatus,
    UnitReport,
)
from portal.reports.service import (
    changes_since_last_submission,
    locked,
    period_of,
    value_fields,
)
from portal.reports.workflow import may_consolidate, offered_actions
from portal.reports.worklist import UnitStatus, children_statuses, period_for_below
from portal.review import reviews
from tenants.access import Reach
from tenants.membership import REVIEW_ROLES
from tenants.text import search_key
from tenants.tree import natural_keys, unit_labels
from tenants.unit import Unit


@dataclass
class ReportsIndex:
    """A unit's reporting periods, its report in each, and the latest snapshot of each."""

    unit: Unit
    periods: list[ReportingPeriod]
    reports: dict[int, UnitReport]                       # period id -> the unit's report
    frameworks: dict[int, Framework]
    can_write: bool
    may_consolidate: bool
    consolidations: dict[int, Consolidation | None]      # period id -> the latest snapshot
    # the periods whose year has begun: a report can be started for them, not yet for the
    # others (issue 17: "Write the report" was offered for 2027 to 2030)
    begun: set[int] = field(default_factory=set)
    # For those who read the subtree: each unit directly below and its report for one
    # period (issue 16: a district's reviewer saw its communes with no status at all).
    below_period: ReportingPeriod | None = None
    below: list[UnitStatus] = field(default_factory=list)
    may_review_below: bool = False


def reports_index(unit: Unit, reach: Reach, period_id: int | None = None) -> ReportsIndex:
    frameworks = [f for f in visible_frameworks(unit) if reports_on(unit, f)]
    reports = {r.period_id: r for r in db.session.scalars(
        select(UnitReport).where(UnitReport.unit_id == unit.id))}
    periods = list(db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id.in_([f.id for f in frameworks])
        | ReportingPeriod.id.in_(list(reports)))
        .order_by(ReportingPeriod.year.desc())))
    frameworks += [f for f in visible_frameworks(unit) if f not in frameworks
                   and any(p.framework_id == f.id for p in periods)]
    consolidates = may_consolidate(reach, unit.id)
    consolidations = {p.id: latest_consolidation(unit.id, p.id) for p in periods} \
        if consolidates else {}
    index = ReportsIndex(unit=unit, periods=periods, reports=reports,
                         frameworks={f.id: f for f in frameworks},
                         can_write=reach.can_write(unit.id), may_consolidate=consolidates,
                         consolidations=consolidations,
                         begun={p.id for p in periods if p.has_begun(clock.today())})
    if reach.reads_subtree_of(unit.id):
        index.below_period = period_for_below(unit, period_id)
        if index.below_period is not None:
            index.below = children_statuses(unit, index.below_period)
        index.may_review_below = reach.holds_above(unit.id, REVIEW_ROLES)
    return index


@dataclass
class StatusNotice:
    """A step the top of the report tells of: why it is where it is, by whom, when.

    ``kind`` is "returned" or "reopened" (the reviewer's reason), "with_head" (handed
    over, waiting for the head) or "sent_back" (the head's note to the drafter)."""

    kind: str
    reason: str
    by: str
    at: datetime


# The reviewer's steps: the last of them says whether the reviewer's reason still stands.
_REVIEWER_STEPS = (ReportAction.SUBMIT, ReportAction.RETURN, ReportAction.ACCEPT,
                   ReportAction.REOPEN)


def status_notices(report: UnitReport, transitions: list[ReportTransition],
                   users: dict[int, str]) -> list[StatusNotice]:
    """What the top of the report says about its status, beyond its label.

    A report the reviewer returned or reopened shows the reviewer's reason until it is
    submitted again (also while it is with the head); one with the head says who handed
    it over and when; one the head sent back shows the head's note to the drafter."""
    def notice(kind: str, step: ReportTransition) -> StatusNotice:
        by = users.get(step.user_id, "—") if step.user_id is not None else "—"
        return StatusNotice(kind=kind, reason=step.reason, by=by, at=step.at)

    notices = []
    reviewer = next((t for t in reversed(transitions) if t.action in _REVIEWER_STEPS), None)
    open_again = EDITABLE | {ReportStatus.WITH_HEAD.value}
    if reviewer is not None and report.status in open_again and reviewer.action in (
            ReportAction.RETURN, ReportAction.REOPEN):
        notices.append(notice("returned" if reviewer.action == ReportAction.RETURN
                              else "reopened", reviewer))
    last = transitions[-1] if transitions else None
    if last is not None and report.status == ReportStatus.WITH_HEAD.value \
            and last.action == ReportAction.HAND_OVER:
        notices.append(notice("with_head", last))
    if last is not None and report.status in EDITABLE and last.action == ReportAction.SEND_BACK:
        notices.append(notice("sent_back", last))
    return notices


@dataclass
class ReportPage:
    """One report as its page shows it, with what the caller may do on it."""

    report: UnitReport
    period: ReportingPeriod
    unit: Unit
    framework: Framework | None
    indicators: dict[int, Indicator]
    transitions: list[ReportTransition]
    users: dict[int, str]                                # user id -> the name shown
    editable: bool
    locked: bool
    can_write: bool
    can_review: bool                                     # the level receiving the report
    actions: list[str]                                   # the steps offered to the caller
    notices: list[StatusNotice]                          # shown at the top, in this order
    statuses: list[str]
    narrative: tuple[str, ...]
    value_fields: Callable
    changes: list[tuple[str, str, str]]
    evidence: list[ReportEvidence]


def report_page(report: UnitReport, reach: Reach) -> ReportPage:
    period = period_of(report)
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == report.framework_version_id))}
    transitions = list(db.session.scalars(select(ReportTransition).where(
        ReportTransition.report_id == report.id).order_by(ReportTransition.id)))
    users = {u.id: u.full_name or u.username for u in db.session.scalars(
        select(User).where(User.id.in_({t.user_id for t in transitions} - {None})))}
    is_locked = locked(report)
    return ReportPage(
        report=report, period=period, unit=db.session.get_one(Unit, report.unit_id),
        framework=db.session.scalar(select(Framework).where(
            Framework.id == period.framework_id)),
        indicators=indicators, transitions=transitions, users=users,
        editable=report.status in EDITABLE and not is_locked
        and reach.can_write(report.unit_id),
        locked=is_locked, can_write=reach.can_write(report.unit_id),
        can_review=reviews(reach, report.unit_id),
        actions=offered_actions(reach, report, is_locked),
        notices=status_notices(report, transitions, users),
        statuses=[s.value for s in TaskStatus], narrative=NARRATIVE,
        value_fields=value_fields, changes=changes_since_last_submission(report),
        evidence=list(db.session.scalars(select(ReportEvidence).where(
            ReportEvidence.report_id == report.id).order_by(ReportEvidence.id))))


UNITS_SHOWN = 50       # units on a page of a consolidation's per-unit tables


@dataclass
class UnitsPage:
    """A page of one of a consolidation's per-unit tables: the units on it (in the
    natural order), after the filter by name or code, and where it stands."""

    items: list[dict]
    total: int                 # units the filter leaves
    everything: int            # units before the filter
    page: int
    query: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // UNITS_SHOWN))

    @property
    def first(self) -> int:
        """The number of the first unit on the page (0: none)."""
        return (self.page - 1) * UNITS_SHOWN + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * UNITS_SHOWN + len(self.items)

    @property
    def paged(self) -> bool:
        """More units than one page holds: the filter and the pages are the server's."""
        return self.everything > UNITS_SHOWN


def _page_of(items: list[dict], names: dict[str, str], page: int, query: str) -> UnitsPage:
    """Page ``page`` of ``items`` (each with its unit's code in ``unit``), filtered by the
    units' names or codes (accents and case aside, as the unit search does)."""
    wanted = search_key(query or "")
    kept = [item for item in items if not wanted or wanted in search_key(item["unit"])
            or wanted in search_key(names.get(item["unit"]) or item.get("name") or "")]
    pages = max(1, -(-len(kept) // UNITS_SHOWN))
    page = min(max(1, page), pages)
    return UnitsPage(items=kept[(page - 1) * UNITS_SHOWN:page * UNITS_SHOWN], total=len(kept),
                     everything=len(items), page=page, query=query or "")


def _passages_by_unit(result: dict) -> list[dict]:
    """What each unit wrote, by unit (in the order of the snapshot's passages, which is
    the natural order): ``{"unit", "name", "sections": {section: [text, …]}}``."""
    units: dict[str, dict] = {}
    for section, passages in (result.get("narrative") or {}).items():
        for passage in passages:
            entry = units.setdefault(passage["unit"], {
                "unit": passage["unit"], "name": passage.get("name") or passage["unit"],
                "sections": {}})
            entry["sections"].setdefault(section, []).append(passage.get("text", ""))
    keys = natural_keys(list(units))
    return sorted(units.values(), key=lambda u: (0, keys[u["unit"]]) if u["unit"] in keys
                  else (1, u["unit"]))


@dataclass
class ConsolidationUnits:
    """The per-unit tables of a consolidation's page, one page of each: the indicators of
    the units directly below, and what each unit wrote (``?page``/``?q`` and
    ``?wrote_page``/``?wrote_q``; ``/units`` and ``/passages`` give them to htmx)."""

    consolidation: Consolidation
    unit: Unit
    framework: Framework | None
    result: dict
    names: dict[str, str]                                # unit code -> name
    codes: list[str]                                     # the indicators' codes, in order
    indicators: dict[str, Indicator]                     # code -> indicator (published)
    units: UnitsPage                                     # children with their figures
    passages: UnitsPage                                  # units with what they wrote


def consolidation_units(consolidation: Consolidation, page: int = 1, query: str = "",
                        wrote_page: int = 1, wrote_query: str = "") -> ConsolidationUnits:
    """The pages of the consolidation's per-unit tables asked for."""
    result = _in_natural_order(consolidation.result or {})
    codes = {c["unit"] for c in result.get("children", [])}
    labels = {code: name for _id, (code, name) in unit_labels(db.session.scalars(
        select(Unit.id).where(Unit.code.in_(codes | {result.get("unit", "")})))).items()}
    framework = db.session.scalar(select(Framework).where(
        Framework.id == consolidation.framework_id))
    version = framework.published() if framework else None
    indicators = {i.code: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == version.id))} if version is not None else {}
    return ConsolidationUnits(
        consolidation=consolidation, unit=db.session.get_one(Unit, consolidation.unit_id),
        framework=framework, result=result, names=labels, codes=list(result.get("indicators", {})),
        indicators=indicators,
        units=_page_of(result.get("children", []), labels, page, query),
        passages=_page_of(_passages_by_unit(result), {}, wrote_page, wrote_query))


@dataclass
class ConsolidationPage:
    """A consolidation snapshot: its figures beside each child's, with names and indicators."""

    consolidation: Consolidation
    result: dict
    names: dict[str, str]                                # unit code -> name
    rows: list[tuple[str, list[dict]]]                   # indicator code -> [total, child…]
    indicators: dict[str, Indicator]                     # code -> indicator (published)
    stale: bool
    unit: Unit
    framework: Framework | None
    narrative: dict[str, str] = field(default_factory=dict)   # as edited, or as compiled
    narrative_versions: dict[str, int] = field(default_factory=dict)
    narrative_edited: bool = False                 # a consolidator has saved it
    can_edit: bool = False                         # the caller may edit the narrative
    tables: ConsolidationUnits | None = None       # the web page's pages of units


def consolidation_page(consolidation: Consolidation, reach: Reach | None = None, *,
                       page: int = 1, query: str = "", wrote_page: int = 1,
                       wrote_query: str = "") -> ConsolidationPage:
    """The consolidation's page (``reach``: whether the caller edits the narrative), with
    every unit for the files and one page of each per-unit table for the web page."""
    tables = consolidation_units(consolidation, page, query, wrote_page, wrote_query)
    result = tables.result
    rows = [(code, [value] + [c["indicators"].get(code, {}) for c in result.get("children", [])])
            for code, value in result.get("indicators", {}).items()]
    return ConsolidationPage(
        consolidation=consolidation, result=result, names=tables.names, rows=rows,
        indicators=tables.indicators, stale=is_stale(consolidation),
        unit=tables.unit, framework=tables.framework,
        narrative=narrative_texts(consolidation),
        narrative_versions=narrative_versions(consolidation),
        narrative_edited=stored_narrative(consolidation) is not None,
        can_edit=reach is not None and consolidation.status == "done"
        and may_edit_narrative(reach, consolidation.unit_id),
        tables=tables)


def _in_natural_order(result: dict) -> dict:
    """The snapshot with its children, its per-unit rows and what each unit wrote in the
    natural order of units (``tenants.ordering``), whatever order it was written in: the
    page and both files read this. Units no longer in the tree come after the others, by
    code."""
    children, units = result.get("children", []), result.get("units", [])
    passages = result.get("narrative", {})
    named = [c["unit"] for c in children] + [u["unit"] for u in units] + [
        p["unit"] for texts in passages.values() for p in texts]
    if not named:
        return result
    keys = natural_keys(named)

    def key(row: dict) -> tuple:
        return (0, keys[row["unit"]]) if row["unit"] in keys else (1, row["unit"])
    return {**result, "children": sorted(children, key=key), "units": sorted(units, key=key),
            "narrative": {name: sorted(texts, key=key) for name, texts in passages.items()}}


# A row that belongs to a report (checked for each of the three).
ReportPart = TypeVar("ReportPart", ReportValue, ReportTask, ReportEvidence)


def report_part(model: type[ReportPart], report: UnitReport, part_id: int) -> ReportPart | None:
    """A row of the report (a value, a task, an evidence file) by id; None if not its."""
    return db.session.scalar(select(model).where(model.id == part_id,
                                                 model.report_id == report.id))


def indicator_of(row: ReportValue) -> Indicator:
    return db.session.get_one(Indicator, row.indicator_id)


def indicators_of(report: UnitReport) -> dict[int, Indicator]:
    """The indicators of the framework version the report is written on, by id."""
    return {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == report.framework_version_id))}
