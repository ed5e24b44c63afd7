"""Who acts next on a report, as the reviewers see it (issue 16).

- The **worklist**: the reports at the units a caller reviews (strictly below a unit where
  they are reviewer or consolidator, ``portal.review``), waiting for them (submitted), or,
  under the status filter, returned to the unit or accepted; oldest waiting first.
- The **statuses of the units below** one unit for a period, the units without a report
  included ("not started").
- The **units that have not reported**: the expected units below a unit (active on the
  period's cut-off, of a kind one of the plan's reporting obligations expects) whose
  report is not submitted or accepted, level by level.

A report's due date, and whether it came late, are those of the unit's obligation for
the period (``portal.reports.obligations``): a province's report to the ministry is due
by the national date, a commune's to DOST by the province's.

Every read is a fixed number of queries whatever the number of units (no query per unit
or report), scoped by the tenant guard like the pages' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.orm import aliased

from portal import clock
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.service import visible_frameworks
from portal.reports.aggregate import COUNTED, active_units, due_moment
from portal.reports.obligations import dues_by_framework, expected_kinds, listed_due, terms_of
from portal.reports.report import (
    REPORT_STATUS_LABELS,
    ReportStatus,
    ReportSubmission,
    UnitReport,
)
from portal.reports.workflow import chosen_period, reporting_period
from tenants.access import Reach
from tenants.membership import REVIEW_ROLES
from tenants.ordering import in_natural_order, natural_order
from tenants.unit import Unit, UnitClosure

# What the status filter of the worklist offers, waiting-for-the-reviewer first.
WORKLIST_STATUSES = (ReportStatus.SUBMITTED.value, ReportStatus.RETURNED.value,
                     ReportStatus.ACCEPTED.value)
SHOWN = 500                 # rows the worklist lists at most (oldest first)
NOT_STARTED = "not_started"  # a unit with no report for the period yet
# Where a unit's report stands, a unit without one included (``unit_report_status_label``).
UNIT_REPORT_STATUS_LABELS: dict[str, object] = {
    NOT_STARTED: _l("Not started"), **{s.value: t for s, t in REPORT_STATUS_LABELS.items()}}


def reviewing_units(reach: Reach) -> list[int]:
    """The units whose subtrees the caller reviews: where they are reviewer or consolidator
    (for a platform operator, every tree's root)."""
    if reach.platform_admin:
        return list(db.session.scalars(select(Unit.id).where(Unit.parent_id.is_(None))))
    return sorted(u for u, roles in reach.roles.items() if roles & REVIEW_ROLES)


def _strictly_below(roots: list[int]) -> Select:
    return select(UnitClosure.descendant_id).where(UnitClosure.ancestor_id.in_(roots),
                                                   UnitClosure.depth > 0)


def _in_branch(child_id: int) -> Select:
    return select(UnitClosure.descendant_id).where(UnitClosure.ancestor_id == child_id)


# ---- the worklist ----------------------------------------------------------------------


@dataclass(frozen=True)
class WorklistRow:
    """One report on the worklist."""

    report_id: int
    status: str
    unit_code: str
    unit_name: str
    unit_kind: str
    year: int
    framework: str
    due_date: date              # the due date of the unit's obligation for the period
    submitted_at: datetime | None
    days_since: int | None      # whole days since the last submission, in Vietnam
    resubmitted: bool           # submitted more than once (the reviewer reads what changed)
    late: bool                  # first submitted after the end of that due date
    obligation: str = ""        # the obligation's name ("" : the period's own date)


@dataclass
class Worklist:
    """The reports at the units the caller reviews, with the filters chosen."""

    rows: list[WorklistRow]
    status: str
    child_id: int | None
    children: list[Unit]               # the filter's choices: the reviewing units' children
    counts: dict[str, int]             # status -> reports in it (the filter's badges)
    reviewing: bool                    # does the caller review any unit?
    statuses: tuple[str, ...] = WORKLIST_STATUSES


def waiting_count(reach: Reach) -> int:
    """How many reports wait for the caller (the header's badge): one query."""
    roots = reviewing_units(reach)
    if not roots:
        return 0
    return db.session.scalar(select(func.count(UnitReport.id)).where(
        UnitReport.status == ReportStatus.SUBMITTED.value,
        UnitReport.unit_id.in_(_strictly_below(roots)))) or 0


def waiting_below(unit_ids: list[int]) -> dict[int, int]:
    """unit id -> how many submitted reports wait strictly below it (one query)."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        select(UnitClosure.ancestor_id, func.count(UnitReport.id))
        .join(UnitReport, UnitReport.unit_id == UnitClosure.descendant_id)
        .where(UnitClosure.ancestor_id.in_(unit_ids), UnitClosure.depth > 0,
               UnitReport.status == ReportStatus.SUBMITTED.value)
        .group_by(UnitClosure.ancestor_id)).tuples().all()
    return dict(rows)


def worklist(reach: Reach, status: str | None, child_id: int | None) -> Worklist:
    """The worklist: ``status`` one of WORKLIST_STATUSES (else submitted), ``child_id`` a
    child of a reviewing unit (else every branch); oldest submission first."""
    status = status if status in WORKLIST_STATUSES else ReportStatus.SUBMITTED.value
    roots = reviewing_units(reach)
    if not roots:
        return Worklist(rows=[], status=status, child_id=None, children=[], counts={},
                        reviewing=False)
    kids = list(db.session.scalars(select(Unit).where(Unit.parent_id.in_(roots))
                                   .order_by(*natural_order())))
    if child_id not in {k.id for k in kids}:
        child_id = None
    scope = UnitReport.unit_id.in_(_strictly_below(roots))
    branch = UnitReport.unit_id.in_(_in_branch(child_id)) if child_id else true()
    counts = dict(db.session.execute(
        select(UnitReport.status, func.count(UnitReport.id))
        .where(scope, branch, UnitReport.status.in_(WORKLIST_STATUSES))
        .group_by(UnitReport.status)).tuples().all())
    return Worklist(rows=_rows(scope, branch, status), status=status, child_id=child_id,
                    children=kids, counts=counts, reviewing=True)


def _rows(scope: ColumnElement[bool], branch: ColumnElement[bool],
          status: str) -> list[WorklistRow]:
    submissions = (select(ReportSubmission.report_id,
                          func.count(ReportSubmission.id).label("times"))
                   .group_by(ReportSubmission.report_id).subquery("times"))
    today = clock.today()
    rows = db.session.execute(
        select(UnitReport.id, UnitReport.status, UnitReport.submitted_at,
               UnitReport.first_submitted_at, Unit.code, Unit.name, Unit.kind,
               ReportingPeriod.year, ReportingPeriod.due_date,
               ReportingPeriod.id.label("period_id"), ReportingPeriod.framework_id,
               Framework.name.label("fw"), submissions.c.times)
        .join(Unit, Unit.id == UnitReport.unit_id)
        .join(ReportingPeriod, ReportingPeriod.id == UnitReport.period_id)
        .join(Framework, Framework.id == ReportingPeriod.framework_id)
        .outerjoin(submissions, submissions.c.report_id == UnitReport.id)
        .where(scope, branch, UnitReport.status == status)
        .order_by(UnitReport.submitted_at.is_(None), UnitReport.submitted_at, UnitReport.id)
        .limit(SHOWN)).all()
    obligations = dues_by_framework(r.framework_id for r in rows)
    out = []
    for r in rows:
        due, obligation = listed_due(obligations.get(r.framework_id, []), r.kind,
                                     r.period_id, r.due_date)
        out.append(WorklistRow(
            report_id=r.id, status=r.status, unit_code=r.code, unit_name=r.name,
            unit_kind=r.kind, year=r.year, framework=r.fw, due_date=due,
            submitted_at=r.submitted_at,
            days_since=(today - clock.local(r.submitted_at).date()).days
            if r.submitted_at else None,
            resubmitted=(r.times or 0) > 1,
            late=submitted_late(r.first_submitted_at or r.submitted_at, due),
            obligation=obligation))
    return out


def submitted_late(first_submitted: datetime | None, due: date) -> bool:
    """Was the report first submitted after the end of its due date (Vietnam time)?"""
    return first_submitted is not None and clock.local(first_submitted) > due_moment(due)


# ---- the statuses of the units below -------------------------------------------------


@dataclass(frozen=True)
class UnitStatus:
    """A unit and where its report for a period stands (NOT_STARTED without one)."""

    unit_id: int
    code: str
    name: str
    kind: str
    parent_name: str
    status: str
    report_id: int | None
    submitted_at: datetime | None


def _statuses(units: Select, period_id: int) -> list[UnitStatus]:
    parent = aliased(Unit)
    found = units.subquery("units")
    rows = db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.kind, parent.name.label("parent"),
               UnitReport.id.label("report_id"), UnitReport.status, UnitReport.submitted_at)
        .outerjoin(parent, parent.id == Unit.parent_id)
        .outerjoin(UnitReport, and_(UnitReport.unit_id == Unit.id,
                                    UnitReport.period_id == period_id))
        .where(Unit.id.in_(select(found.c.id)))
        .order_by(*natural_order(), Unit.id)).all()
    return [UnitStatus(unit_id=r.id, code=r.code, name=r.name, kind=r.kind,
                       parent_name=r.parent or "", status=r.status or NOT_STARTED,
                       report_id=r.report_id, submitted_at=r.submitted_at) for r in rows]


def children_statuses(unit: Unit, period: ReportingPeriod) -> list[UnitStatus]:
    """The units directly below ``unit`` and their report for ``period`` (one query)."""
    return _statuses(select(Unit.id).where(Unit.parent_id == unit.id), period.id)


# ---- the units that have not reported --------------------------------------------------


def reporting_kinds(period: ReportingPeriod) -> set[str]:
    """The unit kinds the period's plan expects reports from: those its reporting
    obligations name (the default one: the kinds its published indicators are reported
    by)."""
    framework = db.session.get_one(Framework, period.framework_id)
    if framework.published() is None:
        return set()
    return expected_kinds(terms_of(framework))


def expected_below(root: Unit, period: ReportingPeriod) -> set[int]:
    """The units below ``root`` expected to report for ``period``."""
    kinds = reporting_kinds(period)
    return {u for u, kind in active_units(root.id, period.cutoff_date).items()
            if kind in kinds}


def not_reported(root: Unit, period: ReportingPeriod) -> list[UnitStatus]:
    """The expected units below ``root`` whose report for ``period`` is not submitted or
    accepted, with where it stands, level by level (departments, districts, communes)."""
    expected = expected_below(root, period)
    if not expected:
        return []
    counted = select(UnitReport.unit_id).where(UnitReport.period_id == period.id,
                                                UnitReport.status.in_(COUNTED))
    rows = _statuses(select(Unit.id).where(Unit.id.in_(expected), Unit.id.not_in(counted)),
                     period.id)
    return in_natural_order(rows, lambda r: (r.code, r.name, r.kind))


# ---- the period a page is about --------------------------------------------------------


def periods_seen(unit: Unit) -> list[ReportingPeriod]:
    """The reporting periods of the plans ``unit`` sees (its own and those above), newest
    year first."""
    frameworks = visible_frameworks(unit)
    return list(db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id.in_([f.id for f in frameworks]))
        .order_by(ReportingPeriod.year.desc(), ReportingPeriod.id)))


def period_for_below(unit: Unit, period_id: int | None) -> ReportingPeriod | None:
    """The period a page about the units below ``unit`` shows: the one asked for, if the
    unit sees its plan; else the one of this year the unit itself works in (the province's
    plan, for a district and its communes); else the newest."""
    period = chosen_period(unit, period_id) or reporting_period(unit, clock.today().year)
    if period is None:
        newest = periods_seen(unit)
        period = newest[0] if newest else None
    return period
