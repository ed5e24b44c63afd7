"""Error pages for people, error bodies for programs (``{"error": {code, message}}``)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str):  # type: ignore[no-untyped-def]
    if wants_json():
        return jsonify({"error": {"code": code, "message": message}}), status
    template = "errors/partial.html" if request.headers.get("HX-Request") else "errors/page.html"
    return render_template(template, status=status, message=message), status


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
    def _csrf(_exc: CSRFError):  # type: ignore[no-untyped-def]
        return error_response(400, "csrf", _(
            "The form has expired or did not come from this site. Reload the page and "
            "submit it again; nothing was saved."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        code, message = messages.get(status, ("error", lambda: exc.description or ""))
        return error_response(status, code, message())

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        if app.testing:
            raise exc  # tests see the traceback, not a polite page
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(500, "internal", _(
            "Something went wrong on our side; nothing was saved. Try again, and tell "
            "your administrator if it happens again."))
