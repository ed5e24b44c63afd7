"""What the home page, the unit page and the API's unit reads show: typed read-models.

A view loads its unit through the guard (``unit_or_404``), and renders one of these
(``render_template(…, **vars(page))``) or serializes it; it runs no query of its own.
The selects here are scoped by the tenant guard exactly as the views' own were: a unit
outside the caller's reach is not returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkNode, FrameworkVersion
from portal.frameworks.service import duties_of
from portal.plans.plan import PlanRevision, RevisionStatus, UnitPlan
from portal.todo import TodoItem, todo_lists
from tenants.access import Reach
from tenants.lineage import UnitLineage
from tenants.membership import Role
from tenants.ordering import natural_order
from tenants.tree import ancestors, children, descendant_counts
from tenants.unit import Unit, UnitClosure


def home_units(reach: Reach) -> list[Unit]:
    """The units home lists: the roots for a platform admin, else the caller's own units."""
    if reach.platform_admin:
        return list(db.session.scalars(
            select(Unit).where(Unit.parent_id.is_(None)).order_by(*natural_order())))
    return list(db.session.scalars(
        select(Unit).where(Unit.id.in_(list(reach.roles))).order_by(*natural_order())))


@dataclass
class UnitPage:
    """One unit: its place in the tree, its children, its duties, the caller's roles there."""

    unit: Unit
    trail: list[tuple[str, str, int]]          # (code, name, id) from the root down
    visible_ancestors: set[int]                # the trail's units the caller may open
    reads_subtree: bool
    children: list[Unit]                       # empty unless the caller reads the subtree
    closed_children: list[Unit]                # those closed by today (a reorganization)
    duties: list[tuple[Framework, FrameworkVersion, FrameworkNode]]
    counts: dict[int, int]                     # child id -> units below it
    roles: list[Role]
    can_write: bool
    todo: list[TodoItem]                       # what to do now there (portal.todo)
    # units merged into this one by a reorganization, and their plans, the caller may see
    predecessor_plans: list[PredecessorPlan]
    successors: list[tuple[Unit, date]]        # what this closed unit became, and when


@dataclass(frozen=True)
class PredecessorPlan:
    """A plan of a unit merged into this one: the old unit, the plan, its last revision."""

    unit: Unit
    effective_on: date                         # the day the old unit was merged
    plan: UnitPlan
    latest: PlanRevision
    issued: PlanRevision | None                # the revision in force when it closed


def predecessor_plans(unit: Unit) -> list[PredecessorPlan]:
    """The plans of the units merged into ``unit`` (directly or through earlier
    reorganizations) that the caller may read — the guard and row-level security decide,
    as for any plan: those who read the successor's subtree read what was merged into it."""
    rows = db.session.execute(
        select(Unit, UnitLineage.effective_on, UnitPlan)
        .join(UnitLineage, UnitLineage.predecessor_id == Unit.id)
        .join(UnitPlan, UnitPlan.unit_id == Unit.id)
        .where(UnitLineage.successor_id == unit.id)
        .order_by(*natural_order(), UnitPlan.id)).all()
    out = []
    for old, effective_on, plan in rows:
        issued = [r for r in plan.revisions if r.status == RevisionStatus.ISSUED.value]
        out.append(PredecessorPlan(unit=old, effective_on=effective_on, plan=plan,
                                   latest=plan.revisions[-1],
                                   issued=issued[-1] if issued else None))
    return out


def successors_of(unit: Unit) -> list[tuple[Unit, date]]:
    """The units a closed unit was merged into (direct links), those the caller may see."""
    return [(u, day) for u, day in db.session.execute(
        select(Unit, UnitLineage.effective_on)
        .join(UnitLineage, UnitLineage.successor_id == Unit.id)
        .where(UnitLineage.predecessor_id == unit.id, UnitLineage.direct.is_(True))
        .order_by(*natural_order())).all()]


def unit_page(unit: Unit, reach: Reach) -> UnitPage:
    trail = ancestors(unit)
    visible = set(db.session.scalars(
        select(Unit.id).where(Unit.id.in_([uid for _c, _n, uid in trail]))))
    reads_subtree = reach.reads_subtree_of(unit.id)
    kids = children(unit) if reads_subtree else []
    today = clock.today()
    closed = [k for k in kids if k.valid_to is not None and k.valid_to <= today]
    kids = [k for k in kids if k not in closed]
    return UnitPage(unit=unit, trail=trail, visible_ancestors=visible,
                    reads_subtree=reads_subtree, children=kids, closed_children=closed,
                    duties=duties_of(unit),
                    counts=descendant_counts(k.id for k in kids),
                    roles=sorted(reach.roles_in(unit.id)), can_write=reach.can_write(unit.id),
                    todo=todo_lists([unit], reach)[unit.id],
                    predecessor_plans=predecessor_plans(unit), successors=successors_of(unit))


def unit_codes(unit_ids: list[int]) -> dict[int, str]:
    """id -> code of those of ``unit_ids`` the caller may see."""
    return {uid: code for uid, code in db.session.execute(
        select(Unit.id, Unit.code).where(Unit.id.in_(unit_ids)))}


@dataclass(frozen=True)
class SubtreeUnit:
    """One unit of a subtree listing."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None


def subtree_of(root: Unit) -> list[SubtreeUnit]:
    """``root`` and every unit below it the caller may see, level by level, in the natural
    order (``tenants.ordering``)."""
    rows = db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id)
        .join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == root.id)
        .order_by(UnitClosure.depth, *natural_order())).all()
    return [SubtreeUnit(id=r.id, code=r.code, name=r.name, kind=r.kind,
                        parent_id=r.parent_id) for r in rows]
