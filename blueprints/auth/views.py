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
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse

from blueprints.auth.forms import ChangePasswordForm, LanguageForm, LoginForm
from blueprints.safe_redirect import safe_next
from portal.accounts.service import (
    authenticate,
    change_password,
    normalize_username,
    sign_out_everywhere,
)
from portal.extensions import limiter
from portal.unit_of_work import unit_of_work

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    """Refused sign-ins are counted per account *and* address: a stranger's wrong
    passwords stop that stranger, not the account's owner elsewhere (docs/administration.md
    § Sign-in limits and lockout)."""
    return ("login-account:" + normalize_username(request.form.get("username", ""))[:80]
            + "@" + get_remote_address())


KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_DAYS = 90
_KNOWN_DEVICE_MAX = 5      # accounts remembered per browser


def _known_device_ids() -> list[int]:
    """The accounts that signed in from this browser before (a signed cookie)."""
    raw = request.cookies.get(KNOWN_DEVICE_COOKIE, "")
    if not raw:
        return []
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")
    try:
        ids = serializer.loads(raw, max_age=KNOWN_DEVICE_DAYS * 86400)
    except BadData:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def _remember_device(response: BaseResponse, user_id: int) -> BaseResponse:
    ids = [user_id] + [i for i in _known_device_ids() if i != user_id]
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")
    response.set_cookie(KNOWN_DEVICE_COOKIE, serializer.dumps(ids[:_KNOWN_DEVICE_MAX]),
                        max_age=KNOWN_DEVICE_DAYS * 86400, path="/auth/",
                        secure=current_app.config["REMEMBER_COOKIE_SECURE"], httponly=True,
                        samesite="Lax")
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key,
               deduct_when=lambda response: response.status_code == 422)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("units.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        with unit_of_work():   # a failed attempt is kept: it counts towards the lockout
            user = authenticate(form.username.data, form.password.data,  # type: ignore[arg-type]  # DataRequired
                                known_device_ids=_known_device_ids())
            if user is not None:
                session.clear()  # a fresh session on sign-in (no fixation)
                login_user(user, remember=form.remember.data)
        if user is None:
            form.password.errors.append(_("User name or password is not correct, or the "  # type: ignore[attr-defined]  # a list at run time
                                          "account is locked for a while after too many "
                                          "attempts."))
        else:
            if user.must_change_password:
                flash(_("Please choose a new password before you continue."), "warning")
                return _remember_device(redirect(url_for("auth.password")), user.id)
            return _remember_device(redirect(safe_next(form.next.data)), user.id)
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
    user = current_user._get_current_object() if current_user else None
    if user is not None and user.is_authenticated:
        with unit_of_work():
            sign_out_everywhere(user)   # the old cookies, remember-me included, stop working
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
        with unit_of_work():
            problems = change_password(current_user, form.current.data, form.new.data)  # type: ignore[arg-type]  # DataRequired
        if not problems:
            # re-issue the cookie with the new session version (the user, not the proxy:
            # Flask-Login would store the proxy in g and later reads would recurse)
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed; other sessions were signed out."),
                  "success")
            return redirect(url_for("units.home"))
        for name, said in problems.items():     # each message beside its own field
            form[name].errors = list(form[name].errors) + said
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("auth/password.html", form=form), status


@bp.route("/language", methods=["POST"])
def set_language() -> ResponseReturnValue:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data))
