"""Benchmark: the leaders' dashboard over the whole legacy country, six years of reports.

Builds a fresh database (SQLite in a temporary folder, or the PostgreSQL database of
DATABASE_URL / MIGRATION_DATABASE_URL, which must be new and which it fills) with the legacy country
under a national root (10,811 units), Plan 108 published by the root, and a report for
every year 2025–2030 from every district and commune (most submitted, some late, some
accepted, some missing) with a value for every indicator. Then, on the same database:

- renders the dashboard page of province 33 and of the national root server-side (the
  whole request through the test client: access checks, the SQL aggregates, the
  template), counting its SQL statements;
- runs the single hand-written SQL statement that computes the same numbers (reporting
  by year, child and kind; flows; stocks) and prints both times and their ratio.

    .venv/bin/python benchmarks/dashboard.py            # SQLite
    DATABASE_URL=… MIGRATION_DATABASE_URL=… .venv/bin/python benchmarks/dashboard.py
    … benchmarks/dashboard.py --keep                     # PostgreSQL: leave the data for
                                                         # benchmarks/dashboard_load.sh;
                                                         # run again, it times that data
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate
from flask import before_render_template, template_rendered
from sqlalchemy import create_engine, event, insert, select, text

from portal.accounts.service import create_user, find_user, grant
from composition import create_app
from portal.config import TestingConfig
from portal.data import LEGACY_UNITS, PLAN_108
from portal.extensions import db
from portal.frameworks.indicator import Indicator
from portal.frameworks.loading import load_framework
from portal.frameworks.period import ReportingPeriod
from portal.reports.report import ReportValue, UnitReport
from tenants.scoping import system_scope
from tenants.tree import add_unit, import_units, read_unit_csv
from tenants.unit import Unit

YEARS = range(2025, 2031)
PASSWORD = "Bench-mark-2026"

# The same numbers as the dashboard, in one statement: reporting by (year, child, kind),
# flows by (year, child, kind, indicator) and stocks by (target year, child, kind,
# indicator), each over the units active at the year's data cut-off.
SINGLE_SQL = """
WITH members AS (
  SELECT c.descendant_id AS unit_id, ch.id AS child_id
    FROM unit ch JOIN unit_closure c ON c.ancestor_id = ch.id
   WHERE ch.parent_id = :root),
issued AS (
  SELECT p.unit_id FROM unit_plan p JOIN plan_revision r ON r.plan_id = p.id
   WHERE p.framework_id = :framework AND r.status IN ('issued', 'superseded')
   GROUP BY p.unit_id),
rates AS (
  SELECT p.year, m.child_id, u.kind, COUNT(*) AS expected, COUNT(r.id) AS submitted,
         COUNT(CASE WHEN r.first_submitted_at <= {due} THEN 1 END) AS on_time,
         COUNT(CASE WHEN r.status = 'accepted' THEN 1 END) AS accepted,
         COUNT(i.unit_id) AS plans
    FROM reporting_period p CROSS JOIN members m
    JOIN unit u ON u.id = m.unit_id
     AND (u.valid_from IS NULL OR u.valid_from <= p.cutoff_date)
     AND (u.valid_to IS NULL OR u.valid_to > p.cutoff_date)
    LEFT JOIN unit_report r ON r.unit_id = u.id AND r.period_id = p.id
     AND r.status IN ('submitted', 'accepted')
    LEFT JOIN issued i ON i.unit_id = u.id
   WHERE p.framework_id = :framework AND p.year <= :year
     AND u.kind IN ('department', 'district', 'commune')
   GROUP BY p.year, m.child_id, u.kind),
flows AS (
  SELECT p.year, m.child_id, u.kind, ind.code, SUM(v.value) AS value,
         SUM(CASE WHEN v.numerator IS NOT NULL AND v.denominator IS NOT NULL
                  THEN v.numerator END) AS numerator,
         SUM(CASE WHEN v.numerator IS NOT NULL AND v.denominator IS NOT NULL
                  THEN v.denominator END) AS denominator,
         COUNT(DISTINCT CASE WHEN v.value <> 0 THEN v.unit_id END) AS yes
    FROM report_value v JOIN unit_report r ON r.id = v.report_id
    JOIN reporting_period p ON p.id = r.period_id
    JOIN indicator ind ON ind.id = v.indicator_id
    JOIN members m ON m.unit_id = r.unit_id
    JOIN unit u ON u.id = r.unit_id
     AND (u.valid_from IS NULL OR u.valid_from <= p.cutoff_date)
     AND (u.valid_to IS NULL OR u.valid_to > p.cutoff_date)
   WHERE p.framework_id = :framework AND p.year <= :year
     AND r.status IN ('submitted', 'accepted') AND ind.time_behaviour <> 'stock'
   GROUP BY p.year, m.child_id, u.kind, ind.code),
