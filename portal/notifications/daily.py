"""A job run once a day at a Vietnam-time hour by RQ's scheduler, booked again if lost.

The reminders (``reminders-<day>``) and the daily digest of workflow notices
(``digest-<day>``) are both such runs. Each scheduled run books the next one; the worker
calls :func:`ensure_booked` at start and at every maintenance pass (``portal.worker``), so
a Redis restart (which empties ``rq:scheduled:notifications``) does not end them, and a
day whose hour passed while its booking was lost is caught up once. Without Redis nothing
is booked (run them with the ``flask`` commands).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app

from portal import clock

log = logging.getLogger(__name__)

QUEUE = "notifications"
KEPT = 7 * 86400    # a run's result stays this long: a later pass sees the day was run


@dataclass(frozen=True)
class DailyRun:
    """``job(day: str, reschedule: bool)``, run every day at the hour ``hour_setting`` says."""

    name: str                   # the job ids' prefix: "<name>-<YYYY-MM-DD>"
    job: Callable[[str, bool], str]
    hour_setting: str           # the config key of the hour (Vietnam time), default 7

    def hour(self) -> int:
        return int(current_app.config.get(self.hour_setting, 7))

    def job_id(self, day: date) -> str:
        return f"{self.name}-{day.isoformat()}"


def ensure_booked(run: DailyRun, handled: set[str] | None = None) -> str | None:
    """Book the daily run again if Redis lost it; catch up today's run once if it is missed.

    When today's hour has passed and today's run is not in Redis (neither booked, nor run:
    its result is kept 7 days), today's run is queued now, once: its id makes a second
    pass find it. ``handled`` (the worker's memory, which outlives a Redis restart) holds
    the days whose run was seen queued, running or done: such a day is not caught up
    again when Redis forgets it. Returns what it booked or queued.
    """
    if not current_app.config.get("REDIS_URL"):
        return None
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from portal.jobs import redis_connection

    now = clock.now().astimezone(clock.LOCAL)
    connection = redis_connection()
    today = now.date()
    job_id = run.job_id(today)
    handled = handled if handled is not None else set()
    if job_id not in handled:
        try:
            if Job.fetch(job_id, connection=connection).get_status() != "scheduled":
                handled.add(job_id)      # queued, running or done: today is taken care of
        except NoSuchJobError:
            pass
    if now.hour >= run.hour() and job_id not in handled \
            and not Job.exists(job_id, connection=connection):
        log.warning("today's %s run was not made (Redis lost the booking): running now",
                    run.name)
        Queue(QUEUE, connection=connection).enqueue(
            run.job, today.isoformat(), True, job_id=job_id, result_ttl=KEPT)
        handled.add(job_id)
        return job_id                    # the run books the next day itself
    return book(run)


def book(run: DailyRun, day: date | None = None) -> str | None:
    """Book the run of ``day`` (default: the next one due) with RQ's scheduler, once.

    Returns the job id, or None without Redis.
    """
    if not current_app.config.get("REDIS_URL"):
        return None
    from rq import Queue
    from rq.job import Job

    from portal.jobs import redis_connection

    hour = run.hour()
    now = clock.now().astimezone(clock.LOCAL)
    if day is None:
        day = now.date() if now.hour < hour else now.date() + timedelta(days=1)
    job_id = run.job_id(day)
    connection = redis_connection()
    if Job.exists(job_id, connection=connection):
        return job_id
    at = datetime.combine(day, time(hour), tzinfo=clock.LOCAL)
    Queue(QUEUE, connection=connection).enqueue_at(
        at, run.job, day.isoformat(), True, job_id=job_id, result_ttl=KEPT)
    return job_id
