"""Benchmark: consolidating the whole legacy country (~10,800 units, every unit reporting)
and one province, against a single hand-written SQL aggregate over the same data.

Builds a fresh database (SQLite in a temporary folder, or the PostgreSQL database of
DATABASE_URL / MIGRATION_DATABASE_URL, which it fills and leaves), with a national root
above the 63 provinces, Plan 108 owned by it, and a submitted 2026 report with a value
for every numeric indicator for every district and commune. Prints the times and ratios.

    .venv/bin/python benchmarks/consolidation.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate
from sqlalchemy import create_engine, insert, select, text

from composition import create_app
from portal.config import TestingConfig
from portal.data import LEGACY_UNITS, PLAN_108
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.frameworks.loading import load_framework
from portal.frameworks.period import ReportingPeriod
from portal.reports.aggregate import aggregate
from portal.reports.consolidation import launch, run_consolidation
from portal.reports.report import ReportValue, UnitReport
from tenants.scoping import system_scope
from tenants.tree import add_unit, import_units, read_unit_csv
from tenants.unit import Unit

SINGLE_SQL = """
SELECT i.code,
       SUM(v.value) AS value, SUM(v.numerator) AS numerator,
       SUM(v.denominator) AS denominator, COUNT(v.id) AS n
  FROM report_value v
  JOIN unit_report r ON r.id = v.report_id
  JOIN unit_closure c ON c.descendant_id = r.unit_id AND c.ancestor_id = :root
  JOIN indicator i ON i.id = v.indicator_id
 WHERE r.period_id = :period AND r.status IN ('submitted', 'accepted')
 GROUP BY i.code
"""
SINGLE_SQL_RATES = """
SELECT COUNT(*) AS expected, COUNT(r.id) AS submitted
  FROM unit u
  JOIN unit_closure c ON c.descendant_id = u.id AND c.ancestor_id = :root AND c.depth > 0
  LEFT JOIN unit_report r ON r.unit_id = u.id AND r.period_id = :period
 WHERE u.kind IN ('department', 'district', 'commune')
"""


def timed(func, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.db"))
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, REDIS_URL=None)
    with app.app_context():
        flask_migrate.upgrade()
        with system_scope("benchmark data"):
            started = time.perf_counter()
            add_unit("VN", "Việt Nam", "nation", None)
            import_units(read_unit_csv(
                LEGACY_UNITS.read_bytes()),
                under="VN")
            source = PLAN_108
            framework = load_framework(source.name, source.read_bytes(), "VN",
                                       number="108/KH-UBND", issued_on="26/05/2025",
                                       preset="plan-108", periods="2025-2030", publish=True)
            period = db.session.scalar(select(ReportingPeriod).where(
                ReportingPeriod.framework_id == framework.id, ReportingPeriod.year == 2026))
            indicators = list(db.session.scalars(select(Indicator).where(
                Indicator.version_id == framework.published().id)))
            reporters = db.session.execute(select(Unit.id, Unit.kind).where(
                Unit.kind.in_(["district", "commune"]))).all()
            moment = datetime(2026, 11, 25, tzinfo=UTC)
            report_rows = [{"unit_id": uid, "period_id": period.id,
                            "framework_version_id": framework.published().id,
                            "status": "submitted", "section_versions": {},
                            "results": "", "difficulties": "", "proposals": "", "version": 1,
                            "submitted_at": moment, "first_submitted_at": moment}
                           for uid, _kind in reporters]
            ids = db.session.execute(insert(UnitReport).returning(
                UnitReport.id, UnitReport.unit_id), report_rows).all()
            values = []
            for report_id, unit_id in ids:
                for position, indicator in enumerate(indicators):
                    row = {"report_id": report_id, "unit_id": unit_id,
                           "indicator_id": indicator.id, "position": position, "value": None,
                           "numerator": None, "denominator": None, "text": "", "note": "",
                           "version": 1}
                    if indicator.kind == "ratio":
                        row["denominator"] = 10 + unit_id % 7
                        row["numerator"] = unit_id % 11  # at most 10: never above the total
                    elif indicator.kind == "yes_no":
                        row["value"] = 1 if unit_id % 3 else 0
                    elif indicator.kind in ("count", "amount"):
                        row["value"] = unit_id % 5
                    else:
                        row["text"] = "Đã thực hiện."
                    values.append(row)
            db.session.execute(insert(ReportValue), values)
            db.session.commit()
            load_time = time.perf_counter() - started
            # Fresh tables have no statistics; without them PostgreSQL plans the single SQL
            # aggregate as a nested loop over "1 row" and takes seconds. Autovacuum would
            # analyse them in production; here we do it now, for both sides alike.
            # Only a table's owner may analyse it: connect as the schema owner if there is one.
            owner_url = app.config.get("MIGRATION_DATABASE_URL")
            owner = create_engine(owner_url.replace("postgresql://", "postgresql+psycopg://", 1)
                                  ) if owner_url else db.engine
            with owner.connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
            nation = db.session.scalar(select(Unit).where(Unit.code == "VN"))
            province = db.session.scalar(select(Unit).where(Unit.code == "33"))
            framework = db.session.get(Framework, framework.id)
            units = db.session.scalar(text("SELECT COUNT(*) FROM unit"))

            figures = {}
            for label, root in (("country", nation), ("province 33", province)):
                live_time, result = timed(lambda root=root: aggregate(root, framework, 2026))
                sql_time, _rows = timed(lambda root=root: (
                    db.session.execute(text(SINGLE_SQL), {"root": root.id,
                                                          "period": period.id}).all(),
                    db.session.execute(text(SINGLE_SQL_RATES), {"root": root.id,
                                                                "period": period.id}).all()))
                figures[label] = (live_time, sql_time, result["reporting"])

            def consolidate():
                row = launch(nation, framework, 2026, None)
                db.session.commit()
                return run_consolidation(row.id, nation.id)

            job_time, _status = timed(consolidate, repeat=1)
        db.engine.dispose()

    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    print(f"units: {units}; reports: {len(report_rows)}; values: {len(values)}; "
          f"loaded in {load_time:.1f} s")
    for label, (live_time, sql_time, reporting) in figures.items():
        print(f"{label}: aggregate {live_time * 1000:.0f} ms, single SQL aggregate "
              f"{sql_time * 1000:.0f} ms, ratio {live_time / sql_time:.1f}x "
              f"(expected {reporting['expected']}, submitted {reporting['submitted']})")
    print(f"country: the whole consolidation job (aggregate, narrative, snapshot) "
          f"{job_time * 1000:.0f} ms, ratio to the single SQL aggregate "
          f"{job_time / figures['country'][1]:.1f}x")


if __name__ == "__main__":
    main()
