"""What the validation pages show: typed read-models, built here (the views run no query)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.accounts.user import User
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.service import visible_frameworks
from portal.reports.report import EDITABLE, UnitReport
from portal.reports.service import locked
from portal.validation.rule import (
    IMPORTANCE_LABELS,
    MISSING_VALUES_LABELS,
    OPERATOR_LABELS,
    OPERATOR_SIGNS,
    ValidationRule,
)
from portal.validation.run import ValidationRun
from portal.validation.runs import RunRow, run_rows, runs_of
from portal.validation.service import (
    Violation,
    by_value,
    known_indicators,
    report_violations,
    rule_fields,
    rules_of,
    show_number,
)
from tenants.access import Reach
from tenants.unit import Unit

CHOICES = {"operator": OPERATOR_LABELS, "left_missing": MISSING_VALUES_LABELS,
           "right_missing": MISSING_VALUES_LABELS, "importance": IMPORTANCE_LABELS}


@dataclass
class RulesPage:
    framework: Framework
    rules: list[ValidationRule]
    may_edit: bool
    codes: list[str]                                   # the indicators a rule may name
    editing: int | None                                # the rule whose form is open
    form: dict[str, str]
    problems: Mapping[str, str]
    choices: dict = field(default_factory=lambda: CHOICES)
    signs: dict = field(default_factory=lambda: OPERATOR_SIGNS)


def rules_page(framework: Framework, reach: Reach, editing: int | None,
               form: dict[str, str] | None = None,
               problems: Mapping[str, str] | None = None) -> RulesPage:
    rules = rules_of(framework.id)
    rule = next((r for r in rules if r.id == editing), None)
    return RulesPage(framework=framework, rules=rules,
                     may_edit=reach.owns_frameworks_of(framework.owner_unit_id),
                     codes=sorted(known_indicators(framework)),
                     editing=rule.id if rule else None,
                     form=form if form is not None else rule_fields(rule),
                     problems=problems or {})


@dataclass
class ReportChecks:
    """The rules a report breaks: all of them (the top of the page) and beside each value."""

    violations: list[Violation]
    beside: dict[int, list[Violation]]                 # value row id -> its violations
    report_id: int
    can_explain: bool
    show: Callable = show_number
    signs: dict = field(default_factory=lambda: OPERATOR_SIGNS)
    importance: dict = field(default_factory=lambda: IMPORTANCE_LABELS)
    operators: dict = field(default_factory=lambda: OPERATOR_LABELS)


def report_checks(report: UnitReport, reach: Reach) -> ReportChecks:
    violations = report_violations(report)
    return ReportChecks(violations=violations, beside=by_value(violations),
                        report_id=report.id,
                        can_explain=report.status in EDITABLE and not locked(report)
                        and reach.can_write(report.unit_id))


@dataclass
class RunsPage:
    unit: Unit
    periods: list[ReportingPeriod]
    frameworks: dict[int, Framework]
    runs: list[ValidationRun]
    users: dict[int, str]
    years: dict[int, int]                              # period id -> year


def runs_page(unit: Unit) -> RunsPage:
    frameworks = visible_frameworks(unit)
    periods = list(db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id.in_([f.id for f in frameworks]))
        .order_by(ReportingPeriod.year.desc())))
    runs = runs_of(unit)
    return RunsPage(unit=unit, periods=periods, frameworks={f.id: f for f in frameworks},
                    runs=runs, users=_names({r.started_by_id for r in runs}),
                    years={p.id: p.year for p in periods})


@dataclass
class RunPage:
    run: ValidationRun
    unit: Unit
    period: ReportingPeriod
    by: str
    rows: list[RunRow]
    importance: dict = field(default_factory=lambda: IMPORTANCE_LABELS)

    def workbook(self) -> bytes:
        from portal.validation.export import run_workbook

        return run_workbook(self.run, self.unit.name, self.period.year, self.by, self.rows)


def run_page(run: ValidationRun) -> RunPage:
    return RunPage(run=run, unit=db.session.get_one(Unit, run.unit_id),
                   period=db.session.get_one(ReportingPeriod, run.period_id),
                   by=_names({run.started_by_id}).get(run.started_by_id or 0, "—"),
                   rows=run_rows(run))


def _names(ids: set[int | None]) -> dict[int, str]:
    return {u.id: u.full_name or u.username for u in db.session.scalars(
        select(User).where(User.id.in_(ids - {None})))}

