"""Is the platform able to serve? The database answers, and Redis if one is configured."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db


def check() -> dict[str, str]:
    """``{"database": "ok" | "down", "redis": "ok" | "down" | "not configured"}``."""
    from redis.exceptions import RedisError

    from portal.jobs import redis_connection

    status = {}
    try:
        db.session.execute(text("SELECT 1"))   # touches no tenant table
        status["database"] = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        status["database"] = "down"
    if not current_app.config.get("REDIS_URL"):
        status["redis"] = "not configured"
    else:
        try:
            redis_connection().ping()
            status["redis"] = "ok"
        except RedisError:
            status["redis"] = "down"
    return status
