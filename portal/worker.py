"""The worker entry point: one app, and a work horse per job on connections of its own.

``flask worker`` builds the app once (the Flask CLI does, from ``FLASK_APP``) and runs an
:class:`AppWorker` on it. RQ forks a work horse per job; the horse is a copy of the
worker, with the worker's app context and the engine's pool of connections in it. A
connection shared by two processes interleaves their traffic on one socket, so before
the job the horse pushes a fresh app context (its own session) and drops the inherited
pool without closing it (``dispose(close=False)``: the sockets stay the worker's). After
the job the horse closes what it opened. Job functions never build an app themselves.

Recovery after a crash is bounded (issue 15, docs/operations.md § Jobs after a crash):

* the maintenance pass runs every ``WORKER_MAINTENANCE_INTERVAL`` seconds (RQ: 600), and
  the idle worker wakes for it (its blocking dequeue is no longer than that);
* a running job's heartbeat is sent every ``WORKER_JOB_MONITORING_INTERVAL`` seconds;
* at start and at every pass, a scheduler lock held by a dead scheduler (its heartbeat
  hash gone or silent, or its process gone from this host) is released, so this worker's
  scheduler takes over at once instead of after the lock's TTL and the next pass;
* a Redis outage no longer ends the worker (:meth:`AppWorker.work` starts RQ's loop again
  once Redis answers, scheduler included); the scheduler itself outlives an outage
  (:class:`SurvivingScheduler`), and one that died anyway is started again at the next
  pass;
* each pass (and the start) settles stuck consolidations and their Word and Excel file
  jobs (``portal.reports.stuck_runs``)
  and books the daily reminders and the daily digest of workflow notices again if Redis
  lost their booking.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.exceptions import StopRequested
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.utils import utcparse

from portal.extensions import db
from portal.jobs import QUEUES

log = logging.getLogger(__name__)

SCHEDULER_SILENT = 10   # seconds without a heartbeat (RQ's scheduler beats every second)


class SurvivingScheduler(RQScheduler):
    """RQ's scheduler, whose loop outlives a Redis outage instead of dying of it.

    RQ's ``work()`` lets a ``ConnectionError`` end the scheduler process, which the
    worker restarts only at its next maintenance pass. This one waits (0.5 s, doubling up
    to 5 s) and goes on; its next heartbeat re-acquires a lock that an emptied Redis lost.
    """

    def work(self) -> None:
        self._install_signal_handlers()
        wait, born = 0.5, False
        while True:
            if self._stop_requested:
                with contextlib.suppress(RedisError):
                    self.stop()
                break
            try:
                if not born:
                    self.register_birth()
                    born = True
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()
                self.enqueue_scheduled_jobs()
                wait = 0.5
            except RedisError as exc:
                self.log.warning("scheduler: Redis unreachable (%s); retrying in %.1f s",
                                 exc, wait)
                born = False
                time.sleep(wait)
                wait = min(wait * 2, 5.0)
                continue
            time.sleep(self.interval)


def release_dead_scheduler_locks(connection: Redis, queues: Iterable[str]) -> list[str]:
    """Free the scheduler locks of schedulers that are dead; the queues freed."""
    from rq.scripts import release_lock

    freed = []
    host = socket.gethostname()
    for name in queues:
        key = RQScheduler.get_locking_key(name)
        owner = connection.get(key)
        if owner is None:
            continue
        owner = owner.decode() if isinstance(owner, bytes) else owner
        beats: dict[bytes, bytes] = connection.hgetall(  # type: ignore[assignment]  # a sync client
            f"rq:scheduler:{owner}")
        data = {k.decode(): v.decode() for k, v in beats.items()}
        ttl: int = connection.ttl(key)  # type: ignore[assignment]  # a sync client
        if not _scheduler_dead(data, host, ttl):
            continue
        release_lock(connection, key, str(owner))
        freed.append(name)
        log.warning("released the scheduler lock of %s, held by dead scheduler %s",
                    name, owner)
    return freed


def _scheduler_dead(data: dict[str, str], host: str, lock_ttl: int) -> bool:
    """Its process is gone from this host, or it has not beaten for SCHEDULER_SILENT s.

    A live scheduler refreshes its lock to ``interval + 60`` (61 s) every second; one
    that just took the lock may not have written its hash yet, so a missing hash counts
    only once the lock itself has gone unrefreshed that long.
    """
    if not data:
        return 0 <= lock_ttl < 61 - SCHEDULER_SILENT
    if data.get("hostname") == host and data.get("pid", "0").isdigit():
        pid = int(data["pid"])
        if pid and not _alive(pid):
            return True                  # its process is gone from this machine
    beat = data.get("last_heartbeat")
    if beat:
        moment = utcparse(beat)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return datetime.now(UTC) - moment > timedelta(seconds=SCHEDULER_SILENT)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:                                  # a zombie (dead, not yet reaped) is dead
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class AppWorker(Worker):
    """An RQ worker whose forked work horses run each job in ``app`` on fresh connections."""

    def __init__(self, queues: Iterable[str | Queue], *, app: Flask, connection: Redis,
                 housekeeping: bool = True, **kwargs: Any) -> None:
        interval = int(app.config.get("WORKER_MAINTENANCE_INTERVAL", 15))
        kwargs.setdefault("maintenance_interval", interval)
        # the idle worker blocks on the queues for worker_ttl - 15 s: wake for each pass
        kwargs.setdefault("worker_ttl", interval + 15)
        kwargs.setdefault("job_monitoring_interval",
                          int(app.config.get("WORKER_JOB_MONITORING_INTERVAL", 5)))
        super().__init__(list(queues), connection=connection, **kwargs)  # type: ignore[arg-type]  # RQ takes names and queues mixed
        self.app = app
        self.housekeeping = housekeeping
        self.daily_handled: set[str] = set()   # the daily runs (reminders, digest) seen

    def work(self, burst: bool = False, *args: object, **kwargs: object) -> bool:
        """RQ's loop, started again once Redis is back when an outage ended it.

        RQ's ``work()`` ends on a Redis error met outside its dequeue (setting its state,
        a heartbeat after a job), stopping its scheduler with it; the worker then waited
        for a supervisor to start it again. This one waits for Redis (1 s, doubling up to
        5 s) and goes on: scheduler, maintenance pass and all (issue 15 item 4).
        """
        while True:
            try:
                worked = super().work(burst, *args, **kwargs)  # type: ignore[arg-type]  # RQ's own keywords, passed on
            except RedisError as exc:
                if burst or self._stopping:
                    raise
                log.warning("worker: Redis lost (%s); waiting for it to come back", exc)
            else:
                if burst or self._stopping or kwargs.get("max_jobs") \
                        or kwargs.get("max_idle_time"):
                    return worked
                log.warning("worker: the loop ended without a stop request; starting again")
            self._wait_for_redis()
            with contextlib.suppress(RedisError):
                self.connection.delete(self.key)   # this worker's own, left without a death
            self.scheduler, self.last_cleaned_at = None, None

    @property
    def _stopping(self) -> bool:
        """Asked to stop (SIGTERM, SIGINT): RQ sets the flag when busy, the date always."""
        return self._stop_requested or self._shutdown_requested_date is not None

    def _wait_for_redis(self) -> None:
        wait = 1.0
        while not self._stopping:
            try:
                self.connection.ping()
                return
            except RedisError:
                time.sleep(wait)
                wait = min(wait * 2, 5.0)

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

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO",
                         date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
                         log_format: str = DEFAULT_LOGGING_FORMAT) -> None:
        """RQ's, with the scheduler that survives outages, after freeing dead locks."""
        try:
            release_dead_scheduler_locks(self.connection, self.queue_names())
        except RedisError as exc:
            log.warning("cannot check the scheduler locks: %s", exc)
        self.scheduler = SurvivingScheduler(
            self.queues, connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format, log_format=log_format, serializer=self.serializer)
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

    def run_maintenance_tasks(self) -> None:
        """RQ's pass (restart a dead scheduler, clean the registries), and ours first."""
        if self.scheduler is not None and self.last_cleaned_at is not None:
            try:
                release_dead_scheduler_locks(self.connection, self.queue_names())
            except RedisError as exc:
                log.warning("cannot check the scheduler locks: %s", exc)
        if self.housekeeping:
            self.recover()
        super().run_maintenance_tasks()

    def recover(self) -> dict[str, object]:
        """Settle stuck consolidations and their files; book the daily runs again if Redis
        lost them."""
        done: dict[str, object] = {}
        with self.app.app_context():
            try:
                done["consolidations"] = settle_stuck_runs(self.connection)
                done["files"] = settle_stuck_files(self.connection)
                if "notifications" in self.queue_names():
                    from portal.notifications import daily
                    from portal.notifications.reminders import ensure_booked
                    from portal.notifications.workflow import DIGEST

                    done["reminders"] = ensure_booked(self.daily_handled)
                    done["digest"] = daily.ensure_booked(DIGEST, self.daily_handled)
            except StopRequested:   # SIGTERM while idle raises this here: it must end
                raise               # the worker, not be logged as a housekeeping fault
            except Exception:   # never let housekeeping take the worker down (Redis
                #                 down included: RQ's own pass below waits for it)
                log.exception("worker housekeeping failed")
                db.session.rollback()
            finally:
                db.session.remove()
        return done


