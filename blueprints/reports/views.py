"""Yearly reports on the web: open, fill in with autosave, hand over, submit, review.

Same shape as the plan pages: load through the guard (404), check the role in the
report's unit (403) by the rules of ``portal.reports.workflow``, act through
``portal.reports.service`` inside ``unit_of_work()``, render a read-model of
``portal.reports.pages``. Evidence files and consolidations have their own blueprints.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from blueprints.autosave import Saved, autosave
from blueprints.checks import writer_or_403
from portal.outliers.service import check_value, figure, flagged_values, report_outliers
from portal.reports.pages import ReportPart, indicator_of, report_page, report_part, reports_index
from portal.reports.report import NARRATIVE, ReportTask, ReportValue, UnitReport
from portal.reports.service import (
    ReportError,
    open_report,
    run_transition,
    save_narrative,
    save_task_status,
    save_value_fields,
    value_fields,
    value_labels,
)
from portal.reports.workflow import TRANSITIONS, chosen_period, may_take
from portal.unit_of_work import unit_of_work
from portal.validation.pages import report_checks
from tenants.access import unit_or_404, visible_or_404

bp = Blueprint("reports", __name__)



def _part_or_404(model: type[ReportPart], report: UnitReport, part_id: int) -> ReportPart:
    part = report_part(model, report, part_id)
    if part is None:
        abort(404)
    return part


def show_with_problems(report_id: int, problems: dict[str, str]) -> ResponseReturnValue:
    """The report page again (read afresh: the refused change was rolled back), with every
    problem of the refusal listed, 422."""
    report = visible_or_404(UnitReport, report_id)
    return render_template("reports/show.html", problems=problems,
                           checks=report_checks(report, g.reach),
                           **vars(report_page(report, g.reach)), **_outliers(report)), 422


def _outliers(report: UnitReport) -> dict[str, object]:
    """The outlier warnings of each value and the values marked for follow-up."""
    return {"outliers": report_outliers(report).warnings,
            "follow_ups": flagged_values(report=report)}


@bp.route("/units/<code>/reports")
@login_required
def index(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    return render_template("reports/index.html", **vars(reports_index(
        unit, g.reach, request.args.get("period_id", type=int))))


@bp.route("/units/<code>/reports", methods=["POST"])
@login_required
def open_view(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    writer_or_403(unit.id)
    period = chosen_period(unit, request.form.get("period_id", type=int))
    if period is None:
        flash(_("Choose the period to report on."), "danger")
        return redirect(url_for("reports.index", code=unit.code)), 303
    try:
        with unit_of_work():
            report_id = open_report(unit, period, current_user.id).id
    except ReportError as exc:
        for problem in exc.messages:
            flash(problem, "danger")
        return redirect(url_for("reports.index", code=unit.code)), 303
    return redirect(url_for("reports.show", report_id=report_id))


@bp.route("/reports/<int:report_id>")
@login_required
def show(report_id: int) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    return render_template("reports/show.html", checks=report_checks(report, g.reach),
                           **vars(report_page(report, g.reach)), **_outliers(report))


def task_labels() -> dict[str, str]:
    return {"status": _("Status"), "result": _("Result"), "confidence": _("Confidence")}


def narrative_labels() -> dict[str, str]:
    return {"results": _("Results achieved"),
            "difficulties": _("Difficulties and obstacles, and their causes"),
            "proposals": _("Proposals and recommendations")}


@bp.route("/reports/<int:report_id>/values/<int:value_id>", methods=["POST"])
@login_required
def save_value_view(report_id: int, value_id: int) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    writer_or_403(report.unit_id)
    row = _part_or_404(ReportValue, report, value_id)
    version = request.form.get("force_version") or request.form.get("version")
    indicator = indicator_of(row)
    labels = value_labels(indicator)   # exactly the fields of this kind's form
    unusual: list[str] = []

    def save() -> Saved:  # the valid fields are saved; the others come back with why
        before = figure(row, indicator)
        read = save_value_fields(row, report, request.form.to_dict(), version)
        unusual[:] = check_value(row, report, before)   # a soft warning: saved all the same
        return Saved(row.version, read.not_saved, read.readings)

    def current() -> tuple[dict[str, str], int]:
        fresh = _part_or_404(ReportValue, visible_or_404(UnitReport, report_id), value_id)
        return value_fields(fresh), fresh.version

    answer, code = autosave(f"value-{row.id}", list(labels), save, current=current,
                            mine=request.form.to_dict(), labels=labels,
                            reload_url=url_for("reports.show", report_id=report.id))
    if code != 200:
        return answer, code
    # An unusual figure is saved with a warning beside it (out of band) ...
    answer += render_template("partials/outlier_warning.html", row=row, oob=True,
                              warnings=unusual)
    # ... and the rules the values break now, beside each value they read.
    fresh = visible_or_404(UnitReport, report_id)
    checks = report_checks(fresh, g.reach)
    return answer + "".join(render_template("partials/rule_violations.html", row=value,
                                            checks=checks, oob=True)
                            for value in fresh.values), code


@bp.route("/reports/<int:report_id>/tasks/<int:task_id>", methods=["POST"])
@login_required
def save_task_view(report_id: int, task_id: int) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    writer_or_403(report.unit_id)
    row = _part_or_404(ReportTask, report, task_id)
    version = request.form.get("force_version") or request.form.get("version")

    def save() -> Saved:  # a forged status does not lose the result, nor the reverse
        problems = save_task_status(row, report, request.form.get("status", ""),
                                    request.form.get("result", ""), version, whole=False,
                                    confidence=request.form.get("confidence"))
        return Saved(row.version, problems)

    def current() -> tuple[dict[str, str], int]:
        fresh = _part_or_404(ReportTask, visible_or_404(UnitReport, report_id), task_id)
        return {"status": fresh.status or "", "result": fresh.result,
                "confidence": fresh.confidence or ""}, fresh.version

    return autosave(f"rtask-{row.id}", ["status", "result", "confidence"], save,
                    current=current,
                    mine=request.form.to_dict(), labels=task_labels(),
                    reload_url=url_for("reports.show", report_id=report.id))


@bp.route("/reports/<int:report_id>/narrative/<name>", methods=["POST"])
@login_required
def save_narrative_view(report_id: int, name: str) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    writer_or_403(report.unit_id)
    if name not in NARRATIVE:
        abort(404)
    version = request.form.get("force_version") or request.form.get("version")

    def save() -> int:
        save_narrative(report, name, request.form.get("text", ""), version)
        return report.section_version(name)

    def current() -> tuple[dict[str, str], int]:
        fresh = visible_or_404(UnitReport, report_id)
        return {name: getattr(fresh, name)}, fresh.section_version(name)

    return autosave(f"narrative-{name}", [name], save, current=current,
                    mine={name: request.form.get("text", "")}, labels=narrative_labels(),
                    reload_url=url_for("reports.show", report_id=report.id))


@bp.route("/reports/<int:report_id>/transitions", methods=["POST"])
@login_required
def transition(report_id: int) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    action = request.form.get("action", "")
    if action not in TRANSITIONS:
        abort(422)
    if not may_take(g.reach, report.unit_id, action):
        abort(403)
    reason = request.form.get("reason", "")
    try:
        try:
            with unit_of_work():
                run_transition(report, action, current_user.id, reason)
        except StaleDataError:
            # An autosave landed between the page and the click (leaving a text field
            # saves it): act once more on the report as it is now, which is what was meant.
            with unit_of_work():
                run_transition(visible_or_404(UnitReport, report_id), action,
                               current_user.id, reason)
    except ReportError as exc:
        return show_with_problems(report_id, exc.problems)
    except StaleDataError:
        flash(_("The report was changed at the same moment; check it and try again."),
              "warning")
        return redirect(url_for("reports.show", report_id=report_id)), 303
    flash(done_message(action), "success")
    return redirect(url_for("reports.show", report_id=report_id))


def done_message(action: str) -> str:
    """What the page says once ``action`` is taken."""
    return {"hand_over": _("The report was handed to the unit head."),
            "send_back": _("The report was sent back to the drafter."),
            "submit": _("The report was submitted."),
            "return": _("The report was returned for correction."),
            "accept": _("The report was accepted."),
            "reopen": _("The report was reopened.")}[action]


