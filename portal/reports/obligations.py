"""Reporting obligations as the figures and the pages use them, and their rules.

- ``terms_of``: a framework's obligations resolved for its periods — the kinds of unit
  each one expects, its receiving unit, and its due date for each period (the period's
  own when the obligation gives none). A framework without stored obligations has one:
  the default (every kind its indicators are reported by, by the period's due date), so
  figures read the same with or without one.
- ``due_for``: the due date that applies to a unit of a kind, for a period.
- ``save_obligation``: add or change one, with every refusal in the reader's language.

The kinds of two obligations of a framework never overlap: a unit's report is keyed by
(unit, period), so it answers to exactly one obligation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, literal, select

from portal.dates import DateError, parse_date
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.problems import DomainError
from portal.reports.obligation import ObligationDue, ReportObligation
from tenants.unit import UNIT_KIND_LABELS, Unit, UnitClosure, UnitKind

# The default obligation's name: data, in the plan's language, like the plan's own texts.
DEFAULT_NAME = "Báo cáo hằng năm"
NAME_LENGTH = 200
# The kinds that can report under an obligation: every unit below an owner.
REPORTER_KINDS = tuple(k.value for k in UnitKind if k != UnitKind.NATION)


class ObligationError(DomainError):
    """An obligation refused."""


@dataclass(frozen=True)
class Terms:
    """One obligation, resolved: who reports (``kinds``), to whom, by which dates."""

    obligation_id: int | None           # None: the framework's implicit default
    name: str
    receiver_unit_id: int | None
    kinds: frozenset[str]
    dues: dict[int, date] = field(default_factory=dict)   # period id -> its own due date
    default: bool = False               # expects the kinds the indicators are reported by

    def due_for(self, period: ReportingPeriod) -> date:
        return self.dues.get(period.id, period.due_date)


def indicator_kinds(framework: Framework) -> set[str]:
    """The unit kinds the framework's published indicators are reported by."""
    version = framework.published()
    if version is None:
        return set()
    return {kind for value in db.session.scalars(select(Indicator.reporting_kinds).where(
        Indicator.version_id == version.id)) for kind in (value or "").split(",") if kind}


def obligations_of(framework_id: int) -> list[ReportObligation]:
    return list(db.session.scalars(select(ReportObligation).where(
        ReportObligation.framework_id == framework_id).order_by(ReportObligation.id)))


def terms_of(framework: Framework, kinds: set[str] | None = None) -> list[Terms]:
    """The framework's obligations resolved (two queries); ``kinds``: the kinds its
    indicators are reported by, when the caller has them already."""
    if kinds is None:
        kinds = indicator_kinds(framework)
    stored = obligations_of(framework.id)
    if not stored:
        return [Terms(obligation_id=None, name=DEFAULT_NAME, receiver_unit_id=None,
                      kinds=frozenset(kinds), default=True)]
    dues: dict[int, dict[int, date]] = {}
    for row in db.session.execute(select(
            ObligationDue.obligation_id, ObligationDue.period_id, ObligationDue.due_date)
            .where(ObligationDue.obligation_id.in_([o.id for o in stored]))):
        dues.setdefault(row.obligation_id, {})[row.period_id] = row.due_date
    claimed = {k for o in stored for k in o.kind_list}
    return [Terms(obligation_id=o.id, name=o.name, receiver_unit_id=o.receiver_unit_id,
                  kinds=frozenset(o.kind_list or (kinds - claimed)),
                  dues=dues.get(o.id, {}), default=not o.kind_list) for o in stored]


def expected_kinds(terms: Iterable[Terms]) -> set[str]:
    """Every kind of unit some obligation expects a report from."""
    return {k for t in terms for k in t.kinds}


def reports_on(unit: Unit, framework: Framework) -> bool:
    """Whether ``unit`` reports on ``framework``: its own plan (a province consolidates
    it), or one above whose obligations expect a report from a unit of its kind — a
    commune below the ministry does not report on the national plan, whose obligation
    is the provinces'."""
    return framework.owner_unit_id == unit.id or unit.kind in expected_kinds(terms_of(framework))


def terms_for_kind(terms: Iterable[Terms], kind: str) -> Terms | None:
    return next((t for t in terms if kind in t.kinds), None)


