"""Consolidations whose job died: detected, then taken over or failed with a reason.

A consolidation row says "queued" or "running" while its RQ job does the work. A power
cut (the worker and Redis killed together), a SIGKILLed worker or an emptied Redis leave
the row saying so for ever while nothing works on it (issue 15 item 1). :func:`settle`
asks RQ about the row's job and acts:

* the job is waiting (queued, scheduled for a retry, deferred) or started with a fresh
  heartbeat: alive, nothing to do;
* the job no longer exists (Redis lost it), or it is "started" but its heartbeat is older
  than ``JOB_STALE_AFTER`` seconds (the worker running it is dead): the run is **taken
  over**: the row goes back to "queued" at 0 % and the job is queued again (the job is
  idempotent, so a run that was in fact still alive costs only a second pass);
* the job ended (RQ gave up on it, or it stopped) but the row was never closed: the row
  is **marked failed**, saying so to the people who read it (the technical reason goes
  to the log), which frees the unit and year.

Without Redis (jobs run in the web process) or with Redis unreachable nothing can be
known, and the row is left as it is. :func:`settle` is called by ``launch()`` before it
joins a run, by ``flask worker`` at start and at every maintenance pass
(``portal.worker``), and by ``flask consolidations``. This module does not import the
model (``portal.reports.consolidation`` imports it); it works on the row it is given.

The Word and Excel files of a consolidation (``portal.reports.consolidation_file``) are
built by a job of the same queue and die the same ways: :func:`sweep_files` gives their
rows the same verdicts — a lost or stale file job is queued again under its id (the
file is built from the snapshot, so a second pass builds the same file), an ended one
is marked failed, which lets the page offer "Prepare" again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _

from portal import clock
from portal.jobs import redis_connection
from portal.reports.run_state import UNDER_WAY, ConsolidationStep, RunStatus

if TYPE_CHECKING:
    from redis import Redis

    from portal.reports.consolidation import Consolidation
    from portal.reports.consolidation_file import ConsolidationFile

log = logging.getLogger(__name__)

JOB = "portal.reports.consolidation.run_consolidation"   # the job, named (no import)
FILE_JOB = "portal.reports.consolidation_file.build_file"
QUEUE = "consolidation"
QUEUED_GRACE = 60   # seconds a queued row may wait for its job to appear (commit, then queue)


@dataclass(frozen=True)
class Verdict:
    """What RQ says of a run: ``alive``, ``unknown``, ``lost``, ``stale`` or ``ended``."""

    state: str
    reason: str = ""

    @property
    def dead(self) -> bool:
        return self.state in {"lost", "stale", "ended"}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verdict(row: Consolidation | ConsolidationFile,
            connection: Redis | None = None) -> Verdict:
    """Is the job of this queued or running consolidation (or file) still alive?"""
    if row.status not in UNDER_WAY or not row.job_id:
        return Verdict("alive")
    if not current_app.config.get("REDIS_URL"):
        return Verdict("unknown", "no Redis: jobs run in the web process")
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    stale_after = timedelta(seconds=int(current_app.config.get("JOB_STALE_AFTER", 30)))
    now = clock.now()
    try:
        connection = connection or redis_connection()
        try:
            job = Job.fetch(row.job_id, connection=connection)
        except NoSuchJobError:
            created = _aware(row.created_at)
            if row.status == RunStatus.QUEUED.value and row.progress == 0 and created is not None \
                    and now - created < timedelta(seconds=QUEUED_GRACE):
                return Verdict("alive")      # committed, about to be queued
            return Verdict("lost", "its job no longer exists in Redis (Redis was restarted "
                                   "or emptied)")
        status = JobStatus(job.get_status(refresh=False))
        rq_now = datetime.now(UTC)   # RQ stamps its heartbeats by the machine's clock
        if status == JobStatus.STARTED:
            beat = _aware(job.last_heartbeat or job.started_at)
            if beat is not None and rq_now - beat > stale_after:
                return Verdict("stale", f"its worker stopped: no heartbeat for "
                                        f"{int((rq_now - beat).total_seconds())} s")
            return Verdict("alive")
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED,
                      JobStatus.FINISHED):
            ended = _aware(job.ended_at) or rq_now
            if status == JobStatus.FINISHED and rq_now - ended < stale_after:
                return Verdict("alive")      # the row's last commit is on its way
            detail = ""
            if status == JobStatus.FAILED:
                result = job.latest_result()
                detail = (result.exc_string or "").strip().splitlines()[-1:] if result else []
                detail = f": {detail[0][:200]}" if detail else ""
            return Verdict("ended", f"its job ended ({status.value}){detail}")
        return Verdict("alive")              # queued, scheduled (a retry), deferred
    except RedisError as exc:
        log.warning("cannot check consolidation %s: %s", row.id, exc)
        return Verdict("unknown", f"Redis is unreachable: {exc}")


def settle(row: Consolidation, *, requeue: bool = False,
           connection: Redis | None = None) -> bool:
    """Take over or fail ``row`` if its job is dead. True: the run is (again) under way.

    ``launch()`` calls it without ``requeue`` and its caller commits, then queues the row
    (queued at 0 %, as a new one). With ``requeue`` (the worker, the CLI) the change is
    committed here and the job queued again after the commit (the worker must see it).
    """
    return _act(row, verdict(row, connection), requeue=requeue, connection=connection)


def _act(row: Consolidation, found: Verdict, *, requeue: bool,
         connection: Redis | None = None) -> bool:
    if not found.dead:
        return row.status in UNDER_WAY
    from portal.extensions import db

    if found.state == "ended":
        log.warning("consolidation %s marked failed: %s", row.id, found.reason)
        row.status, row.progress = RunStatus.FAILED.value, 100
        row.step = ConsolidationStep.FAILED.value
        row.error = _("The run stopped before it finished: the job queue gave up on it. "
                      "Start the consolidation again.")
        if requeue:
            db.session.commit()
        return False
    log.warning("consolidation %s taken over: %s", row.id, found.reason)
    row.status, row.progress, row.step, row.error = RunStatus.QUEUED.value, 0, "", ""
    if requeue:
        db.session.commit()
        requeue_job(row, connection)
    else:                               # the caller queues it anew under the same id
        from redis.exceptions import RedisError

        try:
            forget_job(row, connection)
        except RedisError as exc:
            log.warning("consolidation %s: the dead job stays in Redis: %s", row.id, exc)
    return True


def forget_job(row: Consolidation | ConsolidationFile, connection: Redis | None = None) -> None:
    """Delete what a dead worker left of the row's job, so that RQ's own cleanup of its
    started registry does not retry it too, later, over the new one."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    connection = connection or redis_connection()
    try:
        old = Job.fetch(row.job_id, connection=connection)
    except NoSuchJobError:
        return
    StartedJobRegistry(QUEUE, connection=connection).remove_executions(old)
    old.delete(remove_from_queue=True)


