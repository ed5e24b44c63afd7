"""Faults: the database gone mid-request, Redis stopped while people work, a full disk.

PostgreSQL restarted under load is a script (``benchmarks/faults.py``): restarting the
shared server would cut this suite's own connections. Its last output is in
docs/reliability.md, with these tests' account of each fault.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from portal.extensions import db, login_manager
from tenants.scoping import system_scope
from tests.live import Visitor, free_port, prepare

DEMO_PASSWORD = "HungYen@2025"


# ---- the database goes away -------------------------------------------------------------

def _database_gone(*_args):
    raise OperationalError("SELECT user_account.id …", {},
                           Exception("server closed the connection unexpectedly"))


def test_a_database_that_went_away_is_a_clean_503(app: Flask, login_as, monkeypatch) -> None:
    officer = login_as("drafter")
    monkeypatch.setattr(login_manager, "_user_callback", _database_gone)
    page = officer.get("/units/D1")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "chưa lưu gì" in page.get_data(as_text=True)          # nothing was saved
    assert "Content-Security-Policy" in page.headers           # the headers still go out
    fragment = officer.get("/units/D1", headers={"HX-Request": "true"})
    assert fragment.status_code == 503 and "<html" not in fragment.get_data(as_text=True)
    monkeypatch.undo()
    assert officer.get("/units/D1").status_code == 200         # and it serves again


def test_the_api_says_database_unavailable_in_json(app: Flask, token_for, monkeypatch) -> None:
    import portal.auth

    token = token_for("drafter")
    monkeypatch.setattr(portal.auth, "user_for_token", _database_gone)
    monkeypatch.setattr(login_manager, "_request_callback", _database_gone)
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


# ---- Redis stops while people draft and submit ------------------------------------------

@pytest.fixture
def private_redis():
    """A Redis server of this test's own, which it may stop and start again."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (the machine's services include it)")
    port = free_port()

    def start() -> subprocess.Popen:
        process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                              text=True).stdout.strip() == "PONG":
                return process
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    state = {"process": start()}

    class Handle:
        url = f"redis://127.0.0.1:{port}/0"

        @staticmethod
        def stop() -> None:
            state["process"].kill()
            state["process"].wait()

        @staticmethod
        def start() -> None:
            state["process"] = start()

    yield Handle
    if state["process"].poll() is None:
        state["process"].kill()
    state["process"].wait()


def test_drafting_and_submitting_go_on_while_redis_is_down(tmp_path: Path, private_redis) -> None:
    live = prepare(tmp_path, redis_url=private_redis.url, seed_args=("--legacy",))
    try:
        live.start_server()
        live.start_worker()
        officer = Visitor(live.url).sign_in("canbo.xa", DEMO_PASSWORD)
        status, page, _ = officer.get("/units/11989/plans")
        framework_id = re.search(r'<option value="(\d+)"', page)[1]
        status, page, plan_url = officer.post("/units/11989/plans", framework_id=framework_id)
        assert status == 200 and "/plans/" in plan_url
        plan_path = "/plans/" + plan_url.rsplit("/plans/", 1)[1]

        private_redis.stop()                                    # ---- Redis goes down
        health = officer.get("/health")
        assert health[0] == 503 and '"redis": "down"' in health[1].replace('":"', '": "')
        # drafting: autosave of a section (an htmx request)
        status, body, _ = officer.request(
            plan_path + "/sections/purpose",
            {"csrf_token": officer.token, "version": "1", "text": "Viết khi Redis ngừng"},
            headers={"HX-Request": "true"})
        assert status == 200, body[:300]
        # signing in (its rate limit counts in memory meanwhile) and submitting
        head = Visitor(live.url).sign_in("chutich.xa", DEMO_PASSWORD)
        status, page, _ = officer.post(plan_path + "/submit", confirm="1")
        assert status == 200 and "Viết khi Redis ngừng" in page
        status, page, _ = head.get(plan_path)
        assert status == 200 and "Ban hành kế hoạch" in page    # the head can issue it
        # a consolidation cannot be queued: a clear refusal, and no row left behind
        consolidator = Visitor(live.url).sign_in("tonghop.skhcn", DEMO_PASSWORD)
        status, page, url = consolidator.get("/units/33/reports")
        periods = re.findall(r'name="period_id" value="(\d+)"', page)
        assert periods, "the province has a reporting period to consolidate"
        status, page, url = consolidator.post("/units/33/consolidations",
                                              period_id=periods[0])
        assert "hàng đợi" in page and "/consolidations/" not in url

        private_redis.start()                                  # ---- Redis is back
        assert officer.get("/health")[0] == 200
        status, page, url = consolidator.post("/units/33/consolidations",
                                              period_id=periods[0])
        assert "/consolidations/" in url, page[:300]
    finally:
        live.stop()


# ---- the disk fills up ------------------------------------------------------------------

PDF = b"%PDF-1.7\n" + b"0" * 200_000 + b"\n%%EOF\n"


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A real 64 KiB file system (tmpfs), to fill: needs root, which CI has."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
        capture_output=True).returncode == 0
    if not mounted:
        if os.environ.get("CI"):
            pytest.fail("cannot mount a tmpfs to fill (CI runs as root)")
        pytest.skip("mounting a small tmpfs needs root")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_a_really_full_disk_refuses_the_upload_and_keeps_nothing(
        app: Flask, report_id: int, login_as, tiny_disk: Path, monkeypatch) -> None:
    from portal.reports.evidence import ReportEvidence
    from tests.conftest import csrf_token

    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(tiny_disk))
    client = login_as("drafter")
    token = csrf_token(client, f"/reports/{report_id}")
    response = client.post(f"/reports/{report_id}/evidence", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(PDF), "bien-ban.pdf")})
    assert response.status_code == 422
    assert "đầy" in response.get_data(as_text=True)                   # "the disk is full"
    with system_scope("test"):
        assert db.session.scalar(select(func.count()).select_from(ReportEvidence)) == 0
    leftovers = [p for p in tiny_disk.rglob("*") if p.is_file()]
    assert leftovers == []                                   # no half-written file either
