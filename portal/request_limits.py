"""Limits on request bodies: how large, and for JSON how deeply nested.

- Python's JSON reader recurses once per level: 100,000 nested ``[`` raised
  ``RecursionError`` out of ``request.get_json`` — a 500 — on every API route taking a
  body. The app's JSON provider refuses a body nested deeper than ``MAX_JSON_DEPTH`` (or
  too deep to read at all) with a 400 JSON error naming the limit, whichever view asked.
- Sizes, per kind of request (413 beyond): a body sent to ``/api/`` at most
  ``API_MAX_BODY``; a form that is not an upload at most ``FORM_MAX_BODY`` (before, both
  were bounded only by ``MAX_CONTENT_LENGTH``, 20 MB: a 19 MB narrative was accepted); an
  upload (multipart) keeps ``MAX_CONTENT_LENGTH`` (20 MB), its text fields Flask's 500 KB
  each. The largest texts people type are bounded in the domain (portal/limits.py), well
  inside these: a report section of 50,000 Vietnamese characters is ~130 KB as a form.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

MAX_JSON_DEPTH = 32        # the API's deepest body (a report) is 3 levels deep
API_MAX_BODY = 2 * 1024 * 1024
# (an account import's confirmation carries its file of up to 2 MB back, base64-encoded)
FORM_MAX_BODY = 4 * 1024 * 1024


class JSONTooDeep(Exception):
    """A JSON body nested deeper than ``MAX_JSON_DEPTH``. Not a ValueError, on purpose:
    ``get_json(silent=True)`` would take it for "no body" and answer vaguely."""


def depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else \
            item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


class LimitedJSONProvider(DefaultJSONProvider):
    """The default provider, but a body nested too deeply is refused, not a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as exc:
            raise JSONTooDeep from exc
        if depth(value) > MAX_JSON_DEPTH:
            raise JSONTooDeep
        return value


def register(app: Flask) -> None:
    app.json = LimitedJSONProvider(app)

    def _body_limits() -> None:
        ceiling = app.config.get("MAX_CONTENT_LENGTH")
        if request.path.startswith("/api/"):
            request.max_content_length = min(API_MAX_BODY, ceiling or API_MAX_BODY)
        elif request.mimetype != "multipart/form-data":
            request.max_content_length = min(FORM_MAX_BODY, ceiling or FORM_MAX_BODY)

    # First of all: the limit holds only if it is set before anything opens the body
    # (portal.errors' NUL-byte check reads the form).
    app.before_request_funcs.setdefault(None, []).insert(0, _body_limits)

    @app.errorhandler(JSONTooDeep)
    def _too_deep(_exc: JSONTooDeep) -> ResponseReturnValue:
        from portal.errors import error_response

        return error_response(400, "too_deep", _(
            "The JSON body is nested more than %(max)d levels deep; nothing was read.",
            max=MAX_JSON_DEPTH))