def stop_job(row: Consolidation, connection: Redis | None = None) -> str:
    """Stop the row's job if a worker runs it now, and delete it (no retry): what was done."""
    from redis.exceptions import RedisError
    from rq.command import send_stop_job_command
    from rq.exceptions import InvalidJobOperation, NoSuchJobError

    if not current_app.config.get("REDIS_URL"):
        return "no job queue (jobs run in the web process)"
    connection = connection or redis_connection()
    try:
        try:
            send_stop_job_command(connection, row.job_id)
            stopped = "its job stopped and removed"
        except (InvalidJobOperation, NoSuchJobError):  # not running now, or already gone
            stopped = "its job removed"
        forget_job(row, connection)
    except RedisError as exc:
        log.warning("consolidation %s: cannot stop its job: %s", row.id, exc)
        return f"its job could not be reached ({exc}); the worker's pass will see it ended"
    return stopped


def requeue_job(row: Consolidation, connection: Redis | None = None) -> None:
    """Queue the row's job again under its id, clearing what a dead worker left of it."""
    from rq import Queue, Retry

    connection = connection or redis_connection()
    forget_job(row, connection)
    Queue(QUEUE, connection=connection).enqueue(
        JOB, row.id, row.unit_id, job_id=row.job_id, job_timeout="30m", result_ttl=3600,
        failure_ttl=7 * 86400, retry=Retry(max=2, interval=[10, 60]))


def sweep(rows: Iterable[Consolidation], *,
          connection: Redis | None = None) -> list[tuple[int, str]]:
    """Settle each row, committing; [(id, what was done and why)] for the dead ones."""
    done = []
    for row in rows:
        found = verdict(row, connection)
        if found.dead:
            row_id = row.id
            kept = _act(row, found, requeue=True, connection=connection)
            done.append((row_id, f"{'taken over' if kept else 'marked failed'}: "
                                 f"{found.reason}"))
    return done


def sweep_files(rows: Iterable[ConsolidationFile], *,
                connection: Redis | None = None) -> list[tuple[int, str]]:
    """Settle each queued or running file row whose job is dead, committing: a lost or
    stale job is queued again under its id (the row back to queued at 0 %), an ended
    one is marked failed with a reason the page shows. [(id, what and why)]."""
    from portal.extensions import db

    done = []
    for row in rows:
        found = verdict(row, connection)
        if not found.dead:
            continue
        row_id = row.id
        if found.state == "ended":
            log.warning("consolidation file %s marked failed: %s", row_id, found.reason)
            row.status, row.progress = RunStatus.FAILED.value, 100
            row.error = _("The file was not finished: the job queue gave up on it. "
                          "Prepare it again.")
            row.finished_at = clock.now()
            db.session.commit()
            done.append((row_id, f"marked failed: {found.reason}"))
            continue
        log.warning("consolidation file %s taken over: %s", row_id, found.reason)
        row.status, row.progress, row.error = RunStatus.QUEUED.value, 0, ""
        db.session.commit()
        requeue_file_job(row, connection)
        done.append((row_id, f"taken over: {found.reason}"))
    return done


def requeue_file_job(row: ConsolidationFile, connection: Redis | None = None) -> None:
    """Queue the file row's job again under its id, clearing what a dead worker left."""
    from rq import Queue, Retry

    connection = connection or redis_connection()
    forget_job(row, connection)
    Queue(QUEUE, connection=connection).enqueue(
        FILE_JOB, row.id, row.unit_id, job_id=row.job_id, job_timeout="30m",
        result_ttl=3600, failure_ttl=7 * 86400, retry=Retry(max=2, interval=[10, 60]))
