"""The unit tree: adding units, importing official lists, reading subtrees.

Operations only flush; the caller (a request or a CLI command) commits once.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from portal.extensions import db
from portal.problems import DomainError
from tenants.ordering import natural_key, natural_order
from tenants.scoping import system_scope
from tenants.text import nfc, search_key
from tenants.unit import KIND_BY_ADMIN_TYPE, Unit, UnitClosure, UnitKind

CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")
NAME_MAX = 255
CSV_COLUMNS = ("code", "name", "type", "level", "parent_code")


class TreeError(DomainError):
    """Bad input for the tree; every problem names its row or field."""


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    created_codes: list[str] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    code: str
    name: str
    kind: str
    admin_type: str | None
    parent_code: str | None


def check_code(code: str) -> str | None:
    """A problem with ``code``, or None."""
    if not code:
        return _("the code is empty")
    if not CODE_PATTERN.match(code):
        return _("code %(code)s may hold only letters, digits, dot, dash and underscore "
                 "(at most 32 characters)", code=code[:40])
    return None


def check_name(name: str) -> str | None:
    if not name:
        return _("the name is empty")
    if len(name) > NAME_MAX:
        return _("the name is %(n)d characters long; at most %(max)d are allowed",
                 n=len(name), max=NAME_MAX)
    return None


def ancestors(unit: Unit) -> list[tuple[str, str, int]]:
    """(code, name, unit id) of every ancestor, from the root down, for a breadcrumb.

    Names of the units above are public; whether the caller may open them is the
    caller's scope's business, so this read is a named system-scope read.
    """
    with system_scope("breadcrumb: names of a visible unit's ancestors"):
        rows = db.session.execute(
            select(Unit.code, Unit.name, Unit.id)
            .join(UnitClosure, UnitClosure.ancestor_id == Unit.id)
            .where(UnitClosure.descendant_id == unit.id, UnitClosure.depth > 0)
            .order_by(UnitClosure.depth.desc())).all()
    return [tuple(r) for r in rows]


def unit_labels(unit_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """id -> (code, name) of units that visible rows name (a framework's owner, the units a
    plan assigns duties to). Codes and names are public; this reads nothing else."""
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    with system_scope("codes and names of units named by visible rows"):
        rows = db.session.execute(
            select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(ids))).all()
    return {uid: (code, name) for uid, code, name in rows}


def natural_keys(codes: Iterable[str]) -> dict[str, tuple]:
    """code -> natural sort key (``tenants.ordering``) of the units a visible row names by
    code (a snapshot's units); codes, names and kinds are public, as for ``unit_labels``."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    with system_scope("codes, names and kinds of units named by visible rows, to order them"):
        rows = db.session.execute(
            select(Unit.code, Unit.name, Unit.kind).where(Unit.code.in_(wanted))).all()
    return {code: natural_key(code, name, kind) for code, name, kind in rows}


def children(unit: Unit) -> list[Unit]:
    return list(db.session.scalars(
        select(Unit).where(Unit.parent_id == unit.id).order_by(*natural_order())))


def descendant_counts(unit_ids: Iterable[int]) -> dict[int, int]:
    """How many units lie below each of ``unit_ids`` (one query)."""
    ids = list(unit_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(UnitClosure.ancestor_id, func.count())
        .where(UnitClosure.ancestor_id.in_(ids), UnitClosure.depth > 0)
        .group_by(UnitClosure.ancestor_id)).all()
    counts = dict.fromkeys(ids, 0)
    counts.update({a: n for a, n in rows})
    return counts


def search_subtree(root: Unit, query: str, limit: int = 30) -> list[Unit]:
    """Units below ``root`` whose name or code matches, however the query is accented."""
    key = search_key(query)
    if not key:
        return []
    pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(db.session.scalars(
        select(Unit)
        .join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == root.id, UnitClosure.depth > 0)
        .where((Unit.search_name.like(pattern, escape="\\")) | (Unit.code == query.strip()))
        .order_by(UnitClosure.depth, *natural_order())
        .limit(limit)))


def add_unit(code: str, name: str, kind: str, parent_code: str | None,
             valid_from: date | None = None, valid_to: date | None = None,
             admin_type: str | None = None) -> Unit:
    """Add one unit under a parent the current scope may see."""
    code = code.strip()
    name = nfc(name)
    problems = [p for p in (check_code(code), check_name(name)) if p]
    if kind not in {k.value for k in UnitKind}:
        problems.append(_("unknown kind %(kind)s; use one of: %(kinds)s", kind=kind,
                          kinds=", ".join(k.value for k in UnitKind)))
    if valid_from and valid_to and valid_to < valid_from:
        problems.append(_("the end of validity precedes its start"))
    parent = None
    if parent_code:
        parent = db.session.scalar(select(Unit).where(Unit.code == parent_code.strip()))
        if parent is None:
            problems.append(_("parent unit %(code)s does not exist", code=parent_code))
    if not problems and _codes_in_use([code]):
        problems.append(_("code %(code)s is already in use", code=code))
    if problems:
        raise TreeError(problems)
    # parent_id as well as parent: the guard checks the new row's parent before the flush
    # would fill it in (a tenant administrator adds units inside their own subtree only).
    unit = Unit(code=code, name=name, search_name=search_key(name), kind=kind,
                admin_type=admin_type, parent=parent, parent_id=parent.id if parent else None,
                valid_from=valid_from, valid_to=valid_to)
    db.session.add(unit)
    db.session.flush()
    _insert_closure({unit.id: parent.id if parent else None})
    return unit


