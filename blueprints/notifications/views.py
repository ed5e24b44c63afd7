"""A person's notifications (report reminders) and whether they also come by e-mail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.notifications.inbox import mark_all_read, notices_of, unread_count
from portal.unit_of_work import unit_of_work
from tenants.scoping import current_scope

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _unread() -> dict:
    def unread_notifications() -> int:
        if not current_user.is_authenticated or current_scope() is None:
            return 0   # e.g. an error page drawn before the request's scope was bound
        return unread_count(current_user.id)
    return {"unread_notifications": unread_notifications}


@bp.route("/notifications")
@login_required
def index() -> ResponseReturnValue:
    return render_template("notifications/index.html", notices=notices_of(current_user.id))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read() -> ResponseReturnValue:
    with unit_of_work():
        mark_all_read(current_user.id)
    return redirect(url_for("notifications.index"), 303)


@bp.route("/notifications/email", methods=["POST"])
@login_required
def email_preference() -> ResponseReturnValue:
    choice = request.form.get("email_reminders")
    if choice not in ("on", "off"):
        flash(_("Choose whether reminders also come by e-mail."), "danger")
        return redirect(url_for("notifications.index"), 303)
    with unit_of_work():
        current_user.email_reminders = choice == "on"
    flash(_("Reminders will also come by e-mail.") if choice == "on"
          else _("Reminders will no longer come by e-mail; you still see them here."),
          "success")
    return redirect(url_for("notifications.index"), 303)
