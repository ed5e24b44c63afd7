"""Outliers on the web: the owner's rules per framework, the panel of each value (with its
comment thread and follow-up flag), and the reviewer's list of flagged values.

Load through the guard (404), check the role (403), act through
``portal.outliers.service`` or ``portal.outliers.panel`` inside ``unit_of_work()``,
render a read-model.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.outliers.pages import follow_ups_page, rules_page
from portal.outliers.panel import PanelError, post_comment, set_follow_up, side_of, value_panel
from portal.outliers.rule import OutlierRule
from portal.outliers.service import OutlierError, delete_rule, generate_bounds, save_rule
from portal.reports.pages import report_part
from portal.reports.report import ReportValue, UnitReport
from portal.review import reviews
from portal.unit_of_work import unit_of_work
from tenants.access import unit_or_404, visible_or_404
from tenants.membership import REVIEW_ROLES

bp = Blueprint("outliers", __name__)


# ---- the framework owner's rules -----------------------------------------------------------


def _owned_framework(framework_id: int) -> Framework:
    framework = visible_or_404(Framework, framework_id)
    if not g.reach.owns_frameworks_of(framework.owner_unit_id):
        abort(403)
    return framework


@bp.route("/frameworks/<int:framework_id>/outliers")
@login_required
def rules(framework_id: int) -> ResponseReturnValue:
    framework = _owned_framework(framework_id)
    return render_template("outliers/rules.html", **vars(rules_page(framework)))


@bp.route("/frameworks/<int:framework_id>/outliers", methods=["POST"])
@login_required
def save_rules(framework_id: int) -> ResponseReturnValue:
    """One form per rule: "save" (create or change), "generate" (bounds from a year's
    values), "delete"."""
    framework = _owned_framework(framework_id)
    action = request.form.get("action", "save")
    rule_id = request.form.get("rule_id", type=int)
    rule = visible_or_404(OutlierRule, rule_id) if rule_id else None
    if action in ("generate", "delete") and (rule is None or rule.framework_id != framework.id):
        return _rules_with_problems(framework, {"": _("Choose a rule of this framework.")})
    period_id = request.form.get("period_id", type=int)
    period = visible_or_404(ReportingPeriod, period_id) if period_id else None
    try:
        with unit_of_work():
            if action == "save":
                save_rule(framework, request.form.to_dict(), current_user.id)
            elif action == "generate" and rule is not None:
                if period is None:
                    raise OutlierError({"period_id": _("Choose the year to generate from.")})
                generate_bounds(rule, period, current_user.id)
            elif action == "delete" and rule is not None:
                delete_rule(rule)
            else:
                raise OutlierError({"": _("Unknown action.")})
    except OutlierError as exc:
        return _rules_with_problems(framework, exc.problems)
    flash(_("The outlier rules were saved."), "success")
    return redirect(url_for("outliers.rules", framework_id=framework.id), 303)


def _rules_with_problems(framework: Framework, problems: dict[str, str]) -> ResponseReturnValue:
    return render_template("outliers/rules.html", problems=problems,
                           **vars(rules_page(framework))), 422


# ---- the panel of a value ------------------------------------------------------------------


def _value_or_404(report_id: int, value_id: int) -> tuple[UnitReport, ReportValue]:
    report = visible_or_404(UnitReport, report_id)
    row = report_part(ReportValue, report, value_id)
    if row is None:
        abort(404)
    return report, row


def _panel(report: UnitReport, row: ReportValue, problems: dict[str, str] | None = None,
           code: int = 200) -> ResponseReturnValue:
    return render_template("outliers/panel.html", problems=problems or {},
                           **vars(value_panel(report, row, g.reach))), code


@bp.route("/reports/<int:report_id>/values/<int:value_id>/panel")
@login_required
def panel(report_id: int, value_id: int) -> ResponseReturnValue:
    report, row = _value_or_404(report_id, value_id)
    return _panel(report, row)


@bp.route("/reports/<int:report_id>/values/<int:value_id>/comments", methods=["POST"])
@login_required
def comment(report_id: int, value_id: int) -> ResponseReturnValue:
    report, row = _value_or_404(report_id, value_id)
    if side_of(g.reach, report) is None:
        abort(403)
    try:
        with unit_of_work():
            post_comment(report, row, g.reach, current_user.id, request.form.get("body", ""))
    except PanelError as exc:
        return _panel(report, row, exc.problems, 422)
    return redirect(url_for("outliers.panel", report_id=report.id, value_id=row.id)
                    + "#comments", 303)


@bp.route("/reports/<int:report_id>/values/<int:value_id>/follow-up", methods=["POST"])
@login_required
def follow_up(report_id: int, value_id: int) -> ResponseReturnValue:
    report, row = _value_or_404(report_id, value_id)
    if not reviews(g.reach, report.unit_id):
        abort(403)
    try:
        with unit_of_work():
            set_follow_up(row, current_user.id, request.form.get("flagged", ""),
                          request.form.get("reason", ""))
    except PanelError as exc:
        return _panel(report, row, exc.problems, 422)
    return redirect(url_for("outliers.panel", report_id=report.id, value_id=row.id), 303)


# ---- the reviewer's list over a subtree ----------------------------------------------------


@bp.route("/units/<code>/follow-ups")
@login_required
def follow_ups(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    if not g.reach.holds_above(unit.id, REVIEW_ROLES):
        abort(403)
    page = follow_ups_page(unit, request.args.get("period_id", type=int))
    return render_template("outliers/follow_ups.html", **vars(page))
