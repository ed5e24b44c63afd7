"""Consolidation: the aggregate of a subtree for a year, computed in the background and
kept as an immutable, numbered snapshot with the inputs it was computed from.

The job is idempotent: it takes an advisory lock (PostgreSQL), does nothing if its
snapshot is already complete, and writes the result, the inputs and "done" in one
UPDATE that only a not-yet-done row accepts — so a job run twice (a killed worker,
a retry) still leaves exactly one complete snapshot.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model, db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.jobs import JobsUnavailable, enqueue, in_app_context, job_progress
from portal.problems import DomainError
from portal.reports.aggregate import COUNTED, aggregate
from portal.reports.report import NARRATIVE, ReportValue, UnitReport
from portal.reports.run_state import (  # noqa: F401 - re-exported: where they were
    RUN_STATUS_LABELS,
    STEP_LABELS,
    ConsolidationStep,
    RunStatus,
)
from portal.reports.stuck_runs import settle
from portal.unit_of_work import unit_of_work
from tenants.scoping import DistributionKeyed, Scope, TenantScoped, use_scope
from tenants.tree import unit_labels
from tenants.unit import Unit, UnitClosure


class Consolidation(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "consolidation"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)   # the root
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)        # the snapshot's version for the root
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.QUEUED.value)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(120), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str] = mapped_column(String(80), default="")
    result: Mapped[dict | None] = mapped_column(JSON)
    inputs: Mapped[dict | None] = mapped_column(JSON)   # report id -> [status, version]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Parts other packages add to a snapshot (the dashboard's health and projection, issue 18):
# subscribed by the composition root, as the report events are (portal.reports.events), so
# this package does not import those that read it. Each returns keys to add to the result.
SnapshotPart = Callable[[Unit, Framework, int], dict]
_snapshot_parts: list[SnapshotPart] = []


def on_snapshot(part: SnapshotPart) -> None:
    """Add ``part(root, framework, year)`` to every snapshot computed from now on (once)."""
    if part not in _snapshot_parts:
        _snapshot_parts.append(part)


class ConsolidationError(DomainError):
    """A consolidation cannot start or be read."""


def _counted(statement: Select, root_id: int, period_id: int) -> Select:
    """``statement`` over the submitted and accepted reports of the period in the subtree."""
    return (statement.join(UnitClosure, UnitClosure.descendant_id == UnitReport.unit_id)
            .where(UnitClosure.ancestor_id == root_id, UnitReport.period_id == period_id,
                   UnitReport.status.in_(COUNTED)))


def inputs_of(root_id: int, period_id: int) -> dict[str, list]:
    """The reports a consolidation reads: id -> [status, version], for staleness."""
    rows = db.session.execute(_counted(
        select(UnitReport.id, UnitReport.status, UnitReport.version), root_id, period_id)).all()
    return {str(r.id): [r.status, r.version] for r in rows}


def is_stale(consolidation: Consolidation) -> bool:
    """A report in its scope was submitted, returned, reopened or accepted since."""
    if consolidation.status != RunStatus.DONE.value:
        return False
    return inputs_of(consolidation.unit_id, consolidation.period_id) != consolidation.inputs


def latest(root_id: int, period_id: int) -> Consolidation | None:
    return db.session.scalar(select(Consolidation).where(
        Consolidation.unit_id == root_id, Consolidation.period_id == period_id)
        .order_by(Consolidation.number.desc()).limit(1))


def launch(root: Unit, framework: Framework, year: int, user_id: int | None) -> Consolidation:
    """Start a consolidation, or join the one already queued or running for this root and year.

    Only flushes; ``start`` commits the new row and then queues it (a worker must see it).
    """
    period = db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == framework.id, ReportingPeriod.year == year))
    if period is None:
        raise ConsolidationError(_("There is no reporting period for %(year)d.", year=year))
    under_way = db.session.scalar(select(Consolidation).where(
        Consolidation.unit_id == root.id, Consolidation.period_id == period.id,
        Consolidation.status.in_([RunStatus.QUEUED.value, RunStatus.RUNNING.value])))
    # issue 15: a run whose job died is taken over (queued again at 0 %) or marked
    # failed with the reason (portal.reports.stuck_runs) before it is joined
    if under_way is not None and settle(under_way):
        return under_way
    previous = latest(root.id, period.id)
    consolidation = Consolidation(
        unit_id=root.id, framework_id=framework.id, period_id=period.id, year=year,
        number=(previous.number + 1) if previous else 1, status=RunStatus.QUEUED.value,
        requested_by_id=user_id, created_at=clock.now())
    db.session.add(consolidation)
    db.session.flush()
    # unique to this row, not only to its id: ids start again in a restored or recreated
    # database while Redis may still hold the jobs of the old rows, which the stuck-run
    # check would take for this row's (a finished job: the row marked failed)
    consolidation.job_id = f"consolidation-{consolidation.id}-{secrets.token_hex(4)}"
    return consolidation


def queue(consolidation: Consolidation) -> None:
    """Hand the committed consolidation to the queue (or run it now, without Redis)."""
    enqueue("consolidation", run_consolidation, consolidation.id, consolidation.unit_id,
            job_id=consolidation.job_id)


class QueueUnavailable(ConsolidationError):
    """The job queue cannot take the consolidation now; nothing of it was kept."""


def start(root: Unit, framework: Framework, year: int, user_id: int | None) -> int:
    """Start (or join) the consolidation of ``root``'s subtree for ``year``: its id.

    This owns its transactions, as the worker must see the row before it gets the job:
    the new row is committed, then queued; if the queue is not reachable the row is
    deleted again and ``QueueUnavailable`` raised. Refusals raise ``ConsolidationError``.
    The one way the pages and the API start a consolidation.
    """
    with unit_of_work():
        row = launch(root, framework, year, user_id)
        row_id = row.id
        fresh = row.status == RunStatus.QUEUED.value and row.progress == 0
    if fresh:
        try:
            queue(db.session.get_one(Consolidation, row_id))
        except JobsUnavailable as exc:
            with unit_of_work():
                db.session.delete(db.session.get(Consolidation, row_id))
            raise QueueUnavailable(_(
                "The consolidation cannot start now: the job queue is not reachable. "
                "Reports can still be written and submitted; try again later.")) from exc
    return row_id


@in_app_context
def run_consolidation(consolidation_id: int, root_id: int) -> str:
    """The job: idempotent, whole or nothing, progress as it goes."""
    with use_scope(Scope(subtree_roots=frozenset({root_id}))):
        if not _lock(consolidation_id):
            return "already running elsewhere"
        row = db.session.get(Consolidation, consolidation_id)
        if row is None or row.status == RunStatus.DONE.value:
            db.session.rollback()
            return "nothing to do"
        try:
            return _compute(row)
        except Exception as exc:
            db.session.rollback()
            _mark(consolidation_id, RunStatus.FAILED, 100, ConsolidationStep.FAILED,
                  str(exc)[:500])
            raise


def _lock(consolidation_id: int) -> bool:
    """A PostgreSQL advisory lock for the job's transaction; SQLite has one writer anyway."""
    if db.engine.dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                  {"k": 7_000_000_000 + consolidation_id}))


