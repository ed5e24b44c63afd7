"""Who acts next, for the reviewers: the worklist of reports waiting for them, and the
units below a unit that have not reported, with reminders sent by hand (issue 16).

Same shape as the other pages: load through the guard (404), check the role (403), read
a model of ``portal.reports.worklist`` / ``portal.notifications.reminding``; sending a
reminder is one domain call inside ``unit_of_work()``, its e-mails queued after commit.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from portal.jobs import JobsUnavailable
from portal.notifications.reminding import (
    ReminderError,
    missing_page,
    out_of_reach,
    queue_emails,
    send_manual_reminder,
)
from portal.reports.workflow import chosen_period
from portal.reports.worklist import reviewing_units, waiting_count, worklist
from portal.unit_of_work import unit_of_work
from tenants.access import unit_or_404
from tenants.membership import REVIEW_ROLES
from tenants.scoping import current_scope
from tenants.unit import Unit

bp = Blueprint("review", __name__)


@bp.app_context_processor
def _waiting() -> dict:
    def waiting_reports() -> int | None:
        """Reports waiting for the caller (the header's badge); None if they review none."""
        reach = g.get("reach")
        if not current_user.is_authenticated or current_scope() is None or reach is None \
                or not (reach.platform_admin or reviewing_units(reach)):
            return None
        return waiting_count(reach)
    return {"waiting_reports": waiting_reports}


@bp.route("/review", endpoint="worklist")
@login_required
def worklist_view() -> ResponseReturnValue:
    if not (g.reach.platform_admin or reviewing_units(g.reach)):
        abort(403)
    page = worklist(g.reach, request.args.get("status"), request.args.get("child", type=int))
    return render_template("review/worklist.html", page=page)


def _reviewer_unit_or_404(code: str) -> Unit:
    """The unit, if the caller sees it (else 404) and reviews below it (else 403)."""
    unit = unit_or_404(code)
    if not g.reach.holds_above(unit.id, REVIEW_ROLES):
        abort(403)
    return unit


@bp.route("/units/<code>/missing")
@login_required
def missing(code: str) -> ResponseReturnValue:
    unit = _reviewer_unit_or_404(code)
    page = missing_page(unit, request.args.get("period_id", type=int), g.reach)
    return render_template("review/missing.html", **vars(page))


@bp.route("/units/<code>/missing", methods=["POST"])
@login_required
def remind(code: str) -> ResponseReturnValue:
    unit = _reviewer_unit_or_404(code)
    period = chosen_period(unit, request.form.get("period_id", type=int))
    if period is None:
        abort(422)
    back = redirect(url_for("review.missing", code=unit.code, period_id=period.id), 303)
    try:
        chosen = [int(v) for v in request.form.getlist("unit_id")]
    except ValueError:
        abort(404)
    if out_of_reach(unit, period, chosen):
        abort(404)
    try:
        with unit_of_work():
            outcome = send_manual_reminder(unit, period, chosen, current_user.id,
                                           request.form.get("key", ""),
                                           request.form.get("message", ""))
    except ReminderError as exc:
        for problem in exc.messages:
            flash(problem, "danger")
        return back
    except IntegrityError:      # the same form, posted twice at the same moment
        flash(_("This reminder was already sent."), "info")
        return back
    if outcome.repeated:
        flash(_("This reminder was already sent."), "info")
        return back
    try:
        queue_emails(outcome)
    except JobsUnavailable:
        flash(_("The reminders were recorded, but their e-mails cannot be sent now; "
                "the notices are on the platform."), "warning")
    if outcome.reminded:
        flash(_("Reminder sent to: %(units)s.",
                units="; ".join(u.name for u in outcome.reminded)), "success")
    if outcome.already_today:
        flash(_("Already reminded today, not sent again: %(units)s.",
                units="; ".join(u.name for u in outcome.already_today)), "info")
    if outcome.reported:
        flash(_("Have reported in the meantime, not reminded: %(units)s.",
                units="; ".join(u.name for u in outcome.reported)), "info")
    return back
