"""Jobs and reminders that survive any crash (issue 15 items 1-4).

A real RQ worker (``flask worker``) on a real Redis server of this module's own, which the
tests kill and start again (empty, as after a power cut); the shared Redis is never
touched. The worker runs with short intervals (maintenance every 2 s, heartbeats every
second, a job silent for 4 s is dead), so each recovery takes seconds; each test prints
the recovery time it measured (``pytest -s``), quoted in docs/operations.md.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, text

from portal import clock
from portal.extensions import db
from portal.reports.consolidation import Consolidation, RunStatus, launch
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import framework, province_framework_id
from tests.live import Live, Visitor, prepare
from tests.private_redis import RedisServer
from tests.processes import kill_tree, reader, state, wait_for
from tests.processes import launch as launch_in_a_process

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                                 reason="needs Redis and a worker process (CI sets REDIS_URL)")

DEMO_PASSWORD = "HungYen@2025"
FAST = {"WORKER_MAINTENANCE_INTERVAL": "2", "WORKER_JOB_MONITORING_INTERVAL": "1",
        "JOB_STALE_AFTER": "4"}
# JOB_RECOVERY_DEFAULTS=1: the production intervals (15 s, 5 s, 30 s), to measure them
DEFAULTS = bool(os.environ.get("JOB_RECOVERY_DEFAULTS"))
SLACK = 4 if DEFAULTS else 1     # the waits below stretch with the intervals


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


# ---- launch() in-process: a dead run is taken over or failed, never joined for ever --------

@pytest.fixture
def queue_redis(app: Flask, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch):
    if not redis_server.running():
        redis_server.start()
    monkeypatch.setitem(app.config, "REDIS_URL", redis_server.url)
    connection = redis_server.client()
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def _press(fid: int) -> tuple[int, str]:
    """What the Consolidate button does: launch, commit, queue a row queued at 0 %."""
    from portal.reports.consolidation import queue

    with system_scope("test: press Consolidate"):
        unit = db.session.scalar(select(Unit).where(Unit.code == "P1"))
        row = launch(unit, framework(fid), 2026, None)
        fresh = row.status == RunStatus.QUEUED.value and row.progress == 0
        db.session.commit()
        if fresh:
            queue(row)
        return row.id, row.job_id


def _as_if_dead(row_id: int) -> None:
    """The row a power cut leaves: running at 30 %, started long ago."""
    with system_scope("test: a run killed half way"):
        row = db.session.get(Consolidation, row_id)
        row.status, row.progress, row.step = RunStatus.RUNNING.value, 30, "computing"
        row.created_at = clock.now() - timedelta(minutes=5)
        db.session.commit()


@needs_redis
def test_pressing_consolidate_again_takes_over_a_run_whose_job_redis_lost(
        report_id: int, queue_redis: Redis) -> None:
    fid = province_framework_id(report_id)
    first, _job = _press(fid)
    _as_if_dead(first)
    queue_redis.flushdb()                         # Redis restarted empty: the job is gone
    again, _job = _press(fid)
    assert again == first                      # the same run, taken over ...
    with system_scope("test"):
        row = db.session.get(Consolidation, first)
        assert (row.status, row.progress) == ("queued", 0)
    job = Job.fetch(row.job_id, connection=queue_redis)
    assert job.get_status() == JobStatus.QUEUED  # ... and queued again


@needs_redis
def test_a_run_whose_job_ended_is_marked_failed_and_the_next_press_starts_anew(
        report_id: int, queue_redis: Redis) -> None:
    fid = province_framework_id(report_id)
    first, job_id = _press(fid)
    _as_if_dead(first)
    job = Job.fetch(job_id, connection=queue_redis)
    job.set_status(JobStatus.FAILED)              # RQ gave up on it (abandoned, no retry)
    second, _job = _press(fid)
    assert second != first
    with system_scope("test"):
        dead = db.session.get(Consolidation, first)
        assert (dead.status, dead.progress) == ("failed", 100)
        assert dead.error == ("Lượt tổng hợp đã dừng trước khi xong: hàng đợi công việc đã "
                              "bỏ dở lượt này. Hãy bắt đầu tổng hợp lại.")
        assert db.session.get(Consolidation, second).number == dead.number + 1


@needs_redis
def test_a_live_run_is_joined_and_without_redis_nothing_is_guessed(
        app: Flask, report_id: int, queue_redis: Redis,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fid = province_framework_id(report_id)
    first, job_id = _press(fid)
    _as_if_dead(first)
    job = Job.fetch(job_id, connection=queue_redis)
    job.set_status(JobStatus.STARTED)
    job.heartbeat(datetime.now(UTC), 60)          # its worker beats: alive
    assert _press(fid)[0] == first
    with system_scope("test"):
        assert db.session.get(Consolidation, first).status == "running"
    monkeypatch.setitem(app.config, "REDIS_URL", None)   # in-process: cannot tell
    queue_redis.flushdb()
    with system_scope("test"):
        unit = db.session.scalar(select(Unit).where(Unit.code == "P1"))
        assert launch(unit, framework(fid), 2026, None).id == first
        assert db.session.get(Consolidation, first).status == "running"
        db.session.rollback()


@needs_redis
def test_flask_consolidations_lists_and_clears_stuck_runs(
        app: Flask, report_id: int, queue_redis: Redis) -> None:
    fid = province_framework_id(report_id)
    first, job_id = _press(fid)
    _as_if_dead(first)
    queue_redis.flushdb()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["consolidations", "stuck"])
    assert listed.exit_code == 0, listed.output
    assert re.search(rf"^{first}\t2026\t.*running 30%\tlost\tits job no longer exists",
                     listed.output, re.M), listed.output
    assert listed.output.rstrip().endswith("1 under way")
    cleared = runner.invoke(args=["consolidations", "clear"])
    assert cleared.exit_code == 0, cleared.output
    assert f"consolidation {first} taken over: its job no longer exists" in cleared.output
    assert Job.fetch(job_id, connection=queue_redis).get_status() == JobStatus.QUEUED
    refused = runner.invoke(args=["consolidations", "clear", "--fail"])
    assert refused.exit_code != 0 and "--fail needs --id" in refused.output
    failed = runner.invoke(args=["consolidations", "clear", "--id", str(first), "--fail"])
    assert failed.exit_code == 0, failed.output
    assert f"consolidation {first} marked failed; its job removed" in failed.output
    with pytest.raises(NoSuchJobError):        # no retry, no worker, brings the run back
        Job.fetch(job_id, connection=queue_redis)
    with system_scope("test"):
        row = db.session.get(Consolidation, first)
        assert (row.status, row.error) == ("failed", "Đã được người quản trị hệ thống dừng lại.")
        assert row.finished_at is not None


@needs_redis
def test_the_workers_pass_sweeps_file_jobs_a_dead_worker_left(
        app: Flask, province: int, queue_redis: Redis) -> None:
    """A consolidation's Word or Excel file left "running" (or "queued") by a dead job:
    the worker's housekeeping queues a lost or stale job again under its id, and marks
    a job RQ gave up on failed, as it does for the consolidations themselves."""
    from rq import Queue

    from portal.reports.consolidation_file import ConsolidationFile, build_file
    from portal.reports.stuck_runs import FILE_JOB
    from portal.worker import build_worker
    from tests.test_consolidation_exports import consolidate

    snapshot = consolidate(province, "D1")
    long_ago = clock.now() - timedelta(minutes=5)
    with system_scope("test: file rows a dead worker left"):
        root = db.session.get_one(Consolidation, snapshot).unit_id
        rows = {}
        for name, status in (("lost", "running"), ("stale", "running"), ("gave_up", "running"),
                             ("alive", "running"), ("never_queued", "queued"),
                             ("done", "done")):
            row = ConsolidationFile(unit_id=root, consolidation_id=snapshot, kind="docx",
                                    status=status, progress=10 if status == "running" else 0,
                                    job_id=f"consolidation-file-{name}", created_at=long_ago)
            db.session.add(row)
            db.session.flush()
            rows[name] = row.id
        db.session.commit()
    queue = Queue("consolidation", connection=queue_redis)
    for name in ("stale", "gave_up", "alive", "done"):
        queue.enqueue(FILE_JOB, rows[name], root, job_id=f"consolidation-file-{name}")
    Job.fetch("consolidation-file-stale", connection=queue_redis).set_status(JobStatus.STARTED)
    Job.fetch("consolidation-file-stale", connection=queue_redis).heartbeat(
        datetime.now(UTC) - timedelta(minutes=5), 60)          # its worker died 5 min ago
    Job.fetch("consolidation-file-gave_up", connection=queue_redis).set_status(
        JobStatus.FAILED)                                     # RQ abandoned it
    alive = Job.fetch("consolidation-file-alive", connection=queue_redis)
    alive.set_status(JobStatus.STARTED)
    alive.heartbeat(datetime.now(UTC), 60)                    # its worker beats
    Job.fetch("consolidation-file-done", connection=queue_redis).set_status(JobStatus.FINISHED)

    done = build_worker(app, connection=queue_redis).recover()

    swept = dict(done["files"])  # type: ignore[call-overload]  # recover() gives the list
    assert sorted(swept) == sorted([rows["lost"], rows["stale"], rows["gave_up"],
                                    rows["never_queued"]])
    assert swept[rows["lost"]].startswith("taken over: its job no longer exists")
    assert swept[rows["stale"]].startswith("taken over: its worker stopped")
    assert swept[rows["gave_up"]].startswith("marked failed: its job ended (failed)")
    with system_scope("test"):
        state_of = {name: db.session.get_one(ConsolidationFile, row_id)
                    for name, row_id in rows.items()}
        assert {n: (r.status, r.progress) for n, r in state_of.items()} == {
            "lost": ("queued", 0), "stale": ("queued", 0), "gave_up": ("failed", 100),
            "alive": ("running", 10), "never_queued": ("queued", 0), "done": ("done", 0)}
        assert state_of["gave_up"].error == (
            "Tệp chưa được tạo xong: hàng đợi công việc đã bỏ dở. Hãy chuẩn bị lại.")
        assert state_of["gave_up"].finished_at is not None
        db.session.rollback()
    for name in ("lost", "stale", "never_queued"):       # queued again, under their ids
        job = Job.fetch(f"consolidation-file-{name}", connection=queue_redis)
        assert job.get_status() == JobStatus.QUEUED and job.func_name == FILE_JOB
        assert job.args == (rows[name], root)
    assert alive.get_status() == JobStatus.STARTED
    # what the worker then runs builds the file
    assert build_file(rows["stale"], root) == "done"
    with system_scope("test"):
        assert db.session.get_one(ConsolidationFile, rows["stale"]).status == "done"
    # a second pass finds nothing more to do (the alive one still beats)
    alive.heartbeat(datetime.now(UTC), 60)
    assert build_worker(app, connection=queue_redis).recover()["files"] == []


# ---- a real worker and Redis, killed and started again -----------------------------------

@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis and a worker process (CI sets REDIS_URL)")
    live = prepare(tmp_path_factory.mktemp("live"), redis_url=redis_server.url,
                   step_delay=1.5, seed_args=("--legacy",))
    if not DEFAULTS:
        live.env.update(FAST)
    yield live
    live.stop()


@pytest.fixture
def live(deployment: Live, redis_server: RedisServer):
    if not redis_server.running():
        redis_server.start()
    redis_server.client().flushdb()
    yield deployment
    for process in deployment.processes:
        if process.poll() is None:
            kill_tree(process)


def _launch(live: Live) -> int:
    return launch_in_a_process(live, "new")


def _lock_owner(redis_server: RedisServer, queue: str = "consolidation") -> str | None:
    try:
        owner = redis_server.client().get(f"rq:scheduler-lock:{queue}")
    except Exception:
        return None
    return owner.decode() if owner else None


def _scheduler_pid(redis_server: RedisServer, owner: str) -> int | None:
    pid = redis_server.client().hget(f"rq:scheduler:{owner}", "pid")
    return int(pid) if pid else None


def _owner_pid(redis_server: RedisServer, queue: str) -> int | None:
    """The pid of the scheduler holding ``queue``'s lock, once it has registered."""
    owner = _lock_owner(redis_server, queue)
    try:
        return _scheduler_pid(redis_server, owner) if owner else None
    except Exception:
        return None


