"""Reorganizations: apply a mapping of old units to new ones (communes merged, a level
removed, provinces merged) from an effective date, keeping every unit's history.

The mapping has the columns of ``shared/data/reorg-2025-07-hung-yen.csv``: ``old_code``,
``new_code``, ``new_name`` (the district columns are read if present, not needed). Every
old unit is closed at the effective date — never deleted, never moved, so the tree "as
it was" stays exact — and each new unit is created under the new parent from that date,
with a lineage link from each predecessor. A new unit that keeps a predecessor's code
takes the code; the closed predecessor keeps its history under ``CODE.YYYYMMDD`` (the
effective date). A unit above the old ones that is left with no active unit below it (a
district when the level is removed, a province merged into another) is closed too, with
a lineage link to the new parent.

Memberships of closed communes move to their successor (the same role, one level as
before); memberships of closed districts and provinces are not moved — a district
leader is not made a provincial one — and are listed for the administrator.

``plan`` checks everything and reports every problem; ``apply`` does it all in the
session (the caller commits, or rolls back for a dry run). Both are audited like any
change.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.plans.plan import UnitPlan
from portal.problems import DomainError
from portal.reports.aggregate import COUNTED
from portal.reports.report import UnitReport
from portal.spreadsheets import read_table
from tenants.lineage import Reorganization, UnitLineage
from tenants.membership import Membership
from tenants.text import nfc, search_key
from tenants.tree import add_unit, check_code, check_name
from tenants.unit import Unit, UnitClosure, UnitKind

ALIASES = {"old_code": "old_code", "new_code": "new_code", "new_name": "new_name",
           "mã cũ": "old_code", "mã mới": "new_code", "tên mới": "new_name"}
ADMIN_TYPES = ("đặc khu", "phường", "thị trấn", "xã")


class ReorganizationError(DomainError):
    """The mapping cannot be applied; every problem is listed and nothing changed."""


@dataclass
class Mapping:
    line: int
    old_code: str
    new_code: str
    new_name: str


@dataclass
class Summary:
    """What a reorganization changes (the dry run shows it; the record keeps it)."""

    created: list[str] = field(default_factory=list)        # "code name"
    closed: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)        # "old code -> kept as"
    closed_above: list[str] = field(default_factory=list)   # districts, provinces
    memberships_moved: list[str] = field(default_factory=list)
    memberships_flagged: list[str] = field(default_factory=list)
    reports_kept: int = 0
    plans_kept: int = 0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def read_mapping(filename: str, data: bytes) -> list[Mapping]:
    table = read_table(filename, data, ALIASES)
    missing = [c for c in ("old_code", "new_code", "new_name") if c not in table.header]
    if missing:
        raise ReorganizationError([_("The mapping lacks the columns: %(cols)s.",
                                     cols=", ".join(missing))])
    return [Mapping(line, values["old_code"], values["new_code"], nfc(values["new_name"]))
            for line, values in table.rows]


def check(mappings: list[Mapping], effective_on: date, parent_code: str) -> list[str]:
    """Every problem of the mapping against the tree, or none."""
    problems: list[str] = []
    parent = db.session.scalar(select(Unit).where(Unit.code == parent_code))
    if parent is None:
        return [_("There is no unit %(code)s to put the new units under.", code=parent_code)]
    if not mappings:
        return [_("The mapping has no rows.")]
    olds = {u.code: u for u in db.session.scalars(
        select(Unit).where(Unit.code.in_({m.old_code for m in mappings})))}
    seen = Counter(m.old_code for m in mappings)
    names: dict[str, set[str]] = defaultdict(set)
    for m in mappings:
        names[m.new_code].add(m.new_name)
    parent_line = set(db.session.scalars(select(UnitClosure.ancestor_id).where(
        UnitClosure.descendant_id == parent.id)))
    for m in mappings:
        where = _("line %(line)d", line=m.line)
        old = olds.get(m.old_code)
        if old is None:
            problems.append(_("%(where)s: old unit %(code)s is unknown", where=where,
                              code=m.old_code or "—"))
        elif not old.is_active_on(effective_on):
            problems.append(_("%(where)s: old unit %(code)s is not active on %(day)s",
                              where=where, code=m.old_code, day=effective_on.strftime(
                                  "%d/%m/%Y")))
        elif old.id in parent_line:
            problems.append(_("%(where)s: %(code)s is the new parent or above it: a unit "
                              "cannot be merged into its own descendant", where=where,
                              code=m.old_code))
        if seen[m.old_code] > 1:
            problems.append(_("%(where)s: old unit %(code)s is mapped %(n)d times", where=where,
                              code=m.old_code, n=seen[m.old_code]))
        for problem in (check_code(m.new_code), check_name(m.new_name)):
            if problem:
                problems.append(f"{where}: {problem}")
        if len(names[m.new_code]) > 1:
            problems.append(_("%(where)s: new unit %(code)s has several names: %(names)s",
                              where=where, code=m.new_code,
                              names=", ".join(sorted(names[m.new_code]))))
    # A new code held by a unit that is not being closed: the units are merged into that
    # existing unit, which must be open and already under the new parent.
    for existing in db.session.scalars(select(Unit).where(
            Unit.code.in_(set(names)), Unit.code.notin_(set(olds)))):
        if existing.parent_id != parent.id or not existing.is_active_on(effective_on):
            problems.append(_("new unit %(code)s: an existing unit can take others in only "
                              "if it is open and already under %(parent)s",
                              code=existing.code, parent=parent.code))
    # A cycle through earlier reorganizations: a new unit's code is a unit already merged
    # into one of the units being closed now.
    if olds:
        earlier = db.session.execute(
            select(Unit.code, UnitLineage.successor_id)
            .join(UnitLineage, UnitLineage.predecessor_id == Unit.id)
            .where(Unit.code.in_(set(names)),
                   UnitLineage.successor_id.in_([u.id for u in olds.values()]))).all()
        problems += [_("new unit %(code)s was merged earlier into a unit this mapping "
                       "closes: the lineage would go round in a circle", code=code)
                     for code, _successor in earlier]
    # Reports already sent for data after the effective date belong to the new units.
    late = db.session.execute(
        select(Unit.code, ReportingPeriod.year)
        .join(UnitReport, UnitReport.unit_id == Unit.id)
        .join(ReportingPeriod, ReportingPeriod.id == UnitReport.period_id)
        .where(Unit.id.in_([u.id for u in olds.values()]), UnitReport.status.in_(COUNTED),
               ReportingPeriod.cutoff_date >= effective_on)
        .order_by(Unit.code)).all()
    if late:
        problems.append(_("%(n)d old units already submitted reports with data after "
                          "%(day)s (for example %(code)s, %(year)d): choose a later "
                          "effective date, or return those reports first.", n=len(late),
                          day=effective_on.strftime("%d/%m/%Y"), code=late[0][0],
                          year=late[0][1]))
    return problems


def apply(mappings: list[Mapping], effective_on: date, parent_code: str, *,
          source: str = "", user_id: int | None = None) -> Summary:
    """Apply a checked mapping in the session (flush only); ``ReorganizationError`` if it
    has problems."""
    problems = check(mappings, effective_on, parent_code)
    if problems:
        raise ReorganizationError(problems)
    parent = db.session.scalar(select(Unit).where(Unit.code == parent_code))
    olds = {u.code: u for u in db.session.scalars(
        select(Unit).where(Unit.code.in_({m.old_code for m in mappings})))}
    summary = Summary()
    record = Reorganization(unit_id=parent.id, effective_on=effective_on, source=source[:255],
                            applied_at=clock.now(), applied_by_id=user_id, summary={})
    db.session.add(record)

    # 1. Close the old units; those whose code a new unit keeps take the date as suffix.
    suffix = effective_on.strftime("%Y%m%d")
    new_codes = {m.new_code for m in mappings}
    for old in olds.values():
        old.valid_to = effective_on
        summary.closed.append(f"{old.code} {old.name}")
        if old.code in new_codes:
            summary.renamed.append(f"{old.code} → {old.code}.{suffix}")
            old.code = f"{old.code}.{suffix}"
    db.session.flush()

    # 2. Create the new units under the new parent, from the effective date — or take the
    #    existing unit the mapping merges others into (renamed if the mapping says so).
    existing = {u.code: u for u in db.session.scalars(select(Unit).where(
        Unit.code.in_(new_codes), Unit.valid_to.is_(None), Unit.parent_id == parent.id))}
    for m in mappings:
        if m.new_code in existing and existing[m.new_code].name != m.new_name:
            unit = existing[m.new_code]
            unit.name, unit.search_name = m.new_name, search_key(m.new_name)
            summary.renamed.append(f"{unit.code}: {m.new_name}")
    successors: dict[str, Unit] = dict(existing)
    for m in mappings:
        if m.new_code in successors:
            continue
        name = m.new_name
        admin_type = next((t for t in ADMIN_TYPES if name.lower().startswith(t)), None)
        successors[m.new_code] = add_unit(m.new_code, name, UnitKind.COMMUNE.value,
                                          parent.code, valid_from=effective_on,
                                          admin_type=admin_type)
        summary.created.append(f"{m.new_code} {name}")

    # 3. Lineage, carried through earlier links (x -> old becomes x -> new as well).
    old_by_old_code = {m.old_code: olds[m.old_code] for m in mappings}
    successor_of = {old_by_old_code[m.old_code].id: successors[m.new_code].id
                    for m in mappings}
    _link(successor_of, effective_on, record)

    # 4. Units above left with nothing active below them are closed, linked to the parent.
    closed_above = _close_empty_ancestors(set(successor_of), parent, effective_on)
    _link({unit.id: parent.id for unit in closed_above}, effective_on, record)
    summary.closed_above = [f"{u.code} {u.name}" for u in closed_above]

    # 5. Memberships: communes' move to the successor; those above are listed.
    for membership in db.session.scalars(select(Membership).where(
            Membership.unit_id.in_(list(successor_of)))):
        target = successor_of[membership.unit_id]
        label = f"{membership.user.username}: {membership.role} @ {membership.unit.code}"
        duplicate = db.session.scalar(select(Membership.id).where(
            Membership.user_id == membership.user_id, Membership.unit_id == target,
            Membership.role == membership.role))
        if duplicate:
            db.session.delete(membership)
        else:
            membership.unit_id = target
        summary.memberships_moved.append(f"{label} → {db.session.get(Unit, target).code}")
    for membership in db.session.scalars(select(Membership).where(
            Membership.unit_id.in_([u.id for u in closed_above]))):
        summary.memberships_flagged.append(
            f"{membership.user.username}: {membership.role} @ {membership.unit.code}")

    closed_ids = list(successor_of) + [u.id for u in closed_above]
    summary.reports_kept = db.session.scalar(select(func.count(UnitReport.id)).where(
        UnitReport.unit_id.in_(closed_ids))) or 0
    summary.plans_kept = db.session.scalar(select(func.count(UnitPlan.id)).where(
        UnitPlan.unit_id.in_(closed_ids))) or 0
    record.summary = summary.as_dict()
    db.session.flush()
    return summary


def _link(successor_of: dict[int, int], effective_on: date, record: Reorganization) -> None:
    earlier = db.session.execute(select(UnitLineage.predecessor_id, UnitLineage.successor_id)
                                 .where(UnitLineage.successor_id.in_(list(successor_of)))).all()
    links = {(p, s, True) for p, s in successor_of.items()}
    links |= {(p, successor_of[s], False) for p, s in earlier}
    for predecessor, successor, direct in sorted(links):
        db.session.add(UnitLineage(predecessor_id=predecessor, successor_id=successor,
                                   effective_on=effective_on, reorganization_id=record.id,
                                   direct=direct))
    db.session.flush()


def _close_empty_ancestors(closed: set[int], parent: Unit, effective_on: date) -> list[Unit]:
    """Close, bottom-up, the units above the closed ones (not the new parent or its line)
    that have no unit below them active after the effective date."""
    keep = set(db.session.scalars(select(UnitClosure.ancestor_id).where(
        UnitClosure.descendant_id == parent.id)))
    candidates = db.session.execute(
        select(UnitClosure.ancestor_id, func.min(UnitClosure.depth))
        .where(UnitClosure.descendant_id.in_(list(closed)), UnitClosure.depth > 0,
               UnitClosure.ancestor_id.notin_(keep))
        .group_by(UnitClosure.ancestor_id)).all()
    result = []
    for unit_id, _depth in sorted(candidates, key=lambda c: c[1]):
        still_active = db.session.scalar(
            select(func.count(Unit.id))
            .join(UnitClosure, UnitClosure.descendant_id == Unit.id)
            .where(UnitClosure.ancestor_id == unit_id, UnitClosure.depth > 0,
                   Unit.valid_to.is_(None) | (Unit.valid_to > effective_on)))
        unit = db.session.get(Unit, unit_id)
        if not still_active and unit.is_active_on(effective_on):
            unit.valid_to = effective_on
            result.append(unit)
    db.session.flush()
    return result
