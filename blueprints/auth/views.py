"""Sign in, sign out, change password, choose the language."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.auth.forms import ChangePasswordForm, LanguageForm, LoginForm
from blueprints.safe_redirect import safe_next
from portal.accounts.service import authenticate, change_password, normalize_username
from portal.extensions import db, limiter

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    return "login-account:" + normalize_username(request.form.get("username", ""))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("units.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            db.session.commit()   # the failed attempt counts towards the lockout
            form.password.errors.append(_("User name or password is not correct, or the "  # type: ignore[attr-defined]  # a list at run time
                                          "account is locked for a while after too many "
                                          "attempts."))
        else:
            session.clear()  # a fresh session on sign-in (no fixation)
            login_user(user, remember=form.remember.data)
            db.session.commit()
            if user.must_change_password:
                flash(_("Please choose a new password before you continue."), "warning")
                return redirect(url_for("auth.password"))
            return redirect(safe_next(form.next.data))
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("auth/login.html", form=form), status


@bp.before_app_request
def _password_first() -> ResponseReturnValue | None:
    """An account given a temporary password changes it before anything else (pages only:
    the API acts with tokens the person created themselves)."""
    if request.endpoint in _ALWAYS_OPEN or request.path.startswith("/api/"):
        return None
    user = current_user._get_current_object() if current_user else None
    if user is not None and user.is_authenticated and user.must_change_password:
        return redirect(url_for("auth.password"))
    return None


_ALWAYS_OPEN = {"auth.password", "auth.logout", "auth.login", "auth.set_language", "static",
                "health.health", None}


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        problems = change_password(current_user, form.current.data, form.new.data)
        if not problems:
            db.session.commit()
            # re-issue the cookie with the new session version (the user, not the proxy:
            # Flask-Login would store the proxy in g and later reads would recurse)
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed; other sessions were signed out."),
                  "success")
            return redirect(url_for("units.home"))
        form.new.errors = list(form.new.errors) + problems
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("auth/password.html", form=form), status


@bp.route("/language", methods=["POST"])
def set_language() -> ResponseReturnValue:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data))
