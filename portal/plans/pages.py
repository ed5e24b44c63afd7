"""What the plan pages show: typed read-models, built here.

A view loads its plan through the guard, checks access, and renders one of these
(``render_template(…, **vars(page))``); it runs no query of its own. What the page
offers the caller follows the same rules as the actions (``portal.review``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal.accounts.user import User
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkNode, FrameworkVersion
from portal.frameworks.indicator import Indicator
from portal.frameworks.service import visible_frameworks
from portal.plans.coverage_export import coverage_workbook
from portal.plans.export import COMMITTEES, date_line, header_names
from portal.plans.history import PlanComment, PlanTransition
from portal.plans.plan import (
    SECTIONS,
    SIGNING_FORMULAS,
    PlanRevision,
    PlanTarget,
    PlanTask,
    UnitPlan,
)
from portal.plans.service import (
    PLAN_DOCUMENT,
    CoverageRow,
    RevisionDiff,
    coordinating_choices,
    coverage,
    diff,
    in_force,
    latest,
    task_values,
)
from portal.register import service as register
from portal.register.entry import RegisterEntry
from portal.review import reviews
from portal.titles import subject_after
from tenants.access import Reach
from tenants.membership import Membership, Role
from tenants.tree import unit_labels
from tenants.unit import Unit


@dataclass
class PlansIndex:
    """A unit's plans, and the published plans above it it may start one from."""

    unit: Unit
    plans: list[UnitPlan]
    frameworks: dict[int, Framework]
    startable: list[Framework]
    can_write: bool


def plans_index(unit: Unit, reach: Reach) -> PlansIndex:
    plans = list(db.session.scalars(select(UnitPlan).where(UnitPlan.unit_id == unit.id)))
    planned = {p.framework_id for p in plans}
    frameworks = {f.id: f for f in visible_frameworks(unit)}
    startable = [f for f in frameworks.values() if f.id not in planned
                 and f.owner_unit_id != unit.id and f.published() is not None]
    return PlansIndex(unit=unit, plans=plans, frameworks=frameworks, startable=startable,
                      can_write=reach.can_write(unit.id))


@dataclass
class PlanPage:
    """A plan's revision as its page shows it, with what the caller may do on it."""

    plan: UnitPlan
    revision: PlanRevision
    unit: Unit
    framework: Framework | None
    nodes: dict[int, FrameworkNode]
    indicators: dict[int, Indicator]
    comments: list[PlanComment]
    authors: dict[int, str]
    editable: bool
    sections: tuple[str, ...]
    formulas: tuple
    is_head: bool
    can_write: bool
    can_review: bool                                   # the level receiving the plan
    choices: list[tuple[int, str, str]]
    labels: dict[int, tuple[str, str]]
    task_values: Callable
    in_force: PlanRevision | None
    targets_by_indicator: dict[int, list[PlanTarget]]
    issue_values: dict[str, str]                       # what the head's issue form starts with
    next_notation: str                                 # "số sẽ cấp khi ban hành"
    entry: RegisterEntry | None                        # the revision's number in the register
    entry_links: dict[str, RegisterEntry | None]       # replaced by, replaces
    corrections: list[RegisterEntry]                   # its correction notices
    keeps_register: bool                               # may recall, correct, upload a scan


def plan_page(plan: UnitPlan, reach: Reach, revision: PlanRevision | None = None) -> PlanPage:
    revision = revision or latest(plan)
    nodes = {n.id: n for n in db.session.scalars(select(FrameworkNode).where(
        FrameworkNode.version_id == revision.framework_version_id))}
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == revision.framework_version_id))}
    comments = list(db.session.scalars(select(PlanComment).where(
        PlanComment.plan_id == plan.id).order_by(PlanComment.created_at)))
    authors = {u.id: u.full_name or u.username for u in db.session.scalars(
        select(User).where(User.id.in_({c.author_id for c in comments} - {None})))}
    editable = revision.editable and revision is latest(plan) and reach.can_write(plan.unit_id)
    coordinator_ids = {c.coordinating_unit_id for t in revision.task_rows
                       for c in t.coordinating}
    unit = db.session.get_one(Unit, plan.unit_id)
    is_head = Role.HEAD in reach.roles_in(plan.unit_id)
    entry = register.entry_of(PLAN_DOCUMENT, revision.id)
    return PlanPage(
        plan=plan, revision=revision, unit=unit,
        framework=db.session.scalar(select(Framework).where(Framework.id == plan.framework_id)),
        nodes=nodes, indicators=indicators, comments=comments, authors=authors,
        editable=editable, sections=SECTIONS, formulas=SIGNING_FORMULAS,
        is_head=is_head,
        can_write=reach.can_write(plan.unit_id), can_review=reviews(reach, plan.unit_id),
        choices=coordinating_choices(plan.unit_id) if editable else [],
        labels=unit_labels(coordinator_ids), task_values=task_values, in_force=in_force(plan),
        targets_by_indicator=_targets_by_indicator(revision),
        issue_values=issue_defaults(plan, revision, unit, reach.user_id) if is_head else {},
        next_notation=register.next_notation(unit, "KH") if is_head else "",
        entry=entry, entry_links=register.related(entry) if entry else {},
        corrections=register.corrections_of(entry) if entry else [],
        keeps_register=register.keeps_register(reach, plan.unit_id))


