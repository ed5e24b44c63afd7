"""Error pages for people, error bodies for programs (``{"error": {code, message}}``)."""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from portal.accounts.hash_gate import HashingBusy
from portal.extensions import db
from portal.problems import DomainError


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str,
                   problems: dict[str, str] | None = None) -> ResponseReturnValue:
    """The refusal as JSON for programs, a fragment for htmx, a page for people.

    ``problems`` (field -> message) are listed one by one; JSON carries them as ``fields``.
    """
    if wants_json():
        body: dict = {"code": code, "message": message}
        if problems:
            body["fields"] = problems
        return jsonify({"error": body}), status
    template = "errors/partial.html" if request.headers.get("HX-Request") else "errors/page.html"
    listed = [p for p in (problems or {}).values() if p != message]
    return render_template(template, status=status, message=message, problems=listed), status


def register(app: Flask) -> None:
    messages = {
        400: ("bad_request", lambda: _("The request could not be understood.")),
        401: ("unauthorized", lambda: _("Sign in (or send a valid API token) to continue.")),
        403: ("forbidden", lambda: _("You do not have permission to do this.")),
        404: ("not_found", lambda: _("There is nothing here, or you may not see it.")),
        405: ("method_not_allowed", lambda: _("This address does not accept that method.")),
        413: ("too_large", lambda: _("The upload is too large.")),
        429: ("rate_limited", lambda: _("Too many attempts. Wait a minute and try again.")),
    }

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> ResponseReturnValue:
        return error_response(400, "csrf", _(
            "The form has expired or did not come from this site. Reload the page and "
            "submit it again; nothing was saved."))

    @app.errorhandler(DomainError)
    def _refused(exc: DomainError) -> ResponseReturnValue:
        """A domain rule refused and no view answered for it: every problem, nothing kept."""
        db.session.rollback()
        return error_response(422, "unprocessable", _(
            "Nothing was saved: correct what is listed below and try again.")
            if len(exc.problems) > 1 else exc.messages[0] if exc.messages else _(
            "Nothing was saved."), exc.problems)

    @app.errorhandler(HashingBusy)
    def _hashing_busy(exc: HashingBusy) -> ResponseReturnValue:
        """Every password-hashing slot of the machine stayed taken (a burst of sign-ins):
        a polite 503, nothing changed; the people already signed in are served meanwhile."""
        db.session.rollback()
        response = make_response(error_response(503, "busy", exc.messages[0]))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(OverflowError)
    def _number_too_large(_exc: OverflowError) -> ResponseReturnValue:
        """An id or a year in the address or the body past what the database can hold
        (SQLite's 64-bit integers): no such record, whatever the caller typed."""
        db.session.rollback()
        return error_response(404, "not_found", _(
            "There is nothing here, or you may not see it."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        code, message = messages.get(status, ("error", lambda: exc.description or ""))
        return error_response(status, code, message())

    @app.before_request
    def _refuse_nul_bytes() -> ResponseReturnValue | None:
        """A NUL byte is in no code, name or text people type, and PostgreSQL can store
        none: refuse it at the door (400) rather than fail at the database (500)."""
        values = [request.path, *(v for vs in request.args.listvalues() for v in vs)]
        if request.form:
            values += [v for vs in request.form.listvalues() for v in vs]
        if any("\x00" in value for value in values):
            return error_response(400, "bad_request", _("The request could not be understood."))
        return None

    @app.errorhandler(DataError)
    def _value_not_storable(exc: DataError) -> ResponseReturnValue:
        """A value the database cannot take (too long, out of range) that no check caught:
        a clear refusal, nothing saved — and a log line, as a check is missing."""
        app.logger.warning("value refused by the database on %s %s: %s", request.method,
                           request.path, str(exc.orig).splitlines()[0] if exc.orig else exc)
        db.session.rollback()
        return error_response(422, "unprocessable", _(
            "A value could not be saved (too long, or out of range); nothing was saved. "
            "Check what you entered and try again."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc: Exception) -> Response:
        """The database went away (restart, failover, network): say so, and keep serving.

        The pool pings connections before use, so the next request after the database is
        back gets a fresh connection; nothing needs restarting.
        """
        app.logger.warning("database unavailable on %s %s: %s", request.method,
                           request.path, str(exc).splitlines()[0] if str(exc) else exc)
        try:
            db.session.rollback()
        except SQLAlchemyError:
            db.session.remove()
        message = _("The database is not answering right now; nothing was saved. Wait a "
                    "moment and try again.")
        if wants_json():
            response = jsonify({"error": {"code": "database_unavailable", "message": message}})
        else:
            # Rendered without the context processors: Flask-Login's would load the
            # account, from the database that is not there.
            name = ("errors/partial.html" if request.headers.get("HX-Request")
                    else "errors/unavailable.html")
            response = make_response(app.jinja_env.get_template(name).render(
                message=message, request=request, current_locale=str(get_locale())))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        if app.testing:
            raise exc  # tests see the traceback, not a polite page
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500, "internal", _(
            "Something went wrong on our side; nothing was saved. Try again, and tell "
            "your administrator if it happens again."))