def due_for(terms: list[Terms], kind: str, period: ReportingPeriod) -> date:
    """The due date a unit of ``kind`` answers to for ``period``: its obligation's, else
    (a kind no obligation names) the period's own."""
    found = terms_for_kind(terms, kind)
    return found.due_for(period) if found is not None else period.due_date


def due_case(kind: Any, period_id: Any, periods: Iterable[ReportingPeriod],
             terms: list[Terms], moment: Callable[[date], datetime], as_type: Any) -> Any:
    """The due moment of each row as SQL, by its period and its unit's kind (a few
    WHENs: periods × obligations). ``moment`` turns a date into the last moment a report
    is on time."""
    periods = list(periods)
    whens = [(and_(period_id == p.id, kind.in_(sorted(t.kinds))),
              literal(moment(t.due_for(p)), as_type))
             for p in periods for t in terms if t.kinds]
    whens += [(period_id == p.id, literal(moment(p.due_date), as_type)) for p in periods]
    return case(*whens)


def dues_by_framework(framework_ids: Iterable[int]) -> dict[int, list[Terms]]:
    """framework id -> its stored obligations resolved, kinds of the default one left
    empty (``due_for`` then falls back to it for any kind not claimed): for lists of
    reports of many frameworks (two queries)."""
    ids = sorted(set(framework_ids))
    if not ids:
        return {}
    stored = list(db.session.scalars(select(ReportObligation).where(
        ReportObligation.framework_id.in_(ids)).order_by(ReportObligation.id)))
    dues: dict[int, dict[int, date]] = {}
    if stored:
        for row in db.session.execute(select(
                ObligationDue.obligation_id, ObligationDue.period_id, ObligationDue.due_date)
                .where(ObligationDue.obligation_id.in_([o.id for o in stored]))):
            dues.setdefault(row.obligation_id, {})[row.period_id] = row.due_date
    out: dict[int, list[Terms]] = {}
    for o in stored:
        out.setdefault(o.framework_id, []).append(Terms(
            obligation_id=o.id, name=o.name, receiver_unit_id=o.receiver_unit_id,
            kinds=frozenset(o.kind_list), dues=dues.get(o.id, {}), default=not o.kind_list))
    return out


def listed_due(terms: list[Terms], kind: str, period_id: int,
               period_due: date) -> tuple[date, str]:
    """For a list of reports (``dues_by_framework``): the due date and the obligation's
    name a unit of ``kind`` answers to for the period — an obligation naming its kind,
    else the default one, else the period's own date (``period_due``)."""
    found = terms_for_kind(terms, kind) or next((t for t in terms if t.default), None)
    if found is None:
        return period_due, ""
    return found.dues.get(period_id, period_due), found.name


# ---- managing obligations --------------------------------------------------------------


def _day(text: str) -> date | None:
    return parse_date(text)


def period_end(period: ReportingPeriod) -> date:
    """The last day an obligation's report for the period may be due: the lock date, if
    one is set (entry stops after it), else 31 December of the year."""
    return period.lock_date or date(period.year, 12, 31)


