"""A person's notifications (report reminders and workflow steps) and how e-mail reaches them."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.service import AccountError, set_email_delivery
from portal.accounts.user import EmailDelivery
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


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    """The signed-in person's choice: e-mail for each notice at once, a daily digest, none."""
    if request.method == "GET":
        return _settings_page({})
    try:
        with unit_of_work():
            set_email_delivery(current_user, request.form.get("email_delivery", ""))
    except AccountError as exc:
        return _settings_page(exc.problems), 422
    flash(_("Saved: how e-mails reach you."), "success")
    return redirect(url_for("notifications.index"), 303)


def _settings_page(problems: dict[str, str]) -> str:
    return render_template("notifications/settings.html", choices=list(EmailDelivery),
                           problems=problems,
                           digest_hour=int(current_app.config.get("DIGEST_HOUR", 7)))
