"""Benchmark: validation runs over the whole legacy country, six years of reports, against
one SQL statement that reads the same values.

Builds a fresh database with the data of benchmarks/dashboard.py (``load``: 10,811 units
under a national root, Plan 108, a report a year 2025–2030 from every district and
commune with a value for every indicator), adds Plan 108's validation rules, then for
each year posts the run page as a reviewer of the national root — the whole request
through the test client, under the real scope (row-level security on PostgreSQL: the
app connects as portal_app) — and times it; the first run of a year notifies, a second
run of the same year finds the same violations and notifies none. The baseline is one
SQL statement reading every value of the six years of the subtree (this year's and, as
the rules' prev() needs, the year before's are the same rows).

    .venv/bin/python benchmarks/validation_run.py            # SQLite
    DATABASE_URL=… MIGRATION_DATABASE_URL=… .venv/bin/python benchmarks/validation_run.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate
from sqlalchemy import select, text

from benchmarks.dashboard import PASSWORD, YEARS, analyse, load
from composition import create_app
from portal.accounts.service import create_user, grant
from portal.config import TestingConfig
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.validation.presets import add_preset_rules
from portal.validation.run import ValidationRun
from tenants.scoping import system_scope
from tenants.unit import Unit

SINGLE_SQL = """
SELECT r.unit_id, p.year, i.code, v.value, v.numerator, v.denominator
  FROM report_value v
  JOIN unit_report r ON r.id = v.report_id
  JOIN reporting_period p ON p.id = r.period_id
  JOIN unit_closure c ON c.descendant_id = r.unit_id AND c.ancestor_id = :root
  JOIN indicator i ON i.id = v.indicator_id
 WHERE p.framework_id = :framework
"""


def main() -> None:
    url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.db"))
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, REDIS_URL=None,
                     WTF_CSRF_ENABLED=False)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.perf_counter()
        loaded = load(app)
        with system_scope("benchmark rules"):
            framework = db.session.get_one(Framework, loaded["framework"])
            rules = add_preset_rules(framework)
            user = create_user("bench.reviewer", PASSWORD)
            root = db.session.scalar(select(Unit).where(Unit.code == "VN"))
            grant(user, root, "reviewer")
            root_id = root.id
            periods = {p.year: p.id for p in db.session.scalars(select(ReportingPeriod).where(
                ReportingPeriod.framework_id == framework.id))}
            units = db.session.scalar(text("SELECT COUNT(*) FROM unit"))
            db.session.commit()
        load_time = time.perf_counter() - started
        db.session.remove()
        analyse(app)

    client = app.test_client()
    client.post("/auth/login", data={"username": "bench.reviewer", "password": PASSWORD})
    runs: list[tuple[int, float, float]] = []
    for year in YEARS:
        times = []
        for _again in range(2):
            started = time.perf_counter()
            response = client.post("/units/VN/validation", data={"period_id": periods[year]})
            times.append(time.perf_counter() - started)
            assert response.status_code == 303, response.status_code  # noqa: S101 - a benchmark
        runs.append((year, times[0], times[1]))

    with app.app_context(), system_scope("benchmark baseline"):
        found = {r.period_id: r for r in db.session.scalars(
            select(ValidationRun).order_by(ValidationRun.id))}   # the second run of each year
        first = {r.period_id: r for r in db.session.scalars(
            select(ValidationRun).order_by(ValidationRun.id.desc()))}
        best, rows = float("inf"), 0
        for _repeat in range(3):
            started = time.perf_counter()
            rows = len(db.session.execute(text(SINGLE_SQL), {
                "root": root_id, "framework": loaded["framework"]}).all())
            best = min(best, time.perf_counter() - started)
        summary = {year: (first[periods[year]].reports_checked,
                          len(first[periods[year]].findings), first[periods[year]].notified,
                          found[periods[year]].notified) for year in YEARS}
        db.session.remove()
        db.engine.dispose()

    total_first = sum(t for _y, t, _s in runs)
    total_second = sum(s for _y, _t, s in runs)
    print(f"database: {url.split(':')[0]}")
    print(f"units: {units}; reports: {loaded['reports']} (2025–2030); values: "
          f"{loaded['values']}; {rules} validation rules; loaded in {load_time:.1f} s")
    for year, first_time, second_time in runs:
        checked, violations, notified, again = summary[year]
        print(f"{year}: run {first_time * 1000:.0f} ms ({checked} reports, {violations} "
              f"violations, {notified} notified); again {second_time * 1000:.0f} ms "
              f"({again} notified)")
    print(f"six years: first runs {total_first:.2f} s, second runs {total_second:.2f} s; "
          f"single SQL reading the same values ({rows} rows) {best * 1000:.0f} ms; ratio "
          f"{total_first / best:.1f}x (first), {total_second / best:.1f}x (second)")


if __name__ == "__main__":
    main()