def _power_cut(live: Live, worker: subprocess.Popen, redis_server: RedisServer,
               consolidation_id: int) -> None:
    engine = reader(live)
    wait_for(lambda: state(engine, consolidation_id)[1] >= 30, 60)
    kill_tree(worker)                 # main process, work horse and scheduler
    redis_server.kill()               # and Redis with them
    assert state(engine, consolidation_id)[:2] == ("running", 30)
    redis_server.start()              # empty
    engine.dispose()


@needs_redis
def test_after_a_power_cut_the_next_worker_finishes_the_run_at_start(
        live: Live, redis_server: RedisServer) -> None:
    engine = reader(live)
    consolidation_id = _launch(live)
    _power_cut(live, live.start_worker(), redis_server, consolidation_id)
    started = time.monotonic()
    live.start_worker()
    wait_for(lambda: state(engine, consolidation_id)[0] == "done", 45 * SLACK)
    seconds = time.monotonic() - started
    print(f"\nrecovery, power cut (worker and Redis killed): run done {seconds:.1f} s "
          "after the new worker started (the run itself takes about 5 s)")
    assert state(engine, consolidation_id) == ("done", 100, True)
    log = (live.workdir / f"worker-{len(live.processes) - 1}.log").read_text()
    assert f"consolidation {consolidation_id} taken over: its job no longer exists" in log
    engine.dispose()


