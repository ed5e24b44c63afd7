"""A person's notifications (report reminders) and whether they also come by e-mail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Select, func, select, update

from portal import clock
from portal.extensions import db
from portal.notifications.notification import Notification
from portal.unit_of_work import unit_of_work
from tenants.scoping import current_scope

bp = Blueprint("notifications", __name__)


def _mine() -> Select[tuple[Notification]]:
    """The signed-in person's notices (the tenant scope also keeps them to units in reach)."""
    return select(Notification).where(Notification.user_id == current_user.id)


@bp.app_context_processor
def _unread() -> dict:
    def unread_notifications() -> int:
        if not current_user.is_authenticated or current_scope() is None:
            return 0   # e.g. an error page drawn before the request's scope was bound
        return db.session.scalar(select(func.count()).select_from(_mine().where(
            Notification.read_at.is_(None)).subquery())) or 0
    return {"unread_notifications": unread_notifications}


@bp.route("/notifications")
@login_required
def index() -> ResponseReturnValue:
    notices = db.session.scalars(_mine().order_by(Notification.created_at.desc(),
                                                  Notification.id.desc()).limit(200)).all()
    return render_template("notifications/index.html", notices=notices)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read() -> ResponseReturnValue:
    with unit_of_work():
        db.session.execute(update(Notification).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None))
            .values(read_at=clock.now()))
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