def save_obligation(framework: Framework, values: dict[str, str], kinds: list[str],
                    obligation: ReportObligation | None = None) -> ReportObligation:
    """Add or change an obligation of ``framework``.

    ``values``: ``name``; ``receiver`` (the code of the receiving unit: the owner or a unit
    below it); ``due_<period id>`` (a due date for that period, or empty for the period's
    own). ``kinds``: the kinds of unit that report (none: the indicators' kinds)."""
    problems: dict[str, str] = {}
    name = (values.get("name") or "").strip()
    if not name:
        problems["name"] = _("Enter the obligation's name.")
    elif len(name) > NAME_LENGTH:
        problems["name"] = _("The obligation's name is longer than %(n)d characters.",
                             n=NAME_LENGTH)
    chosen = sorted({k.strip() for k in kinds if k.strip()})
    unknown = [k for k in chosen if k not in REPORTER_KINDS]
    if unknown:
        problems["kinds"] = _("Unknown kind of unit: %(kind)s.", kind=", ".join(unknown))
    receiver = _receiver(framework, (values.get("receiver") or "").strip(), problems)
    if "kinds" not in problems:
        clash = _overlap(framework, chosen, obligation)
        if clash is not None:
            problems["kinds"] = clash
    periods = list(db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == framework.id).order_by(ReportingPeriod.year)))
    dues: dict[int, date | None] = {}
    for period in periods:
        text = (values.get(f"due_{period.id}") or "").strip()
        if not text:
            dues[period.id] = None
            continue
        try:
            due = _day(text)
        except DateError as exc:
            problems[f"due_{period.id}"] = _("Due date for %(year)d: %(problem)s",
                                             year=period.year, problem=exc)
            continue
        if due is None:
            dues[period.id] = None
        elif not period.cutoff_date <= due <= period_end(period):
            problems[f"due_{period.id}"] = _(
                "The due date for %(year)d (%(due)s) lies outside its period: it must fall "
                "between the data cut-off date (%(cutoff)s) and %(end)s.", year=period.year,
                due=due.strftime("%d/%m/%Y"), cutoff=period.cutoff_date.strftime("%d/%m/%Y"),
                end=period_end(period).strftime("%d/%m/%Y"))
        else:
            dues[period.id] = due
    if problems:
        raise ObligationError(problems)
    assert receiver is not None  # noqa: S101 - _receiver refused it otherwise
    if obligation is None:
        obligation = ReportObligation(framework_id=framework.id,
                                      owner_unit_id=framework.owner_unit_id)
        db.session.add(obligation)
    obligation.name = name
    obligation.reporter_kinds = ",".join(chosen)
    obligation.receiver_unit_id = receiver
    existing = {d.period_id: d for d in obligation.dues}
    for period_id, due in dues.items():
        if due is None:
            if period_id in existing:
                obligation.dues.remove(existing[period_id])
        elif period_id in existing:
            existing[period_id].due_date = due
        else:
            obligation.dues.append(ObligationDue(owner_unit_id=framework.owner_unit_id,
                                                 period_id=period_id, due_date=due))
    db.session.flush()
    return obligation


def _receiver(framework: Framework, code: str, problems: dict[str, str]) -> int | None:
    """The receiving unit's id: the framework's owner or a unit below it."""
    if not code:
        problems["receiver"] = _("Choose the unit that receives the reports.")
        return None
    found = db.session.scalar(
        select(Unit.id).join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(Unit.code == code, UnitClosure.ancestor_id == framework.owner_unit_id))
    if found is None:
        problems["receiver"] = _("The receiving unit %(code)s is neither the framework's "
                                 "owner nor a unit below it.", code=code)
    return found


def _overlap(framework: Framework, chosen: list[str],
             obligation: ReportObligation | None) -> str | None:
    """Why the kinds clash with another obligation of the framework, or None."""
    for other in obligations_of(framework.id):
        if obligation is not None and other.id == obligation.id:
            continue
        if not chosen and not other.kind_list:
            return _("The obligation “%(name)s” already covers the kinds the indicators are "
                     "reported by: name the kinds of unit this one expects.", name=other.name)
        common = sorted(set(chosen) & set(other.kind_list))
        if common:
            return _("Units of kind “%(kinds)s” already report under the obligation "
                     "“%(name)s”: a unit reports once a period.",
                     kinds=", ".join(str(UNIT_KIND_LABELS[UnitKind(k)]) for k in common),
                     name=other.name)
    return None


def add_default_obligation(framework: Framework, name: str | None = None) -> ReportObligation:
    """Plan 108's obligation, the default: the kinds the indicators are reported by, to
    the department of science and technology below the owner (its code ends ".SKHCN"),
    else to the owner itself, by each period's own due date. In the caller's scope (the
    department is below the owner)."""
    dost = db.session.scalar(select(Unit.id).where(
        Unit.parent_id == framework.owner_unit_id, Unit.code.like("%.SKHCN"))
        .order_by(Unit.id).limit(1))
    obligation = ReportObligation(
        framework_id=framework.id, owner_unit_id=framework.owner_unit_id,
        name=name or DEFAULT_NAME, reporter_kinds="",
        receiver_unit_id=dost or framework.owner_unit_id)
    db.session.add(obligation)
    db.session.flush()
    return obligation