@needs_redis
def test_after_a_power_cut_pressing_consolidate_takes_the_run_over(
        live: Live, redis_server: RedisServer) -> None:
    engine = reader(live)
    live.start_server()
    consolidator = Visitor(live.url).sign_in("tonghop.skhcn", DEMO_PASSWORD)
    _, page, _ = consolidator.get("/units/33/reports")
    period = re.findall(r'name="period_id" value="(\d+)"', page)[0]
    _, _, url = consolidator.post("/units/33/consolidations", period_id=period)
    consolidation_id = int(url.rsplit("/", 1)[1])
    _power_cut(live, live.start_worker(), redis_server, consolidation_id)
    consolidator = Visitor(live.url).sign_in("tonghop.skhcn", DEMO_PASSWORD)
    _, _, url = consolidator.post("/units/33/consolidations", period_id=period)
    assert url.endswith(f"/consolidations/{consolidation_id}")     # the same run ...
    assert state(engine, consolidation_id)[:2] == ("queued", 0)      # ... taken over
    with engine.connect() as connection:
        job_id = connection.execute(text("SELECT job_id FROM consolidation WHERE id = :i"),
                                    {"i": consolidation_id}).scalar_one()
    job = Job.fetch(job_id, connection=redis_server.client())
    assert job.get_status() == JobStatus.QUEUED                      # and queued again
    live.start_worker()
    wait_for(lambda: state(engine, consolidation_id)[0] == "done", 45 * SLACK)
    engine.dispose()


