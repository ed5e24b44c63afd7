"""A real RQ worker on real Redis.

Killed with SIGKILL in the middle of a consolidation, the job run again leaves exactly one
complete snapshot (shared/notes/tech-notes.md § RQ). Each job runs in a forked work horse
on database connections of its own, never on one it inherited from the worker."""

from __future__ import annotations

import contextvars
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import text

from composition import create_app
from portal.config import TestingConfig
from portal.extensions import db
from portal.jobs import enqueue, in_app_context
from portal.worker import build_worker
from tenants.scoping import system_scope
from tests.live import prepare
from tests.private_redis import RedisServer
from tests.processes import kill_tree, launch, reader, state, wait_for

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                                 reason="needs Redis and a worker process (CI sets REDIS_URL)")


@needs_redis
def test_a_worker_killed_mid_job_leaves_exactly_one_complete_snapshot(tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path)      # of its own: prepare() empties it
    redis_server.start()
    live = prepare(tmp_path, redis_url=redis_server.url, step_delay=1.5,
                   seed_args=("--legacy",))
    engine = reader(live)
    try:
        consolidation_id = launch(live, "new")
        worker = live.start_worker()
        wait_for(lambda: state(engine, consolidation_id)[1] >= 30, 60)
        kill_tree(worker)
        status, _progress, has_result = state(engine, consolidation_id)
        assert status == "running" and not has_result   # killed half way: nothing written
        launch(live, str(consolidation_id))              # the job runs again
        live.start_worker()
        wait_for(lambda: state(engine, consolidation_id)[0] == "done", 90)
        launch(live, str(consolidation_id))              # and once more: nothing to do
        time.sleep(2)
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT c.id, c.status, c.result FROM consolidation c JOIN unit u "
                "ON u.id = c.unit_id WHERE u.code = '33' AND c.year = 2026")).all()
        assert [(r.id, r.status) for r in rows] == [(consolidation_id, "done")]
        result = rows[0].result if isinstance(rows[0].result, dict) else json.loads(
            rows[0].result)
        assert result["reporting"]["expected"] == 158 and "narrative" in result
    finally:
        live.stop()
        engine.dispose()
        redis_server.kill()


# ---- a forked work horse opens database connections of its own --------------------

@in_app_context
def connection_seen() -> dict:
    """The job: which process ran it, on which DBAPI connection and PostgreSQL backend."""
    with system_scope("test: which connection does a job use"):
        dbapi = db.session.connection().connection.dbapi_connection
        backend = _backend_pid()
    db.session.rollback()
    return {"pid": os.getpid(), "dbapi": id(dbapi), "backend": backend}


def _backend_pid() -> int | None:
    if db.engine.dialect.name != "postgresql":
        return None
    return db.session.scalar(text("SELECT pg_backend_pid()"))


@needs_redis
def test_a_forked_work_horse_never_reuses_the_parent_processs_connection(
        tmp_path: Path) -> None:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'horse.sqlite3'}"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url,
                     REDIS_URL=os.environ["REDIS_URL"])
    redis = Redis.from_url(os.environ["REDIS_URL"])
    queue = Queue(f"test-horse-{uuid.uuid4().hex}", connection=redis)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with app.app_context():  # as under `flask worker`: the parent holds an app context...
            with system_scope("test: the parent's connection"):
                parent = db.session.connection().connection.dbapi_connection
                parent_backend = _backend_pid()
            db.session.rollback()  # ... and its used connection waits in the engine's pool
            assert db.engine.pool.checkedin() == 1
            job = queue.enqueue(connection_seen)

            build_worker(app, [queue], connection=redis, housekeeping=False).work(burst=True)

            assert job.get_status(refresh=True) == "finished", job.latest_result()
            seen = job.return_value()
            assert seen["pid"] != os.getpid()            # a forked work horse ran it
            assert seen["dbapi"] != id(parent)           # on a connection of its own
            if db.engine.dialect.name == "postgresql":  # and its own server process
                assert None not in (parent_backend, seen["backend"])
                assert seen["backend"] != parent_backend
            with system_scope("test: the parent's connection after the job"):
                again = db.session.connection().connection.dbapi_connection
                assert _backend_pid() == parent_backend  # the horse left the parent's open
            db.session.rollback()
            assert again is parent
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        queue.delete(delete_jobs=True)
        for key in redis.scan_iter(f"rq:*:{queue.name}"):  # its registries
            redis.delete(key)
        redis.close()
        with app.app_context():
            db.engine.dispose()



@in_app_context
def _process_id() -> int:
    return os.getpid()