def _mark(consolidation_id: int, status: RunStatus, progress: int, step: ConsolidationStep,
          error: str = "") -> None:
    """Progress in its own short transaction, so the page sees it while the job runs."""
    db.session.execute(update(Consolidation).where(
        Consolidation.id == consolidation_id, Consolidation.status != RunStatus.DONE.value)
        .values(status=status.value, progress=progress, step=step.value, error=error))
    db.session.commit()
    job_progress(progress, step.value)


def _pause() -> None:
    delay = current_app.config.get("CONSOLIDATION_STEP_DELAY", 0)
    if delay:
        time.sleep(delay)  # tests and demos: watch the progress, or kill the worker


def _compute(row: Consolidation) -> str:
    consolidation_id, root_id, period_id, year = row.id, row.unit_id, row.period_id, row.year
    framework = db.session.scalar(select(Framework).where(Framework.id == row.framework_id))
    root = db.session.get(Unit, root_id)
    _mark(consolidation_id, RunStatus.RUNNING, 5, ConsolidationStep.READING)
    _pause()
    inputs = inputs_of(root_id, period_id)
    _mark(consolidation_id, RunStatus.RUNNING, 30, ConsolidationStep.COMPUTING)
    _pause()
    result = aggregate(root, framework, year)  # type: ignore[arg-type]  # the row's foreign keys
    _mark(consolidation_id, RunStatus.RUNNING, 70, ConsolidationStep.COMPILING)
    _pause()
    result["narrative"] = _narrative(root_id, period_id)
    result["units"] = _unit_values(root_id, period_id)
    for part in _snapshot_parts:
        result.update(part(root, framework, year))  # type: ignore[arg-type]  # the row's foreign keys
    _mark(consolidation_id, RunStatus.RUNNING, 90, ConsolidationStep.WRITING)
    if not _lock(consolidation_id):  # the lock ended with the progress commits: take it again
        return "already running elsewhere"
    written = db.session.execute(update(Consolidation).where(
        Consolidation.id == consolidation_id, Consolidation.status != RunStatus.DONE.value)
        .values(result=result, inputs=inputs, status=RunStatus.DONE.value, progress=100,
                step=ConsolidationStep.DONE.value, finished_at=clock.now())).rowcount  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    db.session.commit()
    job_progress(100, ConsolidationStep.DONE.value)
    return "done" if written else "nothing to do"


def _unit_values(root_id: int, period_id: int) -> list[dict]:
    """What each unit that reported this year gave for each indicator, as it gave it:
    the per-unit breakdown of the workbook (the aggregate's children are one level only)."""
    rows = db.session.execute(_counted(
        select(UnitReport.unit_id, UnitClosure.depth, Indicator.code, ReportValue.value,
               ReportValue.numerator, ReportValue.denominator, ReportValue.text)
        .join(ReportValue, ReportValue.report_id == UnitReport.id)
        .join(Indicator, Indicator.id == ReportValue.indicator_id), root_id, period_id)).all()
    labels = unit_labels(r.unit_id for r in rows)
    by_unit: dict[int, dict] = {}
    for r in sorted(rows, key=lambda r: (r.depth, labels[r.unit_id][0])):
        entry = by_unit.setdefault(r.unit_id, {"unit": labels[r.unit_id][0],
                                               "name": labels[r.unit_id][1], "values": {}})
        figure = {k: float(v) if isinstance(v, Decimal) else v
                  for k, v in (("value", r.value), ("numerator", r.numerator),
                               ("denominator", r.denominator), ("text", r.text))
                  if v not in (None, "")}
        if figure:
            entry["values"][r.code] = figure
    return list(by_unit.values())


def _narrative(root_id: int, period_id: int) -> dict[str, list[dict]]:
    """Each narrative section, passage by passage, each attributed to its unit."""
    reports = db.session.execute(_counted(
        select(UnitReport.unit_id, *(getattr(UnitReport, n) for n in NARRATIVE)),
        root_id, period_id).order_by(UnitClosure.depth, UnitReport.unit_id)).all()
    labels = unit_labels(r.unit_id for r in reports)
    return {name: [{"unit": labels[r.unit_id][0], "name": labels[r.unit_id][1],
                    "text": getattr(r, name)} for r in reports if getattr(r, name)]
            for name in NARRATIVE}