@needs_redis
def test_a_killed_worker_is_replaced_within_seconds_scheduler_and_job_included(
        live: Live, redis_server: RedisServer) -> None:
    """Redis stays up: the dead scheduler's lock and the dead job's registry entry stay."""
    engine = reader(live)
    consolidation_id = _launch(live)
    first = live.start_worker()
    wait_for(lambda: _lock_owner(redis_server) is not None, 20)
    dead_scheduler = _lock_owner(redis_server)
    wait_for(lambda: state(engine, consolidation_id)[1] >= 30, 60)
    kill_tree(first)
    killed = time.monotonic()
    live.start_worker()                         # at once: the job's heartbeat is still fresh
    wait_for(lambda: _lock_owner(redis_server) not in (None, dead_scheduler), 15 * SLACK)
    lock_taken = time.monotonic() - killed
    wait_for(lambda: state(engine, consolidation_id)[0] == "done", 60 * SLACK)
    done = time.monotonic() - killed
    print(f"\nrecovery, worker killed (Redis up): scheduler lock taken over {lock_taken:.1f} s "
          f"after the kill, run done {done:.1f} s after it (the run itself takes about 5 s)")
    owner = _lock_owner(redis_server)
    assert owner is not None and os.path.exists(f"/proc/{_scheduler_pid(redis_server, owner)}")
    assert state(engine, consolidation_id) == ("done", 100, True)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM consolidation WHERE id = :i"),
                                  {"i": consolidation_id}).scalar() == 1
    engine.dispose()