def issue_defaults(plan: UnitPlan, revision: PlanRevision, unit: Unit,
                   user_id: int | None) -> dict[str, str]:
    """The issue form as the head finds it: signed as the revision in force was, else as a
    people's committee ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH") or a department's director
    signs; the signer's name is the head issuing it (else the unit's head)."""
    before = in_force(plan)
    committee = unit.kind in COMMITTEES
    values = {"place": revision.place or "",
              "signing_formula": "TM." if committee else "",
              "signing_body": "ỦY BAN NHÂN DÂN" if committee else "",
              "signing_authority": "", "signer_title": "CHỦ TỊCH" if committee else "GIÁM ĐỐC",
              "signer_name": "", "recipients": revision.recipients or ""}
    if before is not None:
        values.update({name: getattr(before, name) or "" for name in (
            "signing_formula", "signing_body", "signing_authority", "signer_title",
            "signer_name")})
    values["signer_name"] = head_name(unit.id, user_id) or values["signer_name"]
    return values


def head_name(unit_id: int, user_id: int | None) -> str:
    """The full name of the unit's head: ``user_id`` if that user is one, else the head
    who has held the role longest; "" if the unit has no head with a name."""
    heads = db.session.execute(
        select(User.id, User.full_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, Membership.role == Role.HEAD.value,
               User.active.is_(True), User.full_name != "")
        .order_by(Membership.created_at, Membership.id)).all()
    return next((name for uid, name in heads if uid == user_id),
                heads[0].full_name if heads else "")


def _targets_by_indicator(revision: PlanRevision) -> dict[int, list[PlanTarget]]:
    out: dict[int, list[PlanTarget]] = {}
    for target in sorted(revision.target_rows, key=lambda t: (t.indicator_id, t.year)):
        out.setdefault(target.indicator_id, []).append(target)
    return out


def task_of(plan: UnitPlan, task_id: int) -> PlanTask | None:
    """A task of the plan's latest revision by id; None if not one."""
    return db.session.scalar(select(PlanTask).where(
        PlanTask.id == task_id, PlanTask.revision_id == latest(plan).id))


def target_of(plan: UnitPlan, target_id: int) -> PlanTarget | None:
    """A target of the plan's latest revision by id; None if not one."""
    return db.session.scalar(select(PlanTarget).where(
        PlanTarget.id == target_id, PlanTarget.revision_id == latest(plan).id))


def comment_of(plan: UnitPlan, comment_id: int) -> PlanComment | None:
    return db.session.scalar(select(PlanComment).where(
        PlanComment.id == comment_id, PlanComment.plan_id == plan.id))


@dataclass
class PlanHistory:
    """A plan's transitions, its revisions, and the difference between two of them."""

    plan: UnitPlan
    transitions: list[PlanTransition]
    users: dict[int, str]
    revisions: dict[int, PlanRevision]
    difference: RevisionDiff | None
    old: int | None
    new: int | None
    unit: Unit


def plan_history(plan: UnitPlan, old: int | None, new: int | None) -> PlanHistory | None:
    """The history page; None if ``old`` or ``new`` names no revision of the plan."""
    transitions = list(db.session.scalars(select(PlanTransition).where(
        PlanTransition.plan_id == plan.id).order_by(PlanTransition.id)))
    users = {u.id: u.full_name or u.username for u in db.session.scalars(
        select(User).where(User.id.in_({t.user_id for t in transitions} - {None})))}
    numbers = [r.number for r in plan.revisions]
    difference = None
    if old is not None and new is not None:
        if old not in numbers or new not in numbers:
            return None
        difference = diff(plan.revisions[numbers.index(old)],
                          plan.revisions[numbers.index(new)])
    return PlanHistory(plan=plan, transitions=transitions, users=users,
                       revisions={r.id: r for r in plan.revisions}, difference=difference,
                       old=old, new=new, unit=db.session.get_one(Unit, plan.unit_id))


