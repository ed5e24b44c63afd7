"""A read replica, for real (issue 22 item 6): a private primary and a streaming replica
made by pg_basebackup -R (tests/private_postgres.py); the read-only pages go to the
replica, the writes and the workflow to the primary, and a person who has just
submitted sees the submission even while the replica lags (replay paused here)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import select, text

from composition import create_app
from portal.config import TestingConfig
from portal.extensions import db
from portal.read_routing import LSN_KEY, reads_only
from tenants.scoping import Scope, system_scope, use_scope
from tenants.unit import Unit
from tests.conftest import World, csrf_token, login, make_world
from tests.private_postgres import Cluster, primary_and_replica
from tests.test_reports import post, rows

pytestmark = pytest.mark.postgres


@dataclass
class Replicated:
    app: Flask
    primary: Cluster
    replica: Cluster
    world: World
    report_id: int

    def caught_up(self, timeout: float = 30) -> None:
        lsn = self.primary.psql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while self.replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'") != "t":
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


def _report(world: World) -> int:
    from portal.frameworks.period import ReportingPeriod
    from portal.plans.service import start_plan
    from portal.reports.service import open_report
    from tests.builders import framework, make_framework

    fid = make_framework("P1")
    with system_scope("test"):
        unit = db.session.scalar(select(Unit).where(Unit.code == "D1"))
        plan = start_plan(unit, framework(fid), None)
        plan.revisions[-1].status = "issued"
        period = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == fid, ReportingPeriod.year == 2026))
        report = open_report(unit, period, None)
        db.session.commit()
        return report.id


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    with primary_and_replica("portal_replicated") as (primary, replica):
        app = create_app(TestingConfig,
                         SQLALCHEMY_DATABASE_URI=primary.url("portal_app", "portal_replicated"),
                         MIGRATION_DATABASE_URL=primary.url("portal_owner", "portal_replicated"),
                         READ_DATABASE_URL=replica.url("portal_app", "portal_replicated"),
                         EVIDENCE_DIR=str(tmp_path_factory.mktemp("evidence")))
        with app.app_context():
            flask_migrate.upgrade()
            world = make_world()
            from portal.accounts.service import grant

            with system_scope("test data"):   # the head also keeps D1's audit log
                from portal.accounts.user import User
                head = db.session.scalar(select(User).where(User.username == "u.head"))
                grant(head, db.session.get(Unit, world.unit_ids["D1"]), "admin")
                db.session.commit()
            report_id = _report(world)
            db.session.remove()
        yield Replicated(app, primary, replica, world, report_id)
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def test_the_routing_rule() -> None:
    assert reads_only("GET", "dashboard", "/units/P1/dashboard")
    assert reads_only("GET", "audit", "/units/D1/audit")
    assert reads_only("GET", "api", "/api/v1/units")
    assert reads_only("GET", "reports", "/reports/4/document.docx")
    assert not reads_only("GET", "reports", "/reports/4")          # the workflow's page
    assert not reads_only("POST", "api", "/api/v1/units/3/consolidations")
    assert not reads_only("POST", "dashboard", "/units/P1/dashboard")


def test_the_replica_connection_keeps_row_level_security(replicated: Replicated) -> None:
    with replicated.app.app_context():
        replica = db.engines["replica"]
        with replica.connect() as connection:
            assert connection.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
            nothing = connection.execute(text("SELECT count(*) FROM unit")).scalar()
        with use_scope(Scope(units=frozenset({replicated.world.unit_ids["D1"]}))), \
                replica.connect() as connection:
            seen = connection.execute(text("SELECT code FROM unit")).scalars().all()
    assert nothing == 0 and seen == ["D1"]


def _audit_rows(client, report_id: int) -> list[str]:
    response = client.get("/units/D1/audit.csv")
    assert response.status_code == 200
    return [line for line in response.get_data(as_text=True).splitlines()
            if "submitted" in line and str(report_id) in line]


def test_a_person_who_has_just_submitted_sees_it_while_the_replica_lags(
        replicated: Replicated) -> None:
    app, report_id = replicated.app, replicated.report_id
    drafter, head, other = (app.test_client() for _ in range(3))
    for client, name in ((drafter, "u.drafter"), (head, "u.head"), (other, "u.admin")):
        assert login(client, name).status_code == 302
    base = f"/reports/{report_id}"
    with app.app_context():
        found = rows(report_id)
        values = [(v.id, v.version) for v in found["values"].values()]
        tasks = [(t.id, t.version) for t in found["tasks"]]
        db.session.remove()
    for value_id, version in values:
        assert post(drafter, f"{base}/values/{value_id}", version=str(version),
                    value="3").status_code == 200
    for task_id, version in tasks:
        assert post(drafter, f"{base}/tasks/{task_id}", version=str(version),
                    status="done_on_time", result="Xong").status_code == 200
    assert post(drafter, f"{base}/transitions", action="hand_over").status_code == 302
    replicated.caught_up()
    assert _audit_rows(other, report_id) == []      # read from the replica: nothing yet
    replicated.replica.psql("SELECT pg_wal_replay_pause()")
    try:
        # the write goes to the primary (the replica, read-only, would refuse it)
        response = head.post(f"{base}/transitions", data={
            "action": "submit", "csrf_token": csrf_token(head, "/auth/password")})
        assert response.status_code == 302
        with head.session_transaction() as session:
            assert session[LSN_KEY]                 # where the primary was after it
        # the head sees the submission: the replica is behind, so the primary answers
        assert len(_audit_rows(head, report_id)) >= 1
        # someone else's read goes to the replica, which has not replayed it yet
        assert _audit_rows(other, report_id) == []
    finally:
        replicated.replica.psql("SELECT pg_wal_replay_resume()")
    replicated.caught_up()
    assert len(_audit_rows(other, report_id)) >= 1
    assert len(_audit_rows(head, report_id)) >= 1
    with head.session_transaction() as session:
        assert LSN_KEY not in session               # the replica passed it: back to it
