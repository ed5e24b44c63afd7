"""Background jobs on RQ (Redis), named by purpose; in-process when no Redis is configured.

Jobs take ids, never ORM objects. Under ``flask worker`` each job runs in a forked work
horse, in an app context of its own with the inherited connections dropped
(``portal.worker``); in-process it runs in the caller's. A job never builds an app: that
would import the composition root (``composition``), which imports everything. A killed
worker can make RQ run a job twice, so every job is idempotent.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from portal.extensions import db

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

QUEUES = ("consolidation", "exports", "notifications")


class JobsUnavailable(RuntimeError):
    """The queue cannot take the job now (Redis is down)."""


def redis_connection() -> Redis:
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2,
                          socket_timeout=5)


def enqueue(queue: str, func: Callable, *args: object, job_id: str,
            timeout: str = "30m") -> str:
    """Queue ``func(*args)``; without Redis, run it here and now. Returns the job id."""
    if not current_app.config.get("REDIS_URL"):
        func(*args)
        return job_id
    from redis.exceptions import RedisError
    from rq import Queue, Retry

    try:
        Queue(queue, connection=redis_connection()).enqueue(
            func, *args, job_id=job_id, job_timeout=timeout, result_ttl=3600,
            failure_ttl=7 * 86400, retry=Retry(max=2, interval=[10, 60]))
    except RedisError as exc:
        log.warning("cannot queue %s: %s", job_id, exc)
        raise JobsUnavailable(str(exc)) from exc
    return job_id


_PENDING = "jobs to queue once the transaction commits"
_READY = "jobs whose transaction committed, to queue once it has ended"


def enqueue_after_commit(queue: str, func: Callable, *args: object, job_id: str) -> None:
    """Queue ``func(*args)`` once the current transaction commits; never if it rolls back.

    For work that must not slow or fail the transaction that asks for it (an e-mail
    through a slow SMTP server): the job is handed over after the commit, and a queue
    that cannot take it then is logged, not raised (the job's own catch-up sends it
    later). Without Redis the job runs in-process right after the commit, in a
    transaction of its own. Savepoints are ignored: only the outer transaction counts.
    """
    db.session.info.setdefault(_PENDING, []).append((queue, func, args, job_id))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.get_nested_transaction() is None:     # the outer transaction, not a savepoint
        session.info.setdefault(_READY, []).extend(session.info.pop(_PENDING, []))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    if session.get_nested_transaction() is None:
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # after_commit cannot emit SQL (the transaction is finishing); here it has ended, so an
    # in-process job may open a transaction of its own
    if transaction.parent is not None or transaction.nested:
        return
    for queue, func, args, job_id in session.info.pop(_READY, []):
        try:
            enqueue(queue, func, *args, job_id=job_id)
        except Exception:
            log.exception("job %s not run after the commit", job_id)
            session.rollback()


def job_progress(percent: int, step: str) -> None:
    """Tell RQ how far the current job is (``job.meta``); no-op outside a worker."""
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta.update({"progress": percent, "step": step})
        job.save_meta()


def in_app_context(func: Callable) -> Callable:
    """Mark a job function: it runs in an app context it never builds itself.

    In-process (no Redis) that is the caller's; under ``flask worker`` it is the one
    :class:`portal.worker.AppWorker` pushes in each forked work horse, on connections of
    the horse's own. A job run by anything else (a bare ``rq worker``) fails loudly.
    """

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        if not has_app_context():
            raise RuntimeError(f"job {func.__qualname__} needs an app context: run the "
                               "worker with `flask worker` (portal.worker.AppWorker)")
        return func(*args, **kwargs)

    return wrapper
