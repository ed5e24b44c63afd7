"""Benchmark: import the whole legacy country (~10,800 units) through `import_units`.

Prints the time of the real import (validation, code checks, units, closure table)
and of a baseline measured in the same run on the same database: a bare
executemany INSERT of the same rows into a temporary table with the same columns
(no validation, no tree). Everything is rolled back, so it can be run repeatedly.

    .venv/bin/python benchmarks/import_units.py                 # SQLite (temp file)
    DATABASE_URL=postgresql://… MIGRATION_DATABASE_URL=postgresql://… \
        .venv/bin/python benchmarks/import_units.py             # PostgreSQL
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate
from sqlalchemy import text

from composition import create_app
from portal.config import TestingConfig
from portal.data import LEGACY_UNITS
from portal.extensions import db
from tenants.scoping import system_scope
from tenants.tree import import_units, read_unit_csv

FILE = LEGACY_UNITS


def main() -> None:
    url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.db"))
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    raw = FILE.read_bytes()
    with app.app_context():
        flask_migrate.upgrade()
        dialect = db.engine.dialect.name
        with system_scope("benchmark"):
            rows = read_unit_csv(raw)
            started = time.perf_counter()
            result = import_units(read_unit_csv(raw))
            db.session.flush()
            real = time.perf_counter() - started
            db.session.rollback()

            db.session.execute(text(
                "CREATE TEMPORARY TABLE bench_unit (id INTEGER PRIMARY KEY, code VARCHAR(32),"
                " name VARCHAR(255), kind VARCHAR(40), level INTEGER, parent_code VARCHAR(32))"))
            values = [{"id": i, "code": r["code"], "name": r["name"], "kind": r["type"],
                       "level": int(r["level"]), "parent_code": r["parent_code"]}
                      for i, r in enumerate(rows, 1)]
            started = time.perf_counter()
            db.session.execute(text(
                "INSERT INTO bench_unit (id, code, name, kind, level, parent_code) VALUES "
                "(:id, :code, :name, :kind, :level, :parent_code)"), values)
            baseline = time.perf_counter() - started
            db.session.rollback()
        db.engine.dispose()
    print(f"database: {dialect}")
    print(f"units imported: {result.created} (file rows: {len(rows)})")
    print(f"import_units (validated, with closure table): {real:.2f} s")
    print(f"baseline (bare executemany INSERT of the rows): {baseline:.2f} s")
    print(f"ratio import / baseline: {real / baseline:.1f}x")


if __name__ == "__main__":
    main()