given AS (
  SELECT v.unit_id, m.child_id, ind.code, p.year, v.numerator, v.denominator, v.value,
         LEAD(p.year) OVER (PARTITION BY v.unit_id, ind.code ORDER BY p.year) AS next_year
    FROM report_value v JOIN unit_report r ON r.id = v.report_id
    JOIN reporting_period p ON p.id = r.period_id
    JOIN indicator ind ON ind.id = v.indicator_id
    JOIN members m ON m.unit_id = r.unit_id
   WHERE p.framework_id = :framework AND p.year <= :year
     AND r.status IN ('submitted', 'accepted') AND ind.time_behaviour = 'stock'
     AND (v.value IS NOT NULL OR v.denominator IS NOT NULL)),
stocks AS (
  SELECT t.year, g.child_id, u.kind, g.code, SUM(g.value) AS value,
         SUM(g.numerator) AS numerator, SUM(g.denominator) AS denominator,
         COUNT(DISTINCT CASE WHEN g.value <> 0 THEN g.unit_id END) AS yes
    FROM given g
    JOIN reporting_period t ON t.framework_id = :framework AND t.year <= :year
     AND t.year >= g.year AND (g.next_year IS NULL OR t.year < g.next_year)
    JOIN unit u ON u.id = g.unit_id
     AND (u.valid_from IS NULL OR u.valid_from <= t.cutoff_date)
     AND (u.valid_to IS NULL OR u.valid_to > t.cutoff_date)
   GROUP BY t.year, g.child_id, u.kind, g.code)
SELECT 'rates', year, child_id, kind, NULL, expected, submitted, on_time, accepted
  FROM rates
UNION ALL SELECT 'flows', year, child_id, kind, code, value, numerator, denominator, yes
  FROM flows
UNION ALL SELECT 'stocks', year, child_id, kind, code, value, numerator, denominator, yes
  FROM stocks
"""


def best_of(func, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best


def timed_page(app, engine, client, page: str, repeat: int = 3) -> tuple[float, dict]:
    """The best of ``repeat`` requests of ``page``, split into the time spent in SQL (each
    statement from before to after its cursor execution), in rendering the page's
    template, and the rest (Python: routing, access checks, the domain's arithmetic)."""
    best: tuple[float, dict] = (float("inf"), {})
    for _ in range(repeat):
        clock = {"sql": 0.0, "template": 0.0, "statements": 0}
        marks: dict[str, float] = {}

        def before_sql(*args, marks=marks) -> None:
            marks["sql"] = time.perf_counter()

        def after_sql(*args, clock=clock, marks=marks) -> None:
            clock["sql"] += time.perf_counter() - marks["sql"]
            clock["statements"] += 1

        def before_template(*args, marks=marks, **kwargs) -> None:
            marks["template"] = time.perf_counter()

        def after_template(*args, clock=clock, marks=marks, **kwargs) -> None:
            clock["template"] += time.perf_counter() - marks["template"]

        event.listen(engine, "before_cursor_execute", before_sql)
        event.listen(engine, "after_cursor_execute", after_sql)
        before_render_template.connect(before_template, app)
        template_rendered.connect(after_template, app)
        started = time.perf_counter()
        response = client.get(page)
        total = time.perf_counter() - started
        template_rendered.disconnect(after_template, app)
        before_render_template.disconnect(before_template, app)
        event.remove(engine, "after_cursor_execute", after_sql)
        event.remove(engine, "before_cursor_execute", before_sql)
        assert response.status_code == 200, response.status_code  # noqa: S101 - a benchmark
        if total < best[0]:
            best = (total, {**clock, "python": total - clock["sql"] - clock["template"]})
    return best


def load(app, years: range = YEARS, units: bytes | None = None) -> dict:
    """The country (or the unit list ``units``, in its format), Plan 108, a report a year
    (six years unless told) from every district and commune; returns counts for the
    printout."""
    with system_scope("benchmark data"):
        add_unit("VN", "Việt Nam", "nation", None)
        import_units(read_unit_csv(
            units if units is not None else LEGACY_UNITS.read_bytes()), under="VN")
        source = PLAN_108
        framework = load_framework(source.name, source.read_bytes(), "VN",
                                   number="108/KH-UBND", issued_on="26/05/2025",
                                   preset="plan-108", periods="2025-2030", publish=True)
        version = framework.published()
        indicators = list(db.session.scalars(select(Indicator).where(
            Indicator.version_id == version.id)))
        periods = {p.year: p.id for p in db.session.scalars(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == framework.id))}
        reporters = db.session.execute(select(Unit.id, Unit.kind).where(
            Unit.kind.in_(["district", "commune"]))).all()
        reports = values = 0
        for year in years:
            due = datetime(year, 11, 30, 9, tzinfo=UTC)
            rows = []
            for unit_id, _kind in reporters:
                if (unit_id + year) % 10 == 0:
                    continue  # about one unit in ten has not reported that year
                moment = due + timedelta(days=(unit_id % 7) - 5)   # some late
                rows.append({"unit_id": unit_id, "period_id": periods[year],
                             "framework_version_id": version.id,
                             "status": "accepted" if unit_id % 3 == 0 else "submitted",
                             "section_versions": {}, "results": "", "difficulties": "",
                             "proposals": "", "version": 1, "submitted_at": moment,
                             "first_submitted_at": moment})
            ids = db.session.execute(insert(UnitReport).returning(
                UnitReport.id, UnitReport.unit_id), rows).all()
            batch = []
            for report_id, unit_id in ids:
                for position, indicator in enumerate(indicators):
                    row = {"report_id": report_id, "unit_id": unit_id,
                           "indicator_id": indicator.id, "position": position,
                           "value": None, "numerator": None, "denominator": None,
                           "text": "", "note": "", "version": 1}
                    if indicator.kind == "ratio":
                        row["denominator"] = 10 + (unit_id + year) % 7
                        row["numerator"] = (unit_id + year) % 11
                    elif indicator.kind == "yes_no":
                        row["value"] = 1 if (unit_id + year) % 3 else 0
                    elif indicator.kind in ("count", "amount"):
                        row["value"] = (unit_id + year) % 5
                    else:
                        row["text"] = "Đã thực hiện."
                    batch.append(row)
            db.session.execute(insert(ReportValue), batch)
            reports, values = reports + len(rows), values + len(batch)
        user = find_user("bench.leader") or create_user("bench.leader", PASSWORD)
        grant(user, db.session.scalar(select(Unit).where(Unit.code == "33")), "leader")
        if find_user("bench.operator") is None:
            create_user("bench.operator", PASSWORD, platform_admin=True)
        db.session.commit()
        return {"framework": framework.id, "reports": reports, "values": values}


