"""Helpers for tests that run the app in processes of their own (a worker, a launch):
starting a consolidation from a separate process, reading the database behind row-level
security, waiting, and killing a worker together with its work horse.

Test modules import these from here, never from one another."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.live import ROOT, Live

LAUNCH = """
import json, sys
from sqlalchemy import select
from composition import create_app
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.reports.consolidation import Consolidation, launch, queue
from tenants.scoping import system_scope
from tenants.unit import Unit
app = create_app()
with app.app_context(), system_scope("test: start a consolidation"):
    if sys.argv[1] == "new":
        unit = db.session.scalar(select(Unit).where(Unit.code == "33"))
        framework = db.session.scalar(select(Framework).where(Framework.owner_unit_id == unit.id))
        row = launch(unit, framework, 2026, None)
    else:                              # queue the same job again, as RQ's retry would
        row = db.session.get(Consolidation, int(sys.argv[1]))
    db.session.commit()
    queue(row)
    print(json.dumps({"id": row.id}))
"""


def launch(live: Live, which: str) -> int:
    done = subprocess.run([sys.executable, "-c", LAUNCH, which], env=live.env, cwd=ROOT,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["id"]


def reader(live: Live):
    """Reads the database behind row-level security (the owner, on PostgreSQL)."""
    url = live.env.get("MIGRATION_DATABASE_URL") or live.env["DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url)


def state(engine, consolidation_id: int) -> tuple[str, int, bool]:
    with engine.connect() as connection:
        status, progress, result = connection.execute(text(
            "SELECT status, progress, result FROM consolidation WHERE id = :i"),
            {"i": consolidation_id}).one()
    return status, progress, result is not None


def wait_for(predicate, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid``, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL the worker, and its work horse (which sits in a process group of its own)."""
    for child in children_of(process.pid):
        os.kill(child, signal.SIGKILL)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
