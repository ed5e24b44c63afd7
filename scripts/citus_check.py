"""Is the schema ready for Citus distributed by province? (issue 22 item 7)

Checks the database at DATABASE_URL (or MIGRATION_DATABASE_URL) against Citus's rules for
a multi-tenant schema (shared/notes/standards-and-scale.md § Scale-out engines):

1. every tenant table (row-level security on) carries the distribution key column
   ``DISTRIBUTION_KEY`` — or is listed as a reference table (copied to every node);
2. its primary key and every unique constraint include that column;
3. every foreign key between two distributed tables includes it on both sides (a
   foreign key to a reference table is allowed; one from a reference table to a
   distributed table is not);
4. the code runs no recursive CTE and takes no row lock (``FOR UPDATE``,
   ``with_for_update``) — Citus runs those only within one shard.

Prints one line per failure and a summary; exits 1 when anything fails (``--report``:
always 0, for the docs). The key's name is this one constant, the column migrations
0028_tenant_keys and 0034_distribution_key add.

    MIGRATION_DATABASE_URL=postgresql://portal_owner:…@127.0.0.1/portal .venv/bin/python scripts/citus_check.py
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import psycopg

DISTRIBUTION_KEY = "province_id"
# Copied to every node (no key needed): small, written rarely, read across provinces.
# The unit tree is the tenant map itself; accounts and memberships are read by every
# request's reach (by user, not by province); a reorganization is referenced by the
# lineage; a framework and everything shared down with it (``owner_unit_id``) is read by
# every unit below its owner, the ministry's national plan by every province, and a
# province's framework points at the national one (``parent_id``, the indicator
# mapping); a manual reminder, and a validation run started at the ministry, reach units
# of many provinces (their per-unit rows are distributed). Why
# each: docs/operations.md § Ready for Citus; the migration: 0034_distribution_key.
REFERENCE_TABLES = frozenset({
    "unit", "unit_closure", "unit_lineage", "user_account", "membership", "reorganization",
    "framework", "framework_version", "framework_node", "indicator", "indicator_target",
    "reporting_period", "responsibility", "responsibility_unit", "validation_rule",
    "outlier_rule", "report_obligation", "report_obligation_due", "document_page",
    "manual_reminder", "validation_run"})
ROOT = Path(__file__).resolve().parents[1]
CODE = ("portal", "tenants", "blueprints")
LOCKS = re.compile(r"WITH\s+RECURSIVE|FOR\s+UPDATE\b|with_for_update|\.cte\([^)]*recursive=True",
                   re.I)


def catalog(connection: psycopg.Connection) -> dict:
    tables = dict(connection.execute("""
        SELECT c.relname, c.relrowsecurity FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r'""").fetchall())
    columns: dict[str, set[str]] = {}
    for table, column in connection.execute("""
            SELECT table_name, column_name FROM information_schema.columns
             WHERE table_schema = 'public'""").fetchall():
        columns.setdefault(table, set()).add(column)
    constraints = connection.execute("""
        SELECT c.conname, c.contype, t.relname, r.relname,
               ARRAY(SELECT a.attname FROM unnest(c.conkey) k
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k),
               ARRAY(SELECT a.attname FROM unnest(c.confkey) k
                       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k)
          FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
          LEFT JOIN pg_class r ON r.oid = c.confrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f')""").fetchall()
    return {"tables": tables, "columns": columns, "constraints": constraints}


def schema_problems(found: dict, key: str = DISTRIBUTION_KEY,
                    reference: frozenset[str] = REFERENCE_TABLES) -> list[str]:
    tables, columns = found["tables"], found["columns"]
    distributed = {t for t, rls in tables.items() if rls and t not in reference}
    problems = [f"{t}: no {key} column (the distribution key)"
                for t in sorted(distributed) if key not in columns.get(t, set())]
    for name, kind, table, target, cols, target_cols in found["constraints"]:
        if table in reference and kind == "f" and target in distributed:
            problems.append(f"{table}: foreign key {name} from a reference table to the"
                            f" distributed {target}")
        if table not in distributed:
            continue
        if kind in ("p", "u") and key not in cols:
            what = "primary key" if kind == "p" else "unique constraint"
            problems.append(f"{table}: {what} {name} ({', '.join(cols)}) lacks {key}")
        if kind == "f" and target in distributed and (
                key not in cols or key not in (target_cols or [])):
            problems.append(f"{table}: foreign key {name} to {target} ({', '.join(cols)})"
                            f" lacks {key}: not co-located")
        if kind == "f" and target not in distributed and target not in reference:
            problems.append(f"{table}: foreign key {name} to {target}, neither distributed"
                            " nor a reference table")
    return problems


def code_problems(root: Path = ROOT) -> list[str]:
    out = []
    for folder in CODE:
        for path in sorted((root / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if LOCKS.search(line) and "CREATE POLICY" not in line:
                    out.append(f"{path.relative_to(root)}:{number}: recursive CTE or row lock:"
                               f" {line.strip()[:80]}")
    return out


def main(argv: list[str]) -> int:
    url = os.environ.get("MIGRATION_DATABASE_URL") or os.environ["DATABASE_URL"]
    with psycopg.connect(url) as connection:
        found = catalog(connection)
    problems = schema_problems(found) + code_problems()
    distributed = sorted(t for t, rls in found["tables"].items()
                         if rls and t not in REFERENCE_TABLES)
    for problem in problems:
        print("FAIL", problem)
    print(f"distribution key: {DISTRIBUTION_KEY}; {len(distributed)} distributed tables, "
          f"{len(REFERENCE_TABLES)} reference tables; {len(problems)} problems")
    return 0 if not problems or "--report" in argv else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