def settle_stuck_runs(connection: Redis | None = None) -> list[tuple[int, str]]:
    """Every queued or running consolidation whose job is dead: taken over or failed."""
    from sqlalchemy import select

    from portal.reports.consolidation import Consolidation, RunStatus
    from portal.reports.stuck_runs import sweep
    from tenants.scoping import system_scope

    with system_scope("worker: consolidations whose job died"):
        rows = db.session.scalars(select(Consolidation).where(Consolidation.status.in_(
            [RunStatus.QUEUED.value, RunStatus.RUNNING.value])).order_by(Consolidation.id))
        done = sweep(list(rows), connection=connection)
        db.session.commit()
    for row_id, what in done:
        log.warning("consolidation %s %s", row_id, what)
    return done


def settle_stuck_files(connection: Redis | None = None) -> list[tuple[int, str]]:
    """Every queued or running consolidation file whose job is dead: queued again or
    failed (``portal.reports.stuck_runs.sweep_files``)."""
    from sqlalchemy import select

    from portal.reports.consolidation import RunStatus
    from portal.reports.consolidation_file import ConsolidationFile
    from portal.reports.stuck_runs import sweep_files
    from tenants.scoping import system_scope

    with system_scope("worker: consolidation files whose job died"):
        rows = db.session.scalars(select(ConsolidationFile).where(
            ConsolidationFile.status.in_([RunStatus.QUEUED.value, RunStatus.RUNNING.value]))
            .order_by(ConsolidationFile.id))
        done = sweep_files(list(rows), connection=connection)
        db.session.commit()
    for row_id, what in done:
        log.warning("consolidation file %s %s", row_id, what)
    return done


def build_worker(app: Flask, queues: Iterable[str | Queue] = QUEUES, *,
                 connection: Redis, housekeeping: bool = True) -> AppWorker:
    """The worker ``flask worker`` runs: the platform's queues, bound to ``app``."""
    return AppWorker(queues, app=app, connection=connection, housekeeping=housekeeping)