@dataclass(frozen=True)
class _Taken:
    id: int
    name: str
    parent_id: int | None


def _codes_in_use(codes: list[str]) -> dict[str, _Taken]:
    """The units already holding any of ``codes``, anywhere (codes are global)."""
    found: dict[str, _Taken] = {}
    with system_scope("unit codes are unique across the installation"):
        for start in range(0, len(codes), 900):
            chunk = codes[start:start + 900]
            for uid, code, name, parent_id in db.session.execute(
                    select(Unit.id, Unit.code, Unit.name, Unit.parent_id)
                    .where(Unit.code.in_(chunk))):
                found[code] = _Taken(uid, name, parent_id)
    return found


def _insert_closure(parent_of: dict[int, int | None]) -> None:
    """Closure rows for new units, given each one's parent (parents first or existing)."""
    existing_parents = {p for p in parent_of.values() if p is not None and p not in parent_of}
    chains: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for start in range(0, len(existing_parents), 900):
        chunk = sorted(existing_parents)[start:start + 900]
        for anc, desc, depth in db.session.execute(
                select(UnitClosure.ancestor_id, UnitClosure.descendant_id, UnitClosure.depth)
                .where(UnitClosure.descendant_id.in_(chunk))):
            chains[desc].append((anc, depth))
    rows = []
    for unit_id, parent_id in parent_of.items():  # dict order: parents before children
        own = [(unit_id, 0)]
        if parent_id is not None:
            own += [(anc, depth + 1) for anc, depth in chains[parent_id]]
        chains[unit_id] = own
        rows += [{"ancestor_id": a, "descendant_id": unit_id, "depth": d} for a, d in own]
    if rows:
        db.session.execute(insert(UnitClosure), rows)


