"""What a person has to do now in each of their units: the home page's short list (issue 16).

For the unit's writers and leaders: where this year's report stands ("còn 5 ngày", "quá
hạn 3 ngày", returned with the reviewer's reason, with the head, submitted, accepted) and
the plan ("chờ ban hành", none yet). For its reviewers: how many reports below it wait for
them. Each item names the page to act on (an endpoint and its arguments, for ``url_for``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.plans.plan import PlanRevision, RevisionStatus, UnitPlan
from portal.reports.obligations import due_for, terms_of
from portal.reports.report import ReportStatus, ReportTransition, UnitReport
from portal.reports.workflow import report_of, reporting_period
from portal.reports.worklist import waiting_below
from tenants.access import Reach
from tenants.membership import REVIEW_ROLES, WRITE_ROLES, Role
from tenants.unit import Unit

# Who is told where the unit's own report and plan stand.
OWN_WORK_ROLES = WRITE_ROLES | {Role.LEADER}


@dataclass(frozen=True)
class TodoItem:
    """One thing to do (or to know), and the page to do it on."""

    text: str
    endpoint: str
    args: dict = field(default_factory=dict)
    tone: str = "secondary"         # danger (late, returned), warning, info, success


def todo_lists(units: list[Unit], reach: Reach) -> dict[int, list[TodoItem]]:
    """unit id -> what to do there now, for each of ``units`` the caller holds a role in."""
    reviewing = [u.id for u in units if reach.roles_in(u.id) & REVIEW_ROLES]
    waiting = waiting_below(reviewing)
    lists: dict[int, list[TodoItem]] = {}
    for unit in units:
        items: list[TodoItem] = []
        if reach.roles_in(unit.id) & OWN_WORK_ROLES:
            items += own_work(unit, reach)
        if waiting.get(unit.id):
            items.append(TodoItem(_("%(n)d reports waiting for review", n=waiting[unit.id]),
                                  "review.worklist", {}, "warning"))
        lists[unit.id] = items
    return lists


def own_work(unit: Unit, reach: Reach) -> list[TodoItem]:
    """This year's report of the unit and its plan, for the plan it reports on."""
    period = reporting_period(unit, clock.today().year)
    if period is None:
        return []
    framework = db.session.get_one(Framework, period.framework_id)
    if framework.owner_unit_id == unit.id:
        return []   # its own plan: the units below report on it, not the unit itself
    report = report_of(unit, period)
    due = due_for(terms_of(framework), unit.kind, period)   # the unit's obligation's date
    items = [report_item(unit, period, report, Role.HEAD in reach.roles_in(unit.id), due)]
    plan = plan_item(unit, period)
    return items + ([plan] if plan else [])


def report_item(unit: Unit, period: ReportingPeriod, report: UnitReport | None,
                is_head: bool, due: date | None = None) -> TodoItem:
    """``due``: the due date of the unit's obligation (by default the period's)."""
    year = period.year
    due = due or period.due_date
    status = report.status if report else ReportStatus.DRAFT.value
    where: tuple[str, dict] = ("reports.show", {"report_id": report.id}) if report else \
        ("reports.index", {"code": unit.code})
    if status == ReportStatus.RETURNED:
        return TodoItem(_("%(year)d report returned: %(reason)s", year=year,
                          reason=last_reason(report, "return")), *where, "danger")
    if status == ReportStatus.REOPENED:
        return TodoItem(_("%(year)d report reopened for correction: %(reason)s", year=year,
                          reason=last_reason(report, "reopen")), *where, "danger")
    if status == ReportStatus.WITH_HEAD:
        text = _("%(year)d report with the unit head, waiting for you to submit it",
                 year=year) if is_head else \
            _("%(year)d report with the unit head, waiting to be submitted", year=year)
        return TodoItem(text, *where, "warning" if is_head else "info")
    if status == ReportStatus.SUBMITTED:
        return TodoItem(_("%(year)d report submitted, waiting for review", year=year),
                        *where, "info")
    if status == ReportStatus.ACCEPTED:
        return TodoItem(_("%(year)d report accepted", year=year), *where, "success")
    return TodoItem(deadline_text(year, (due - clock.today()).days), *where,
                    "danger" if due <= clock.today() else "warning")


def deadline_text(year: int, days_left: int) -> str:
    """"Báo cáo năm 2026: còn 5 ngày" / "hạn hôm nay" / "quá hạn 3 ngày"."""
    if days_left > 0:
        return _("%(year)d report: %(days)d day(s) left", year=year, days=days_left)
    if days_left == 0:
        return _("%(year)d report: due today", year=year)
    return _("%(year)d report: %(days)d day(s) overdue", year=year, days=-days_left)


def last_reason(report: UnitReport | None, action: str) -> str:
    """The reason given with the report's latest ``action`` (return, reopen)."""
    if report is None:
        return ""
    return db.session.scalar(
        select(ReportTransition.reason)
        .where(ReportTransition.report_id == report.id, ReportTransition.action == action)
        .order_by(ReportTransition.id.desc()).limit(1)) or ""


def plan_item(unit: Unit, period: ReportingPeriod) -> TodoItem | None:
    """The unit's plan for the plan it reports on: none yet, waiting to be issued, being
    drafted (never issued); nothing once it is issued."""
    plan_id = db.session.scalar(select(UnitPlan.id).where(
        UnitPlan.unit_id == unit.id, UnitPlan.framework_id == period.framework_id))
    if plan_id is None:
        return TodoItem(_("No plan yet"), "plans.index", {"code": unit.code}, "danger")
    statuses = set(db.session.scalars(select(PlanRevision.status).where(
        PlanRevision.plan_id == plan_id)))
    where: tuple[str, dict] = ("plans.show", {"plan_id": plan_id})
    if RevisionStatus.SUBMITTED.value in statuses:
        return TodoItem(_("Plan waiting to be issued"), *where, "warning")
    if not statuses & {RevisionStatus.ISSUED.value, RevisionStatus.SUPERSEDED.value}:
        return TodoItem(_("Plan being drafted, not issued yet"), *where, "warning")
    return None
