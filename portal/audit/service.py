"""Reading the audit log: a unit's subtree or one object, filtered, a page at a time,
and as a CSV file. Everything goes through the caller's scope."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, and_, func, select

from portal import clock
from portal.audit.entry import AuditEntry
from portal.export_cells import csv_row
from portal.extensions import db
from tenants.unit import Unit, UnitClosure

PAGE_SIZE = 100


@dataclass
class AuditFilter:
    object_type: str = ""
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None
    problems: dict[str, str] = field(default_factory=dict)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.LOCAL).astimezone(UTC)


def unit_entries(unit: Unit, wanted: AuditFilter) -> Select:
    """The entries of ``unit`` and every unit below it, newest first."""
    statement = (select(AuditEntry)
                 .join(UnitClosure, and_(UnitClosure.descendant_id == AuditEntry.unit_id,
                                         UnitClosure.ancestor_id == unit.id)))
    if wanted.object_type:
        statement = statement.where(AuditEntry.object_type == wanted.object_type)
    if wanted.action:
        statement = statement.where(AuditEntry.action == wanted.action)
    if wanted.actor:
        statement = statement.where(AuditEntry.actor.contains(wanted.actor.strip().lower(),
                                                              autoescape=True))
    if wanted.since:
        statement = statement.where(AuditEntry.at >= _start_of(wanted.since))
    if wanted.until:
        statement = statement.where(AuditEntry.at < _start_of(wanted.until + timedelta(days=1)))
    return statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def object_entries(object_type: str, object_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.at, AuditEntry.id)))


def page_of(statement: Select, page: int) -> tuple[list[AuditEntry], int]:
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = list(db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return rows, total


def as_csv(statement: Select) -> bytes:
    """Every entry the statement selects, as CSV in UTF-8 with a BOM (Excel opens it)."""
    import json

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "unit_id", "actor", "object_type", "object_id", "action",
                     "label", "before", "after", "request_id"])
    for entry in db.session.scalars(statement.execution_options(yield_per=500)):
        writer.writerow(csv_row([
            entry.id, entry.at.isoformat(), entry.unit_id, entry.actor, entry.object_type,
            entry.object_id, entry.action, entry.label,
            json.dumps(entry.before, ensure_ascii=False) if entry.before else "",
            json.dumps(entry.after, ensure_ascii=False) if entry.after else "",
            entry.request_id]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
