"""Background jobs on RQ (Redis), named by purpose; in-process when no Redis is configured.

Jobs take ids, never ORM objects. In a worker each job runs in an app context of its
own with the engine's inherited connections disposed (RQ forks a work horse per job).
A killed worker can make RQ run a job twice, so every job is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import current_app, has_app_context

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


def job_progress(percent: int, step: str) -> None:
    """Tell RQ how far the current job is (``job.meta``); no-op outside a worker."""
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta.update({"progress": percent, "step": step})
        job.save_meta()


_worker_app = None


def in_app_context(func: Callable) -> Callable:
    """Run a job function in an app context (its own in a worker, the caller's in-process)."""

    def wrapper(*args: object, **kwargs: object) -> object:
        global _worker_app
        if has_app_context():
            return func(*args, **kwargs)
        if _worker_app is None:
            from portal.app import create_app

            _worker_app = create_app()
        with _worker_app.app_context():
            from portal.extensions import db

            db.engine.dispose(close=False)  # never reuse the parent process's sockets
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    wrapper.__name__ = func.__name__
    wrapper.__module__ = func.__module__
    wrapper.__qualname__ = func.__qualname__
    return wrapper
