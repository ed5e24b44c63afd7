"""Rules of reporting: which period a unit reports in, and who may take which transition.

The web pages and the API ask these; neither decides on its own.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.service import visible_frameworks
from portal.reports.report import ACTION_FROM, ReportAction, UnitReport
from portal.review import reviews
from tenants.access import Reach
from tenants.membership import CONSOLIDATING_ROLES, Role
from tenants.unit import Unit


def reporting_period(unit: Unit, year: int, framework_id: int | None = None
                     ) -> ReportingPeriod | None:
    """The period of ``year`` the unit reports in; None if there is none.

    ``framework_id`` names the plan reported on. Otherwise: the period the unit already
    has a report for, else the plan of the highest unit above it (the province's plan,
    reported to DOST: a district's own plan does not replace it), and a unit's own plan
    last.
    """
    candidates = [f for f in visible_frameworks(unit)
                  if framework_id is None or f.id == framework_id]
    periods = db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id.in_([f.id for f in candidates]),
        ReportingPeriod.year == year)).all()
    if not periods:
        return None
    reported = set(db.session.scalars(select(UnitReport.period_id).where(
        UnitReport.unit_id == unit.id, UnitReport.period_id.in_([p.id for p in periods]))))
    rank = {f.id: i for i, f in enumerate(candidates)}  # nearest owner first
    own = {f.id for f in candidates if f.owner_unit_id == unit.id}
    return max(periods, key=lambda p: (p.id in reported, p.framework_id not in own,
                                       rank[p.framework_id]))


# Who takes each transition: "writer" — the unit's own drafters and heads; "head" — the
# unit's head alone (a drafter hands the report over, the head submits it or sends it
# back); "reviewer" — the level that receives the report (portal.review), never a role
# in the unit itself.
TRANSITIONS = {ReportAction.HAND_OVER.value: "writer", ReportAction.SEND_BACK.value: "head",
               ReportAction.SUBMIT.value: "head", ReportAction.RETURN.value: "reviewer",
               ReportAction.ACCEPT.value: "reviewer", ReportAction.REOPEN.value: "reviewer"}


def may_take(reach: Reach, unit_id: int, action: str) -> bool:
    """May the caller take ``action`` on the report of ``unit_id``? False for no action."""
    who = TRANSITIONS.get(action)
    if who == "writer":
        return reach.can_write(unit_id)
    if who == "head":
        return Role.HEAD in reach.roles_in(unit_id)
    if who == "reviewer":
        return reviews(reach, unit_id)
    return False


def offered_actions(reach: Reach, report: UnitReport, is_locked: bool) -> list[str]:
    """The actions the report's page offers the caller, in its status: those the caller
    may take and the status allows. A head submits what he drafted himself, so he is not
    offered to hand it to himself; past the lock date the unit has nothing to offer."""
    head = Role.HEAD in reach.roles_in(report.unit_id)
    return [action for action in TRANSITIONS
            if report.status in ACTION_FROM[ReportAction(action)]
            and may_take(reach, report.unit_id, action)
            and not (head and action == ReportAction.HAND_OVER)
            and not (is_locked and TRANSITIONS[action] != "reviewer")]


def chosen_period(unit: Unit, period_id: int | None) -> ReportingPeriod | None:
    """The period a form chose for the unit, if it is one of a plan the unit sees."""
    if period_id is None:
        return None
    period = db.session.get(ReportingPeriod, period_id)
    if period is None or period.framework_id not in {f.id for f in visible_frameworks(unit)}:
        return None
    return period


def report_of(unit: Unit, period: ReportingPeriod) -> UnitReport | None:
    """The unit's report for the period, if it has one yet."""
    return db.session.scalar(select(UnitReport).where(UnitReport.unit_id == unit.id,
                                                      UnitReport.period_id == period.id))


def may_consolidate(reach: Reach, unit_id: int) -> bool:
    """Consolidators and leaders of the unit or a unit above it consolidate its subtree."""
    return reach.holds_above(unit_id, CONSOLIDATING_ROLES)