@dataclass
class PlanPrint:
    """A revision laid out as the printed document."""

    plan: UnitPlan
    revision: PlanRevision
    unit: Unit
    body_name: str
    parent_name: str | None
    indicators: dict[int, Indicator]
    labels: dict[int, tuple[str, str]]
    date_text: str
    subject: str                                       # the title under "KẾ HOẠCH"
    framework_number: str | None                       # "Thực hiện Kế hoạch số …", if not in it


def plan_print(plan: UnitPlan, revision: PlanRevision) -> PlanPrint:
    unit = db.session.get_one(Unit, plan.unit_id)
    name, parent = header_names(unit)
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == revision.framework_version_id))}
    labels = unit_labels(c.coordinating_unit_id for t in revision.task_rows
                         for c in t.coordinating)
    issued_on: date | None = revision.issued_on
    subject = subject_after(revision.title)
    number = db.session.scalar(select(FrameworkVersion.doc_number).where(
        FrameworkVersion.id == revision.framework_version_id))
    return PlanPrint(plan=plan, revision=revision, unit=unit, body_name=name,
                     parent_name=parent, indicators=indicators, labels=labels,
                     date_text=date_line(revision.place or "", issued_on), subject=subject,
                     framework_number=number if number and number not in subject else None)


@dataclass
class CoveragePage:
    """Which units' plans cover each item of a framework, and who has no plan yet."""

    framework: Framework
    kind: str | None
    rows: list[CoverageRow]
    expected: list[int]
    without: list[int]
    labels: dict[int, tuple[str, str]]


def coverage_page(framework: Framework, kind: str | None) -> CoveragePage:
    rows, expected, without = coverage(framework, {kind} if kind else None)
    ids = set(expected) | {u for r in rows for u in r.implementing} | {
        u for r in rows for u, _reason in r.not_applicable}
    return CoveragePage(framework=framework, kind=kind, rows=rows, expected=expected,
                        without=without, labels=unit_labels(ids))


def coverage_file(page: CoveragePage) -> tuple[bytes, str]:
    """The coverage as an Excel workbook, and its file name."""
    kinds = dict(db.session.execute(select(Unit.id, Unit.kind).where(
        Unit.id.in_(page.without))).tuples().all()) if page.without else {}
    data = coverage_workbook(page.framework.name, page.rows, page.without, page.labels, kinds)
    return data, f"bao-phu-{page.framework.id}{'-' + page.kind if page.kind else ''}.xlsx"


def plans_of(unit: Unit) -> list[UnitPlan]:
    """The unit's plans, one per framework it implements, oldest first."""
    return list(db.session.scalars(select(UnitPlan).where(UnitPlan.unit_id == unit.id)
                                   .order_by(UnitPlan.id)))


@dataclass
class PlanReading:
    """A plan with every revision, and the names its tasks and targets refer to."""

    plan: UnitPlan
    paths: dict[int, str]                              # framework node id -> outline path
    codes: dict[int, str]                              # indicator id -> code
    labels: dict[int, tuple[str, str]]                 # unit id -> (code, name)
    in_force: PlanRevision | None


def plan_reading(plan: UnitPlan) -> PlanReading:
    revisions = plan.revisions
    node_ids = {t.framework_node_id for r in revisions for t in r.task_rows} - {None}
    paths = {i: p for i, p in db.session.execute(
        select(FrameworkNode.id, FrameworkNode.path).where(FrameworkNode.id.in_(node_ids)))}
    codes = {i: c for i, c in db.session.execute(select(Indicator.id, Indicator.code).where(
        Indicator.id.in_({t.indicator_id for r in revisions for t in r.target_rows})))}
    labels = unit_labels({plan.unit_id} | {c.coordinating_unit_id for r in revisions
                                           for t in r.task_rows for c in t.coordinating})
    return PlanReading(plan=plan, paths=paths, codes=codes, labels=labels,
                       in_force=in_force(plan))