@needs_redis
def test_flask_worker_queue_serves_only_the_named_queue(tmp_path: Path) -> None:
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'q.db'}",
                     REDIS_URL=os.environ["REDIS_URL"])
    redis = Redis.from_url(os.environ["REDIS_URL"])
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    run_id = uuid.uuid4().hex
    export = Queue("exports", connection=redis).enqueue(_process_id, job_id=f"e-{run_id}")
    other = Queue("consolidation", connection=redis).enqueue(_process_id,
                                                             job_id=f"c-{run_id}")
    scheduled = "rq:scheduled:notifications"  # where `flask worker` books the reminders
    booked_before = set(redis.zrange(scheduled, 0, -1))
    try:
        result = app.test_cli_runner().invoke(
            args=["worker", "--burst", "--queue", "exports"])
        assert result.exit_code == 0, result.output
        assert export.get_status(refresh=True) == "finished"
        assert export.return_value() != os.getpid()    # in a work horse
        assert other.get_status(refresh=True) == "queued"   # not this worker's queue
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for job in (export, other):
            job.delete()
        for booked in set(redis.zrange(scheduled, 0, -1)) - booked_before:
            redis.delete(b"rq:job:" + booked)
            redis.zrem(scheduled, booked)
        redis.close()
        with app.app_context():
            db.engine.dispose()


# ---- without a worker ------------------------------------------------------------

@in_app_context
def _session_seen(seen: list) -> None:
    seen.append(db.session())


def test_without_redis_a_job_runs_at_once_in_the_callers_app_context(
        app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    seen: list = []
    assert enqueue("exports", _session_seen, seen, job_id="test-in-process") == \
        "test-in-process"
    assert seen == [db.session()]   # the caller's session, not one of its own


def test_a_job_never_builds_an_app_of_its_own() -> None:
    """Run outside any app context (a bare ``rq worker``), a job refuses, naming the
    command that gives it one; it does not build an app (that is the composition root's)."""
    with pytest.raises(RuntimeError, match="flask worker"):
        contextvars.Context().run(connection_seen)


def test_a_stop_request_during_housekeeping_ends_the_worker(
        app, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM on an idle worker raises StopRequested wherever it is; in the housekeeping
    pass (which logs and swallows its own faults) it must still end the worker."""
    from rq.exceptions import StopRequested

    import portal.worker as worker_module

    def interrupted(connection=None):
        raise StopRequested()

    monkeypatch.setattr(worker_module, "settle_stuck_runs", interrupted)
    worker = build_worker(app, ["exports"], connection=Redis(), housekeeping=True)
    with pytest.raises(StopRequested):
        worker.recover()


# ---- a dead scheduler's lock (issue 15 item 2) ---------------------------------------

@needs_redis
def test_only_the_locks_of_dead_schedulers_are_released(tmp_path: Path) -> None:
    import socket
    from datetime import UTC, datetime, timedelta

    from rq.utils import utcformat

    from portal.worker import release_dead_scheduler_locks

    server = RedisServer(tmp_path)
    server.start()
    redis = server.client()
    host = socket.gethostname()
    gone = subprocess.Popen(["true"])
    gone.wait()                                   # a pid that no longer runs
    beat = utcformat(datetime.now(UTC))
    silent = utcformat(datetime.now(UTC) - timedelta(seconds=30))
    schedulers = {   # queue: (owner, its hash, the lock's TTL)
        "alive": ("s1", {"hostname": host, "pid": os.getpid(), "last_heartbeat": beat}, 61),
        "killed": ("s2", {"hostname": host, "pid": gone.pid, "last_heartbeat": beat}, 60),
        "silent": ("s3", {"hostname": "elsewhere", "pid": 1, "last_heartbeat": silent}, 40),
        "starting": ("s4", None, 61),             # took the lock, hash not written yet
        "expired": ("s5", None, 30),              # no hash, lock unrefreshed for 31 s
    }
    try:
        for queue, (owner, data, ttl) in schedulers.items():
            redis.set(f"rq:scheduler-lock:{queue}", owner, ex=ttl)
            if data:
                redis.hset(f"rq:scheduler:{owner}", mapping=data)
        freed = release_dead_scheduler_locks(redis, [*schedulers, "unlocked"])
        assert sorted(freed) == ["expired", "killed", "silent"]
        assert redis.get("rq:scheduler-lock:alive") == b"s1"
        assert redis.get("rq:scheduler-lock:starting") == b"s4"
        assert redis.get("rq:scheduler-lock:killed") is None
    finally:
        redis.close()
        server.kill()
