"""Reads that may go to a streaming replica, writes that stay on the primary.

With ``READ_DATABASE_URL`` set (docs/operations.md § A read replica), the GET requests
that only read — the dashboards and their exports, the audit pages, the document and
workbook exports, the API's GETs — run their statements on the replica's engine
(Flask-SQLAlchemy's bind ``replica``, with the same row-level security settings and the
same ORM guard: both are per statement and per session, not per engine). Everything
else, and anything flushed, uses the primary.

Read-your-writes: a request that wrote something remembers the primary's WAL position
after its commit (``pg_current_wal_lsn()``) in the person's session. Until the replica
has replayed past it (``pg_last_wal_replay_lsn()``), that person's reads stay on the
primary; so someone who has just submitted sees the submission on the next page,
whatever the replica's lag. A replica that cannot be reached sends the reads to the
primary too.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request, session
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession

log = logging.getLogger(__name__)

BIND = "replica"
LSN_KEY = "primary_lsn"
# Pages that read only (their blueprints), and exports of any blueprint by their suffix.
READ_BLUEPRINTS = frozenset({"dashboard", "audit", "api"})
EXPORT_SUFFIXES = (".docx", ".xlsx", ".csv")


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, sending a read-only request's statements to the
    replica chosen for it (``g.read_engine``); a flush always goes to the primary."""

    def get_bind(self, mapper: Any | None = None, clause: Any | None = None,
                 bind: sa.engine.Engine | sa.engine.Connection | None = None,
                 **kwargs: Any) -> sa.engine.Engine | sa.engine.Connection:
        if bind is None and not self._flushing and has_request_context():
            engine = g.get("read_engine")
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def replica_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def reads_only(method: str, blueprint: str | None, path: str) -> bool:
    """A request whose statements may go to the replica."""
    if method not in ("GET", "HEAD"):
        return False
    return blueprint in READ_BLUEPRINTS or path.endswith(EXPORT_SUFFIXES)


def replica_has_passed(engine: sa.engine.Engine, lsn: str) -> bool:
    with engine.connect() as connection:
        return bool(connection.execute(sa.text(
            "SELECT coalesce(pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn), false)"),
            {"lsn": lsn}).scalar())


def register(app: Flask, db: Any) -> None:
    """Route reads when ``READ_DATABASE_URL`` is set (its engine is the bind ``replica``)."""
    if not app.config.get("READ_DATABASE_URL"):
        return
    with app.app_context():
        replica = db.engines[BIND]

    @app.before_request
    def _choose_engine() -> None:
        g.read_engine = None
        if not reads_only(request.method, request.blueprint, request.path):
            return
        lsn = session.get(LSN_KEY)
        if lsn:
            try:
                passed = replica_has_passed(replica, lsn)
            except SQLAlchemyError as exc:
                log.warning("replica unreachable, reading from the primary: %s",
                            str(exc).splitlines()[0])
                return
            if not passed:
                return          # this person's last write is not on the replica yet
            session.pop(LSN_KEY, None)
        g.read_engine = replica

    @app.after_request
    def _remember_write(response: Any) -> Any:
        # (the API's callers keep no session: its reads after a write are theirs to order)
        if g.pop("wrote", False) and not request.path.startswith("/api/"):
            try:
                with db.engine.connect() as connection:
                    session[LSN_KEY] = str(connection.execute(
                        sa.text("SELECT pg_current_wal_lsn()")).scalar())
            except SQLAlchemyError as exc:
                log.warning("could not read the primary's WAL position: %s",
                            str(exc).splitlines()[0])
        return response


@sa.event.listens_for(OrmSession, "after_flush")
def _note_write(flushed: OrmSession, _context: object) -> None:
    """A request that flushed a change remembers the primary's position after it."""
    if has_request_context() and (flushed.new or flushed.dirty or flushed.deleted):
        g.wrote = True
