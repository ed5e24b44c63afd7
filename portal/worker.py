"""The worker entry point: one app, and a work horse per job on connections of its own.

``flask worker`` builds the app once (the Flask CLI does, from ``FLASK_APP``) and runs an
:class:`AppWorker` on it. RQ forks a work horse per job; the horse is a copy of the
worker, with the worker's app context and the engine's pool of connections in it. A
connection shared by two processes interleaves their traffic on one socket, so before
the job the horse pushes a fresh app context (its own session) and drops the inherited
pool without closing it (``dispose(close=False)``: the sockets stay the worker's). After
the job the horse closes what it opened. Job functions never build an app themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue, Worker
from rq.job import Job

from portal.extensions import db
from portal.jobs import QUEUES


class AppWorker(Worker):
    """An RQ worker whose forked work horses run each job in ``app`` on fresh connections."""

    def __init__(self, queues: Iterable[str | Queue], *, app: Flask, connection: Redis,
                 **kwargs: Any) -> None:
        super().__init__(list(queues), connection=connection, **kwargs)  # type: ignore[arg-type]  # RQ takes names and queues mixed
        self.app = app

    def perform_job(self, job: Job, queue: Queue) -> bool:
        """Run the job; in a forked work horse, in a context and on connections of its own."""
        if not self.is_horse:  # RQ calls this in the horse only; stay correct if it did not
            return super().perform_job(job, queue)
        with self.app.app_context():
            db.engine.dispose(close=False)  # forget the worker's sockets, never close them
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()
                db.engine.dispose()  # close the horse's own connections before it exits


def build_worker(app: Flask, queues: Iterable[str | Queue] = QUEUES, *,
                 connection: Redis) -> AppWorker:
    """The worker ``flask worker`` runs: the platform's queues, bound to ``app``."""
    return AppWorker(queues, app=app, connection=connection)
