"""Validation runs: every report of a subtree for a period checked against the framework's
rules, kept with who ran it, when and what it found, each violation notified once.

"Once" (docs/validation.md § Runs): a violation is a rule × unit × period. The first run
that finds it notifies the unit's drafters and head and records a ``ValidationNotice``;
later runs that still find it do not notify again. A run that no longer finds it (the
figures were corrected) removes the notice, so breaking the rule again is told again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, delete, select

from portal import clock
from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.jobs import JobsUnavailable, enqueue, in_app_context
from portal.notifications.notification import NoticeKind, Notification
from portal.notifications.recipients import members_of
from portal.problems import DomainError
from portal.reports.report import UnitReport
from portal.unit_of_work import unit_of_work
from portal.validation.rule import ValidationRule
from portal.validation.run import ValidationNotice, ValidationRun
from portal.validation.service import (
    figures_of,
    previous_period,
    rules_of,
    show_number,
    violations_in,
)
from tenants.scoping import Scope, use_scope
from tenants.tree import unit_labels
from tenants.unit import Unit, UnitClosure

log = logging.getLogger(__name__)

QUEUE = "consolidation"   # reads a whole subtree, like a consolidation


class RunUnavailable(DomainError):
    """A validation run that cannot be started now."""


def _reports_below(root_id: int, period_id: int) -> Select[tuple[int]]:
    """The ids of the subtree's reports for the period, as a subquery."""
    return select(UnitReport.id).join(
        UnitClosure, UnitClosure.descendant_id == UnitReport.unit_id).where(
        UnitClosure.ancestor_id == root_id, UnitReport.period_id == period_id)


def check_subtree(root: Unit, period: ReportingPeriod) -> tuple[int, list[dict]]:
    """(reports checked, findings) for every report of the subtree in the period: three
    reads (the reports, their values this year and last), the rules judged in memory."""
    rules = rules_of(period.framework_id)
    reports = dict(db.session.execute(select(UnitReport.id, UnitReport.unit_id).where(
        UnitReport.id.in_(_reports_below(root.id, period.id)))).tuples().all())
    if not rules or not reports:
        return len(reports), []
    figures = figures_of(_reports_below(root.id, period.id))
    before = previous_period(period)
    last: dict[int, dict] = {}
    if before is not None:
        earlier = dict(db.session.execute(select(UnitReport.unit_id, UnitReport.id).where(
            UnitReport.id.in_(_reports_below(root.id, before.id)))).tuples().all())
        figures_before = figures_of(_reports_below(root.id, before.id))
        last = {unit_id: figures_before.get(report_id, {})
                for unit_id, report_id in earlier.items()}
    findings = []
    for report_id, unit_id in reports.items():
        for violation in violations_in(rules, figures.get(report_id, {}), last.get(unit_id, {})):
            findings.append({
                "unit_id": unit_id, "report_id": report_id, "rule_id": violation.rule.id,
                "value_id": violation.value_ids[0] if violation.value_ids else None,
                "left": show_number(violation.judgement.left),
                "right": show_number(violation.judgement.right)})
    return len(reports), findings


def run_validation(root: Unit, period: ReportingPeriod, user_id: int | None) -> ValidationRun:
    """Check the subtree now, keep the run and notify the violations not notified before."""
    run = ValidationRun(unit_id=root.id, period_id=period.id, started_by_id=user_id,
                        started_at=clock.now(), status="running", findings=[])
    db.session.add(run)
    db.session.flush()
    return complete(run, root, period)


def complete(run: ValidationRun, root: Unit, period: ReportingPeriod) -> ValidationRun:
    """Do the checking of a kept run: findings, notices, done (flushes)."""
    checked, findings = check_subtree(root, period)
    notified = _notify_once(run, root, period, findings)
    labels = unit_labels({f["unit_id"] for f in findings})
    for finding in findings:
        finding["unit"], finding["unit_name"] = labels.get(finding["unit_id"], ("", ""))
        finding["notified"] = (finding["unit_id"], finding["rule_id"]) in notified
    findings.sort(key=lambda f: (f["unit"], f["rule_id"]))
    run.reports_checked, run.findings, run.notified = checked, findings, len(notified)
    run.status, run.error, run.finished_at = "done", "", clock.now()
    db.session.flush()
    return run


def request_run(root: Unit, period: ReportingPeriod, user_id: int | None) -> int:
    """Keep a queued run and hand it to a background job; the run's id. Owns its
    transactions: the row is committed before the job is queued (in-process without
    Redis, the job runs here and now). Raises ``RunUnavailable`` when no job can start."""
    with unit_of_work():
        run = ValidationRun(unit_id=root.id, period_id=period.id, started_by_id=user_id,
                            started_at=clock.now(), status="queued", findings=[])
        db.session.add(run)
        db.session.flush()
        run_id = run.id
    try:
        enqueue(QUEUE, check_run, run_id, root.id, job_id=f"validation-{run_id}",
                timeout="30m")
    except JobsUnavailable as exc:
        with unit_of_work():
            db.session.delete(db.session.get_one(ValidationRun, run_id))
        raise RunUnavailable([_("The check cannot start now: the job queue is not "
                                "reachable. Try again later.")]) from exc
    return run_id


