"""Validation rules on the web: the framework owner's rules, a unit's explanation of a rule
its report breaks, and validation runs over a subtree (docs/validation.md).

Load through the guard (404), check the role (403), act through ``portal.validation``
inside ``unit_of_work()``, render.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.checks import writer_or_403
from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.reports.report import UnitReport
from portal.reports.service import ReportError
from portal.reports.workflow import chosen_period
from portal.unit_of_work import unit_of_work
from portal.validation.pages import rules_page, run_page, runs_page
from portal.validation.rule import ValidationRule
from portal.validation.run import ValidationRun
from portal.validation.runs import RunUnavailable, request_run
from portal.validation.service import (
    RuleError,
    create_rule,
    delete_rule,
    may_run,
    rule_of,
    save_explanation,
    update_rule,
)
from tenants.access import unit_or_404, visible_or_404

bp = Blueprint("validation", __name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _owner_or_403(framework: Framework) -> None:
    if not g.reach.owns_frameworks_of(framework.owner_unit_id):
        abort(403)


def _rule_or_404(framework: Framework, rule_id: int) -> ValidationRule:
    rule = rule_of(framework, rule_id)
    if rule is None:
        abort(404)
    return rule


@bp.route("/frameworks/<int:framework_id>/rules")
@login_required
def rules(framework_id: int) -> ResponseReturnValue:
    framework = visible_or_404(Framework, framework_id)
    return render_template("validation/rules.html", **vars(rules_page(
        framework, g.reach, request.args.get("edit", type=int))))


@bp.route("/frameworks/<int:framework_id>/rules", methods=["POST"])
@login_required
def create(framework_id: int) -> ResponseReturnValue:
    framework = visible_or_404(Framework, framework_id)
    _owner_or_403(framework)
    try:
        with unit_of_work():
            create_rule(framework, request.form.to_dict())
    except RuleError as exc:
        return render_template("validation/rules.html", **vars(rules_page(
            framework, g.reach, None, request.form.to_dict(), exc.problems))), 422
    flash(_("The rule was added."), "success")
    return redirect(url_for("validation.rules", framework_id=framework.id)), 303


@bp.route("/frameworks/<int:framework_id>/rules/<int:rule_id>", methods=["POST"])
@login_required
def update(framework_id: int, rule_id: int) -> ResponseReturnValue:
    framework = visible_or_404(Framework, framework_id)
    _owner_or_403(framework)
    rule = _rule_or_404(framework, rule_id)
    try:
        with unit_of_work():
            update_rule(rule, framework, request.form.to_dict())
    except RuleError as exc:
        return render_template("validation/rules.html", **vars(rules_page(
            framework, g.reach, rule_id, request.form.to_dict(), exc.problems))), 422
    flash(_("The rule was saved."), "success")
    return redirect(url_for("validation.rules", framework_id=framework.id)), 303


@bp.route("/frameworks/<int:framework_id>/rules/<int:rule_id>/delete", methods=["POST"])
@login_required
def delete(framework_id: int, rule_id: int) -> ResponseReturnValue:
    framework = visible_or_404(Framework, framework_id)
    _owner_or_403(framework)
    rule = _rule_or_404(framework, rule_id)
    if request.form.get("confirm") != "yes":   # a stray post removes nothing
        return render_template("validation/rules.html", **vars(rules_page(
            framework, g.reach, None, None, {"confirm": _("Confirm removing the rule.")}))), 422
    with unit_of_work():
        delete_rule(rule)
    flash(_("The rule was removed."), "success")
    return redirect(url_for("validation.rules", framework_id=framework.id)), 303


@bp.route("/reports/<int:report_id>/explanations/<int:rule_id>", methods=["POST"])
@login_required
def explain(report_id: int, rule_id: int) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    writer_or_403(report.unit_id)
    period = visible_or_404(ReportingPeriod, report.period_id)
    rule = rule_of(visible_or_404(Framework, period.framework_id), rule_id)
    if rule is None:
        abort(404)
    try:
        with unit_of_work():
            save_explanation(report, rule, request.form.get("explanation", ""),
                             current_user.id)
    except ReportError as exc:
        for message in exc.messages:
            flash(message, "danger")
        return redirect(url_for("reports.show", report_id=report.id)), 303
    flash(_("The explanation was saved."), "success")
    return redirect(url_for("reports.show", report_id=report.id,
                            _anchor=f"rule-{report.id}-{rule.id}")), 303


@bp.route("/units/<code>/validation")
@login_required
def runs(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    if not may_run(g.reach, unit.id):
        abort(403)
    return render_template("validation/runs.html", **vars(runs_page(unit)))


@bp.route("/units/<code>/validation", methods=["POST"])
@login_required
def start(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    if not may_run(g.reach, unit.id):
        abort(403)
    period = chosen_period(unit, request.form.get("period_id", type=int))
    if period is None:
        flash(_("Choose the period to check."), "danger")
        return redirect(url_for("validation.runs", code=unit.code)), 303
    try:
        run_id = request_run(unit, period, current_user.id)
    except RunUnavailable as exc:
        flash(" ".join(exc.messages), "danger")
        return redirect(url_for("validation.runs", code=unit.code)), 303
    return redirect(url_for("validation.show", run_id=run_id)), 303


def _run_or_404(run_id: int) -> ValidationRun:
    """A run of a subtree in reach (404 otherwise), for its reviewers (403 for others)."""
    run = visible_or_404(ValidationRun, run_id)
    if not may_run(g.reach, run.unit_id):
        abort(403)
    return run


@bp.route("/validation-runs/<int:run_id>")
@login_required
def show(run_id: int) -> ResponseReturnValue:
    run = _run_or_404(run_id)
    return render_template("validation/run.html", **vars(run_page(run)))


@bp.route("/validation-runs/<int:run_id>/status")
@login_required
def status(run_id: int) -> ResponseReturnValue:
    """Polled while the run is a job: its state; the page reloads once it has ended."""
    run = _run_or_404(run_id)
    response = render_template("validation/_run_status.html", run=run)
    return response, 200, {} if run.pending else {"HX-Refresh": "true"}


@bp.route("/validation-runs/<int:run_id>.xlsx")
@login_required
def export(run_id: int) -> ResponseReturnValue:
    run = _run_or_404(run_id)
    if run.status != "done":
        flash(_("The check has not finished: its Excel file is ready once it has."), "warning")
        return redirect(url_for("validation.show", run_id=run.id)), 303
    page = run_page(run)
    return Response(page.workbook(), mimetype=XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="kiem-tra-{page.unit.code}-'
                               f'{page.period.year}-{run.id}.xlsx"'})
