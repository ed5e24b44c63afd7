"""``GET /health``: 200 when the database (and Redis, if configured) answer, else 503.

Public and cheap: it reads no tenant data and says nothing but "ok" or "down".
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from portal.extensions import limiter
from portal.health import check

bp = Blueprint("health", __name__)


@bp.route("/health")
@limiter.exempt
def health() -> ResponseReturnValue:
    status = check()
    healthy = all(v in ("ok", "not configured") for v in status.values())
    return jsonify({"status": "ok" if healthy else "down", **status}), 200 if healthy else 503