def existing() -> dict | None:
    """The data a previous ``--keep`` run left, if any."""
    with system_scope("benchmark data"):
        framework = db.session.scalar(select(Indicator.version_id).limit(1))
        if framework is None:
            return None
        from portal.frameworks.framework import FrameworkVersion

        return {"framework": db.session.get(FrameworkVersion, framework).framework_id,
                "reports": db.session.scalar(text("SELECT COUNT(*) FROM unit_report")),
                "values": db.session.scalar(text("SELECT COUNT(*) FROM report_value"))}


def analyse(app) -> None:
    """Fresh tables have no statistics; autovacuum would gather them in production. Only
    a table's owner may analyse it: connect as the schema owner if there is one."""
    owner_url = app.config.get("MIGRATION_DATABASE_URL")
    owner = create_engine(owner_url.replace("postgresql://", "postgresql+psycopg://", 1)
                          ) if owner_url else db.engine
    with owner.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def main() -> None:
    keep = "--keep" in sys.argv
    url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.db"))
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, REDIS_URL=None,
                     WTF_CSRF_ENABLED=False)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.perf_counter()
        loaded = existing() or load(app)
        load_time = time.perf_counter() - started
        db.session.remove()   # end the session's transaction before another connection writes
        analyse(app)
        with system_scope("benchmark"):
            units = db.session.scalar(text("SELECT COUNT(*) FROM unit"))
            ids = dict(db.session.execute(select(Unit.code, Unit.id).where(
                Unit.code.in_(["VN", "33"]))).tuples().all())
            # each year's due moment: 23:59:59 on 30/11 in Vietnam
            dues = {f"due_{y}": datetime(y, 11, 30, 16, 59, 59, tzinfo=UTC) for y in YEARS}
    due_case = "CASE p.year " + " ".join(f"WHEN {y} THEN :due_{y}" for y in YEARS) + " END"
    single = SINGLE_SQL.replace("{due}", due_case)

    figures = []
    for label, code, user in (("province 33", "33", "bench.leader"),
                              ("national roll-up", "VN", "bench.operator")):
        client = app.test_client()
        client.post("/auth/login", data={"username": user, "password": PASSWORD})
        page = f"/units/{code}/dashboard?framework={loaded['framework']}&year=2030"
        with app.app_context():
            engine = db.engine
        response = client.get(page)
        assert response.status_code == 200, response.status_code  # noqa: S101 - a benchmark
        page_time, parts = timed_page(app, engine, client, page)

        def single_sql(code: str = code) -> None:
            with app.app_context(), system_scope("benchmark baseline"):
                db.session.execute(text(single), {
                    "root": ids[code], "framework": loaded["framework"], "year": 2030,
                    **dues}).all()

        sql_time = best_of(single_sql)
        figures.append((label, page_time, parts, sql_time, len(response.data)))

    with app.app_context():
        db.engine.dispose()
    print(f"database: {url.split(':')[0]}")
    print(f"units: {units}; reports: {loaded['reports']} (2025–2030); values: "
          f"{loaded['values']}; loaded (or found) in {load_time:.1f} s")
    for label, page_time, parts, sql_time, size in figures:
        print(f"{label}: dashboard page {page_time * 1000:.0f} ms = SQL "
              f"{parts['sql'] * 1000:.0f} ms + Python {parts['python'] * 1000:.0f} ms + "
              f"template {parts['template'] * 1000:.0f} ms ({parts['statements']} SQL "
              f"statements, {size // 1024} KiB); single SQL aggregate {sql_time * 1000:.0f} "
              f"ms; ratio page / single SQL {page_time / sql_time:.1f}x")
    if keep:
        print("data kept for benchmarks/dashboard_load.sh (leader bench.leader, "
              f"password {PASSWORD}, framework {loaded['framework']})")


if __name__ == "__main__":
    main()