@in_app_context
def check_run(run_id: int, root_id: int) -> str:
    """The job: check a queued run, under the scope of the subtree it was asked for.
    Idempotent: a run already done is left alone, and the findings, the notices and
    "done" are written in one transaction, so a job killed half-way leaves no notice."""
    with use_scope(Scope(subtree_roots=frozenset({root_id}))):
        run = db.session.get(ValidationRun, run_id)
        if run is None or run.status == "done":
            db.session.rollback()
            return "nothing to do"
        run.status = "running"
        db.session.commit()
        try:
            with unit_of_work():
                run = db.session.get_one(ValidationRun, run_id)
                complete(run, db.session.get_one(Unit, root_id),
                         db.session.get_one(ReportingPeriod, run.period_id))
            return "done"
        except Exception:
            log.exception("validation run %s failed", run_id)
            with unit_of_work():
                failed = db.session.get_one(ValidationRun, run_id)
                failed.status, failed.finished_at = "failed", clock.now()
                failed.error = _("The check stopped because of an error on the server; "
                                 "run it again.")
            from rq import get_current_job

            if get_current_job() is not None:
                raise                 # RQ records it and retries
            return "failed"           # in-process: the request that asked must not fail


def _notify_once(run: ValidationRun, root: Unit, period: ReportingPeriod,
                 findings: list[dict]) -> set[tuple[int, int]]:
    """Record and notify the violations not notified yet; forget the ones fixed since.
    Returns the (unit, rule) pairs notified by this run."""
    below = select(UnitClosure.descendant_id).where(UnitClosure.ancestor_id == root.id)
    known = {(n.unit_id, n.rule_id): n for n in db.session.scalars(select(ValidationNotice)
             .where(ValidationNotice.period_id == period.id,
                    ValidationNotice.unit_id.in_(below)))}
    found = {(f["unit_id"], f["rule_id"]) for f in findings}
    fixed = [n.id for key, n in known.items() if key not in found]
    if fixed:
        db.session.execute(delete(ValidationNotice).where(ValidationNotice.id.in_(fixed)))
    new = found - set(known)
    if not new:
        return set()
    moment = clock.now()
    db.session.add_all(ValidationNotice(unit_id=unit_id, rule_id=rule_id,
                                        period_id=period.id, run_id=run.id, at=moment)
                       for unit_id, rule_id in new)
    names = {r.id: r.name for r in db.session.scalars(select(ValidationRule).where(
        ValidationRule.framework_id == period.framework_id))}
    by_unit: dict[int, list[int]] = defaultdict(list)
    for unit_id, rule_id in sorted(new):
        by_unit[unit_id].append(rule_id)
    reports = {f["unit_id"]: f["report_id"] for f in findings}
    people = members_of(by_unit)
    for unit_id, rule_ids in by_unit.items():
        body = "\n".join(f"- {names.get(r, r)}" for r in rule_ids)
        for user in people.get(unit_id, []):
            db.session.add(Notification(
                user_id=user.id, unit_id=unit_id, kind=NoticeKind.VALIDATION.value,
                period_id=period.id, step=None, year=period.year,
                title=_("Report %(year)d breaks %(n)d validation rule(s)", year=period.year,
                        n=len(rule_ids)),
                body=body, link=f"/reports/{reports[unit_id]}#rule-violations",
                created_at=moment))
    db.session.flush()
    return new


@dataclass
class RunRow:
    """A finding as the run's page and export show it."""

    unit: str
    unit_name: str
    rule: str
    importance: str
    left: str
    right: str
    report_id: int
    value_id: int | None
    notified: bool


def run_rows(run: ValidationRun) -> list[RunRow]:
    rules = {r.id: r for r in db.session.scalars(select(ValidationRule).where(
        ValidationRule.id.in_({f["rule_id"] for f in run.findings})))}
    return [RunRow(unit=f["unit"], unit_name=f["unit_name"],
                   rule=rules[f["rule_id"]].name if f["rule_id"] in rules else "—",
                   importance=rules[f["rule_id"]].importance if f["rule_id"] in rules else "",
                   left=f["left"], right=f["right"], report_id=f["report_id"],
                   value_id=f["value_id"], notified=f["notified"]) for f in run.findings]


def runs_of(unit: Unit) -> list[ValidationRun]:
    return list(db.session.scalars(select(ValidationRun).where(
        ValidationRun.unit_id == unit.id).order_by(ValidationRun.id.desc()).limit(20)))
