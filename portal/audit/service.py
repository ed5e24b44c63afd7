"""Reading the audit log: a unit's subtree or one object, filtered, a page at a time,
and as a CSV file. Everything goes through the caller's scope."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, and_, func, select

from portal import clock
from portal.audit.entry import AuditEntry
from portal.export_cells import csv_row
from portal.extensions import db
from tenants.unit import Unit, UnitClosure

PAGE_SIZE = 100
_RECORDED_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?")


def shown_value(value: object) -> object:
    """A recorded value as a person reads it: the log keeps times and dates as ISO text
    (UTC), a person reads them in Vietnam time, dd/mm/yyyy HH:MM; the rest as it is."""
    if isinstance(value, str) and _RECORDED_TIME.fullmatch(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return clock.shown(moment if "T" in value else moment.date())
    return value


def shown_values(values: dict | None) -> dict | None:
    return None if values is None else {k: shown_value(v) for k, v in values.items()}


@dataclass
class AuditFilter:
    object_type: str = ""
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None
    problems: dict[str, str] = field(default_factory=dict)


# The days a filter may name: far enough for any entry, near enough for every time zone
# conversion (01/01/0001 in Vietnam time is before the first instant a datetime holds).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def check_filter(wanted: AuditFilter) -> None:
    """Add the filter's problems: a day outside what the log can be searched for, or a
    period that ends before it starts."""
    from flask_babel import gettext as _

    for name in ("since", "until"):
        day = getattr(wanted, name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            wanted.problems[name] = _("Choose a day between %(first)s and %(last)s.",
                                      first=FIRST_DAY.strftime("%d/%m/%Y"),
                                      last=LAST_DAY.strftime("%d/%m/%Y"))
            setattr(wanted, name, None)
    if wanted.since and wanted.until and wanted.since > wanted.until:
        wanted.problems["until"] = _("The period ends before it starts.")


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
    """The object's history, each change once (an account's change is written to the log
    of every unit the account is in, so the caller may see several copies of it)."""
    entries, seen = [], set()
    for entry in db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.at, AuditEntry.id)):
        key = (entry.at, entry.action, entry.user_id, entry.request_id,
               repr(entry.before), repr(entry.after))
        if key not in seen:
            seen.add(key)
            entries.append(entry)
    return entries


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
            entry.id, clock.shown(entry.at), entry.unit_id, entry.actor, entry.object_type,
            entry.object_id, entry.action, entry.label,
            json.dumps(shown_values(entry.before), ensure_ascii=False) if entry.before else "",
            json.dumps(shown_values(entry.after), ensure_ascii=False) if entry.after else "",
            entry.request_id]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