@needs_redis
def test_the_scheduler_survives_a_redis_outage(live: Live, redis_server: RedisServer) -> None:
    live.start_worker()
    wait_for(lambda: _lock_owner(redis_server, "notifications") is not None, 20)
    redis_server.kill()
    time.sleep(3)                               # Redis down for 3 s
    redis_server.start()                        # back, empty
    back = time.monotonic()
    # the worker takes the lock before the scheduler process it starts writes its hash
    wait_for(lambda: _owner_pid(redis_server, "notifications") is not None, 15 * SLACK)
    relocked = time.monotonic() - back
    assert os.path.exists(f"/proc/{_owner_pid(redis_server, 'notifications')}")   # alive
    from rq import Queue

    job = Queue("exports", connection=redis_server.client()).enqueue_in(
        timedelta(seconds=1), "os.getpid", job_id="after-the-outage")
    wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 20 * SLACK)
    ran = time.monotonic() - back
    print(f"\nrecovery, Redis down 3 s: scheduler holds its locks again {relocked:.1f} s "
          f"after Redis is back; a job scheduled 1 s ahead ran {ran:.1f} s after it")


@needs_redis
def test_a_redis_restart_rebooks_the_daily_reminders_and_catches_today_up_once(
        live: Live, redis_server: RedisServer) -> None:
    live.env["REMINDER_HOUR"] = "0"            # today's run is always due already
    try:
        live.start_worker()
    finally:
        live.env.pop("REMINDER_HOUR")
    today = clock.now().astimezone(clock.LOCAL).date()
    tomorrow = today + timedelta(days=1)
    client = redis_server.client()
    wait_for(lambda: Job.exists(f"reminders-{tomorrow}", connection=client), 30)
    wait_for(lambda: Job.fetch(f"reminders-{today}", connection=client).get_status()
             == JobStatus.FINISHED, 30)             # today's run caught up, once
    client.set("before-the-restart", 1)
    redis_server.kill()                         # Redis restarted: the booking is gone
    redis_server.start()
    back = time.monotonic()
    client = redis_server.client()
    # emptied (the worker may book tomorrow again before this line runs, so the proof
    # that nothing survived is a key nobody writes again)
    assert not client.exists("before-the-restart")
    wait_for(lambda: client.zscore("rq:scheduled:notifications",
                                   f"reminders-{tomorrow}") is not None, 20 * SLACK)
    rebooked = time.monotonic() - back
    time.sleep(5 * SLACK)                       # two more maintenance passes
    assert not Job.exists(f"reminders-{today}", connection=client)  # not run twice
    print(f"\nrecovery, Redis restarted: the daily reminders booked again {rebooked:.1f} s "
          "after Redis is back")


@needs_redis
def test_a_stop_request_still_stops_the_worker(live: Live, redis_server: RedisServer) -> None:
    """The worker that outlives a Redis outage still ends on SIGTERM, at once when idle."""
    worker = live.start_worker()
    wait_for(lambda: _lock_owner(redis_server) is not None, 20)
    os.kill(worker.pid, signal.SIGTERM)
    assert worker.wait(timeout=10) == 0
    log = (live.workdir / f"worker-{live.processes.index(worker)}.log").read_text()
    assert "starting again" not in log