def read_unit_csv(data: bytes) -> list[dict[str, str]]:
    """Rows of a unit list in the format of shared/data; UTF-8, with or without BOM."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TreeError([_("the file is not UTF-8 text (byte %(pos)d cannot be read); "
                           "save it as CSV UTF-8 and try again", pos=exc.start)]) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""), restval="")
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise TreeError([_("the file cannot be read as CSV (%(problem)s)",
                           problem=str(exc))]) from exc
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise TreeError([_("the file lacks the columns: %(cols)s (expected: %(all)s)",
                           cols=", ".join(missing), all=",".join(CSV_COLUMNS))])
    reader.fieldnames = header
    try:
        # (a row longer than the header keeps its extra cells under None: reported later)
        return list(reader)
    except csv.Error as exc:
        raise TreeError([_("the file cannot be read as CSV (line %(line)d: %(problem)s)",
                           line=reader.line_num, problem=str(exc))]) from exc


def _parse_rows(raw: list[dict[str, str]], problems: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(raw):
        line = index + 2  # the header is line 1
        if None in record:
            problems.append(_("row %(line)d: more fields than columns", line=line))
            continue
        code = (record.get("code") or "").strip()
        name = nfc(record.get("name") or "")
        admin_type = nfc(record.get("type") or "").lower()
        parent_code = (record.get("parent_code") or "").strip() or None
        level = (record.get("level") or "").strip()
        row_problems = [p for p in (check_code(code), check_name(name)) if p]
        kind = KIND_BY_ADMIN_TYPE.get(admin_type)
        if kind is None:
            row_problems.append(_("unknown type %(type)s", type=admin_type or "∅"))
        if level and not level.isdigit():
            row_problems.append(_("level %(level)s is not a whole number", level=level))
        if code and code in seen:
            row_problems.append(_("code %(code)s repeats row %(first)d",
                                  code=code, first=seen[code]))
        if parent_code and parent_code == code:
            row_problems.append(_("the unit is its own parent"))
        for problem in row_problems:
            problems.append(_("row %(line)d: %(problem)s", line=line, problem=problem))
        if row_problems:
            continue
        seen[code] = line
        rows.append(_Row(line, code, name, kind.value, admin_type, parent_code))  # type: ignore[union-attr]  # no kind: skipped above
    return rows


def _only_subtree(rows: list[_Row], root_code: str) -> list[_Row]:
    by_parent: dict[str | None, list[_Row]] = defaultdict(list)
    for row in rows:
        by_parent[row.parent_code].append(row)
    chosen = [r for r in rows if r.code == root_code]
    frontier = list(chosen)
    while frontier:
        frontier = [c for r in frontier for c in by_parent[r.code]]
        chosen += frontier
    return chosen


def import_units(raw: list[dict[str, str]], under: str | None = None,
                 only: str | None = None, valid_from: date | None = None,
                 valid_to: date | None = None) -> ImportResult:
    """Import units, all or nothing: every problem is reported and nothing is written.

    ``under`` attaches the file's top-level rows to an existing unit; ``only`` keeps
    just one unit of the file and everything below it. A code that already exists
    with the same name and parent is left as it is, so an import can be repeated.
    """
    problems: list[str] = []
    rows = _parse_rows(raw, problems)
    if only:
        rows = _only_subtree(rows, only)
        if not rows and not problems:
            problems.append(_("code %(code)s is not in the file", code=only))
    under_unit = None
    if under:
        under_unit = db.session.scalar(select(Unit).where(Unit.code == under))
        if under_unit is None:
            problems.append(_("unit %(code)s (--under) does not exist", code=under))
    if only:
        for row in rows:
            if row.code == only:
                row.parent_code = None  # the chosen root hangs under --under, or nowhere
    for row in rows:
        if row.parent_code is None and under:
            row.parent_code = under

    taken = _codes_in_use([r.code for r in rows])
    file_codes = {r.code for r in rows}
    outside_parents = sorted({r.parent_code for r in rows
                              if r.parent_code and r.parent_code not in file_codes})
    # Parents outside the file must exist and be visible to whoever imports.
    visible_parents = {u.code: u.id for u in db.session.scalars(
        select(Unit).where(Unit.code.in_(outside_parents)))} if outside_parents else {}
    parent_ids_by_code = dict(visible_parents)
    if under_unit is not None:
        parent_ids_by_code[under_unit.code] = under_unit.id

    result = ImportResult()
    new_rows: list[_Row] = []
    known_ids = parent_ids_by_code | {code: t.id for code, t in taken.items()}
    for row in rows:
        if row.parent_code and row.parent_code not in file_codes \
                and row.parent_code not in parent_ids_by_code:
            problems.append(_("row %(line)d: parent unit %(code)s is neither in the file "
                              "nor in the platform", line=row.line, code=row.parent_code))
            continue
        if row.code in taken:
            existing = taken[row.code]
            same_parent = existing.parent_id == (known_ids.get(row.parent_code)
                                                 if row.parent_code else None)
            if existing.name == row.name and same_parent:
                result.unchanged += 1
            else:
                problems.append(_("row %(line)d: code %(code)s already exists as %(name)s "
                                  "under another parent or with another name",
                                  line=row.line, code=row.code, name=existing.name))
            continue
        new_rows.append(row)

    ordered, cyclic = _parents_first(new_rows, file_codes)
    for row in cyclic:
        problems.append(_("row %(line)d: unit %(code)s is its own ancestor (a cycle of "
                          "parent codes)", line=row.line, code=row.code))
    if problems:
        raise TreeError(problems)

    # Every parent outside the file was loaded through the caller's scope above, so the
    # rows go only below units the caller sees; the bulk insert itself is a system write.
    with system_scope("bulk unit import, parents checked against the caller's scope"):
        _write_units(ordered, known_ids, valid_from, valid_to)
    result.created = len(ordered)
    result.created_codes = [r.code for r in ordered]
    return result


def _parents_first(rows: list[_Row], file_codes: set[str]) -> tuple[list[_Row], list[_Row]]:
    """Rows ordered so every parent precedes its children; rows on a cycle apart."""
    by_code = {r.code: r for r in rows}
    waiting: dict[str, list[_Row]] = defaultdict(list)
    ready = []
    for row in rows:
        if row.parent_code in by_code:
            waiting[row.parent_code].append(row)
        else:
            ready.append(row)
    ordered: list[_Row] = []
    while ready:
        ordered += ready
        ready = [child for row in ready for child in waiting.pop(row.code, [])]
    placed = {r.code for r in ordered}
    return ordered, [r for r in rows if r.code not in placed]


def _write_units(rows: list[_Row], known_ids: dict[str, int],
                 valid_from: date | None, valid_to: date | None) -> None:
    """Insert ``rows`` (parents first) level by level, then their closure rows."""
    ids = dict(known_ids)
    parent_of: dict[int, int | None] = {}
    level: list[_Row] = []
    pending = list(rows)
    while pending:
        level = [r for r in pending if r.parent_code is None or r.parent_code in ids]
        pending = [r for r in pending if not (r.parent_code is None or r.parent_code in ids)]
        if not level:
            raise RuntimeError("unit rows left whose parents were never written")
        for start in range(0, len(level), 2000):
            chunk = level[start:start + 2000]
            values = [{"code": r.code, "name": r.name, "search_name": search_key(r.name),
                       "kind": r.kind, "admin_type": r.admin_type,
                       "parent_id": ids.get(r.parent_code) if r.parent_code else None,
                       "valid_from": valid_from, "valid_to": valid_to} for r in chunk]
            returned = db.session.execute(
                insert(Unit).returning(Unit.id, Unit.code), values).tuples()
            ids.update({code: uid for uid, code in returned})
        for r in level:
            parent_of[ids[r.code]] = ids[r.parent_code] if r.parent_code else None
    _insert_closure(parent_of)
