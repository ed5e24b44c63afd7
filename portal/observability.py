"""Structured logs: one JSON object per line, with the request id and the unit.

Every request gets an id — the proxy's ``X-Request-ID`` if it sends a sane one, a new
one otherwise — which is echoed in the response, written into the audit log and put on
every log line of that request, with the signed-in account and the unit of the URL.
``LOG_FORMAT=text`` gives plain lines for a developer's terminal.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("portal.access")


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``user`` and ``unit`` to every record made in a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "")
            user_id = g.get("user_id")
            record.user = user_id if user_id is not None else ""
            record.unit = (request.view_args or {}).get("code", "")
        else:
            record.request_id = record.user = record.unit = ""
        return True


class JsonFormatter(logging.Formatter):
    FIELDS = ("request_id", "user", "unit", "method", "path", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.FIELDS:
            value = getattr(record, field, "")
            if value not in ("", None):
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, fmt: str) -> None:
    """Root logging to stderr, JSON unless ``fmt == "text"``; idempotent."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if getattr(handler, "_portal", False):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler._portal = True  # type: ignore[attr-defined]  # our marker, read back above
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if fmt != "text" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s user=%(user)s unit=%(unit)s] "
        "%(message)s"))
    root.addHandler(handler)


def register(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SANE_ID.match(given) else secrets.token_hex(8)
        g.request_started = time.perf_counter()

    @app.after_request
    def _access_log(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.endpoint == "static" or not app.config.get("ACCESS_LOG"):
            return response
        started = g.get("request_started")
        access_log.info("%s %s %s", request.method, request.path, response.status_code,
                        extra={"request_id": g.get("request_id", ""),
                               "user": g.get("user_id") or "",
                               "unit": (request.view_args or {}).get("code", ""),
                               "method": request.method, "path": request.path,
                               "status": response.status_code,
                               "duration_ms": round((time.perf_counter() - started) * 1000, 1)
                               if started else None})
        return response
