"""Benchmark: the ministry's national dashboard over the 2025 structure, six years.

Builds a database (SQLite in a temporary folder, or the PostgreSQL database of
DATABASE_URL / MIGRATION_DATABASE_URL, which must be new and which it fills and leaves)
with the country as it is since 1 July 2025 (``admin-units-vn-2025-07.csv``: 34
provinces, 3,321 communes and wards; ``--provinces N`` keeps the first N) under the
ministry (``BKHCN``, kind nation, as the demo has it), the national plan of Decision
1703/QĐ-TTg parsed from its text with preset ``national-1703`` and published by the
ministry, and for each province a framework of its own implementing it, its indicators
mapped to the national ones (``portal.frameworks.mapping``) — two indicator sets:

- the odd provinces (1st, 3rd, …): Plan 108's indicators and mapping
  (``NATIONAL_MAPPING_108``: investment in đồng, × 0.000001 to million đồng);
- the even ones: a variant — investment in thousand đồng (× 0.001), and the products
  surveyed (II.1.g) with no national counterpart;

and a report for every year 2025–2030 from every commune (about one in ten missing each
year, some late, a third accepted) with a value for every indicator. Then, on the same
database, as the ministry's leader (PostgreSQL: the app's role ``portal_app`` under
row-level security, and the ORM guard on):

- times ``portal.dashboard.national.national_board`` for 2030 under the leader's scope,
  counting its statements;
- renders the page ``/units/BKHCN/national?year=2030`` through the test client signed in
  as the leader, split into SQL, Python and template time;
- runs one hand-written SQL statement that computes the same national figures through
  the mapping (the sums, numerators, denominators and shares), and checks that every
  national figure of the dashboard equals the statement's.

    .venv/bin/python benchmarks/national_dashboard.py              # SQLite, 3 provinces
    DATABASE_URL=… MIGRATION_DATABASE_URL=… \\
      .venv/bin/python benchmarks/national_dashboard.py --provinces 34 [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate
from sqlalchemy import event, insert, select, text

from benchmarks.dashboard import PASSWORD, YEARS, analyse, best_of, timed_page
from composition import create_app
from portal.accounts.service import create_user, find_user, grant
from portal.config import TestingConfig
from portal.dashboard.national import national_board
from portal.data import PLAN_108, PLAN_1703, UNITS_2025
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.frameworks.loading import load_framework
from portal.frameworks.mapping import save_mapping, set_parent
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.presets import NATIONAL_MAPPING_108, PLAN_108_INDICATORS, PRESETS
from portal.reports.obligations import save_obligation
from portal.reports.report import ReportValue, UnitReport
from tenants.scoping import Scope, system_scope, use_scope
from tenants.tree import add_unit, import_units, read_unit_csv
from tenants.unit import Unit

MINISTRY = "BKHCN"
LEADER = "bench.minister"
YEAR = 2030

# The second indicator set: investment in thousand đồng, products surveyed unmapped.
VARIANT = "bench-variant"
VARIANT_INDICATORS = {**PLAN_108_INDICATORS,
                      "II.1.h": {**PLAN_108_INDICATORS["II.1.h"],
                                 "unit_of_measure": "nghìn đồng"}}
VARIANT_MAPPING = {**NATIONAL_MAPPING_108,
                   "II.1.h": ("factor", "II.1.h", Decimal("0.001")),
                   "II.1.g": ("none", None, None)}
# a unit's investment, in its plan's own unit of measure
AMOUNT_SCALE = {"plan-108": 1_000_000, VARIANT: 1_000}

# The national figures in one statement: each commune with its province's framework,
# each value through its indicator's mapping (times its factor), summed by national
# indicator — per year: that year; cumulative: every year up to it; stock: each unit's
# latest value up to it — and, for the yes/no shares, the units expected (the province
# indicator's reporting kinds, below each province).
SINGLE_SQL = """
WITH members AS (
  SELECT c.descendant_id AS unit_id, f.id AS framework_id
    FROM framework f
    JOIN unit_closure c ON c.ancestor_id = f.owner_unit_id AND c.depth > 0
   WHERE f.parent_id = :national),
mapped AS (
  SELECT m.indicator_id, fv.framework_id, n.code, n.aggregation, n.time_behaviour,
         m.mode, CASE WHEN m.mode IN ('factor', 'part') THEN m.factor ELSE 1 END AS factor,
         i.reporting_kinds
    FROM indicator_mapping m
    JOIN indicator i ON i.id = m.indicator_id
    JOIN framework_version fv ON fv.id = i.version_id
    JOIN indicator n ON n.id = m.national_indicator_id
   WHERE m.mode <> 'none' AND n.version_id = :version),
given AS (
  SELECT mp.code, mp.aggregation, mp.time_behaviour, mp.mode, mp.factor, p.year,
         v.unit_id, v.value, v.numerator, v.denominator,
         LEAD(p.year) OVER (PARTITION BY v.unit_id, v.indicator_id ORDER BY p.year)
           AS next_year
    FROM report_value v
    JOIN unit_report r ON r.id = v.report_id
    JOIN reporting_period p ON p.id = r.period_id
    JOIN members mb ON mb.unit_id = r.unit_id AND mb.framework_id = p.framework_id
    JOIN mapped mp ON mp.indicator_id = v.indicator_id
   WHERE r.status IN ('submitted', 'accepted') AND p.year <= :year
     AND (v.value IS NOT NULL OR v.denominator IS NOT NULL)),
counted AS (
  SELECT * FROM given
   WHERE (time_behaviour = 'per_year' AND year = :year)
      OR time_behaviour = 'cumulative'
      OR (time_behaviour = 'stock' AND (next_year IS NULL OR next_year > :year)))
SELECT code, 'values' AS part,
       SUM(CASE WHEN mode IN ('same', 'factor', 'part') THEN value * factor END) AS value,
       SUM(CASE WHEN mode = 'numerator' THEN value
                WHEN numerator IS NOT NULL AND denominator IS NOT NULL THEN numerator END)
         AS numerator,
       SUM(CASE WHEN mode = 'denominator' THEN value
                WHEN numerator IS NOT NULL AND denominator IS NOT NULL THEN denominator END)
         AS denominator,
       COUNT(DISTINCT CASE WHEN value <> 0 THEN unit_id END) AS yes
  FROM counted GROUP BY code
UNION ALL
SELECT mp.code, 'expected', NULL, NULL, NULL, COUNT(*)
  FROM mapped mp
  JOIN members mb ON mb.framework_id = mp.framework_id
  JOIN unit u ON u.id = mb.unit_id
  JOIN reporting_period p ON p.framework_id = mp.framework_id AND p.year = :year
 WHERE mp.aggregation = 'share_of_expected'
   AND ',' || mp.reporting_kinds || ',' LIKE '%,' || u.kind || ',%'
   AND (u.valid_from IS NULL OR u.valid_from <= p.cutoff_date)
   AND (u.valid_to IS NULL OR u.valid_to > p.cutoff_date)
 GROUP BY mp.code
"""


def country(provinces: int) -> tuple[list[dict[str, str]], list[str]]:
    """The 2025 list's rows of its first ``provinces`` provinces, and their codes."""
    rows = read_unit_csv(UNITS_2025.read_bytes())
    codes = [r["code"] for r in rows if not r["parent_code"]][:provinces]
    chosen = set(codes)
    return [r for r in rows if r["code"] in chosen or r["parent_code"] in chosen], codes


def load(provinces: int) -> dict:
    """The ministry, the country, the national plan, the provinces' plans mapped to it
    and six years of the communes' reports; returns counts for the printout."""
    rows, codes = country(provinces)
    with system_scope("benchmark data"):
        add_unit(MINISTRY, "Bộ Khoa học và Công nghệ", "nation", None)
        import_units(rows, under=MINISTRY)
        national = load_framework(
            PLAN_1703.name, PLAN_1703.read_bytes(), MINISTRY,
            name="Kế hoạch triển khai Chỉ thị 38-CT/TW (Quyết định 1703/QĐ-TTg)",
            number="1703/QĐ-TTg", issued_on="31/12/2024", issuer="THỦ TƯỚNG CHÍNH PHỦ",
            preset="national-1703", periods="2025-2030", publish=True)
        save_obligation(national, {
            "name": "Báo cáo của tỉnh gửi Bộ Khoa học và Công nghệ", "receiver": MINISTRY,
            **{f"due_{p.id}": f"15/12/{p.year}" for p in db.session.scalars(
                select(ReportingPeriod).where(ReportingPeriod.framework_id == national.id))}},
            ["province"])
        above = national.published()
        targets = {i.code: i.id for i in db.session.scalars(
            select(Indicator).where(Indicator.version_id == above.id))}
        reports = values = 0
        with mock.patch.dict(PRESETS, {VARIANT: VARIANT_INDICATORS}):
            for n, code in enumerate(codes):
                preset, mapping = ("plan-108", NATIONAL_MAPPING_108) if n % 2 == 0 else \
                    (VARIANT, VARIANT_MAPPING)
                plan = load_framework(PLAN_108.name, PLAN_108.read_bytes(), code,
                                      number=f"{100 + n}/KH-UBND", issued_on="26/05/2025",
                                      preset=preset, periods="2025-2030", publish=True)
                set_parent(plan, national)
                version = plan.published()
                indicators = list(db.session.scalars(select(Indicator).where(
                    Indicator.version_id == version.id).order_by(Indicator.position)))
                own = {i.code: i.id for i in indicators}
                save_mapping(version, {own[c]: (mode, targets[t] if t else None, factor)
                                       for c, (mode, t, factor) in mapping.items()})
                added = _reports(plan, version.id, indicators, code, AMOUNT_SCALE[preset])
                reports, values = reports + added[0], values + added[1]
        user = find_user(LEADER) or create_user(LEADER, PASSWORD)
        grant(user, db.session.scalar(select(Unit).where(Unit.code == MINISTRY)), "leader")
        db.session.commit()
        return {"national": national.id, "reports": reports, "values": values}


def _reports(plan: Framework, version_id: int, indicators: list[Indicator], province: str,
             scale: int) -> tuple[int, int]:
    """A report a year from every commune of the province (as ``benchmarks/dashboard.py``
    fills them), with a value for every indicator."""
    periods = {p.year: p.id for p in db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == plan.id))}
    communes = list(db.session.scalars(select(Unit.id).where(
        Unit.parent_id == plan.owner_unit_id).order_by(Unit.id)))
    reports = values = 0
    for year in YEARS:
        due = datetime(year, 11, 30, 9, tzinfo=UTC)
        rows = []
        for unit_id in communes:
            if (unit_id + year) % 10 == 0:
                continue   # about one unit in ten has not reported that year
            moment = due + timedelta(days=(unit_id % 7) - 5)   # some late
            rows.append({"unit_id": unit_id, "period_id": periods[year],
                         "framework_version_id": version_id,
                         "status": "accepted" if unit_id % 3 == 0 else "submitted",
                         "section_versions": {}, "results": "", "difficulties": "",
                         "proposals": "", "version": 1, "submitted_at": moment,
                         "first_submitted_at": moment})
        if not rows:
            continue
        ids = db.session.execute(insert(UnitReport).returning(
            UnitReport.id, UnitReport.unit_id), rows).all()
        batch = []
        for report_id, unit_id in ids:
            for position, indicator in enumerate(indicators):
                row = {"report_id": report_id, "unit_id": unit_id,
                       "indicator_id": indicator.id, "position": position, "value": None,
                       "numerator": None, "denominator": None, "text": "", "note": "",
                       "version": 1}
                if indicator.kind == "ratio":
                    row["denominator"] = 10 + (unit_id + year) % 7
                    row["numerator"] = (unit_id + year) % 11
                elif indicator.kind == "yes_no":
                    row["value"] = 1 if (unit_id + year) % 3 else 0
                elif indicator.kind == "amount":
                    row["value"] = (unit_id + year) % 5 * scale
                elif indicator.kind == "count":
                    row["value"] = (unit_id + year) % 5
                else:
                    row["text"] = "Đã thực hiện."
                batch.append(row)
        db.session.execute(insert(ReportValue), batch)
        reports, values = reports + len(rows), values + len(batch)
    return reports, values


def existing() -> dict | None:
    """The data a previous run left (``--keep``), if any."""
    with system_scope("benchmark data"):
        national = db.session.scalar(select(Framework.id).join(
            Unit, Unit.id == Framework.owner_unit_id).where(Unit.code == MINISTRY))
        if national is None:
            return None
        return {"national": national,
                "reports": db.session.scalar(text("SELECT COUNT(*) FROM unit_report")),
                "values": db.session.scalar(text("SELECT COUNT(*) FROM report_value"))}


def counting(engine):
    """A listener counting the statements run, and the counter."""
    counter = {"statements": 0}

    def count(*args, counter=counter) -> None:
        counter["statements"] += 1

    event.listen(engine, "before_cursor_execute", count)
    return counter, lambda: event.remove(engine, "before_cursor_execute", count)


def board_figures(board) -> dict[str, dict[str, Decimal | None]]:
    """The national figures of the board, by national indicator code."""
    return {f.indicator.code: {"aggregation": f.indicator.aggregation, "value": f.value,
                               "numerator": f.numerator, "denominator": f.denominator,
                               "texts": len(f.texts),
                               "provinces": sum(1 for c in f.contributions if c.counts)}
            for f in board.figures}


def baseline_figures(rows) -> dict[str, dict[str, Decimal | None]]:
    """The single statement's figures, in the board's terms."""
    found: dict[str, dict] = {}
    for code, part, value, numerator, denominator, yes in rows:
        entry = found.setdefault(code, {})
        if part == "expected":
            entry["expected"] = yes
        else:
            entry.update(value=value, numerator=numerator, denominator=denominator, yes=yes)
    return found


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = Decimal(str(a)), Decimal(str(b))
    return abs(a - b) <= Decimal("1e-9") * max(abs(a), abs(b), Decimal(1))


def check(board: dict, base: dict) -> list[str]:
    """Where the dashboard's national figures differ from the statement's (none: equal)."""
    wrong = []
    for code, f in board.items():
        b = base.get(code, {})
        if f["aggregation"] == "sum":
            pairs = [("value", f["value"], b.get("value"))]
        elif f["aggregation"] == "ratio_of_sums":
            pairs = [("numerator", f["numerator"], b.get("numerator")),
                     ("denominator", f["denominator"], b.get("denominator"))]
        elif f["aggregation"] == "share_of_expected":
            pairs = [("units saying yes", f["numerator"], b.get("yes")),
                     ("units expected", f["denominator"], b.get("expected"))]
        else:
            pairs = [("texts", f["texts"], 0)]
        wrong += [f"{code} {what}: dashboard {mine}, SQL {theirs}"
                  for what, mine, theirs in pairs if not same(mine, theirs)]
    return wrong


def shown(f: dict) -> str:
    if f["aggregation"] == "sum":
        return "—" if f["value"] is None else f"{Decimal(str(f['value'])).normalize():f}"
    if f["numerator"] is None:
        return "—"
    return f"{Decimal(str(f['numerator'])).normalize():f}/" \
           f"{Decimal(str(f['denominator'])).normalize():f}"


def label(statement: str) -> str:
    """A statement's short name: the tables after its first FROM and JOINs."""
    words = statement.replace("\n", " ").split()
    tables = [words[i + 1].strip("(),") for i, w in enumerate(words[:-1])
              if w.upper() in ("FROM", "JOIN") and words[i + 1][:1].isalpha()]
    return ", ".join(dict.fromkeys(t for t in tables if t.upper() != "SELECT")) or words[0]


def explain(app, engine, scope: Scope, ministry_id: int) -> list[str]:
    """Where the board's SQL time goes under the leader's scope: its statements grouped
    by text (the same statement for each province), the five costliest groups, then
    EXPLAIN ANALYZE of the slowest single statement, run in the same transaction and
    scope (PostgreSQL: the app's role, row-level security on)."""
    groups: dict[str, list[float]] = {}
    slowest: dict = {"time": 0.0}
    marks: dict[str, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        marks["at"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        spent = time.perf_counter() - marks["at"]
        groups.setdefault(statement, []).append(spent)
        if spent > slowest["time"] and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            slowest.update(time=spent, statement=statement, parameters=parameters)

    def run() -> None:
        with app.app_context(), use_scope(scope):
            national_board(db.session.get_one(Unit, ministry_id), YEAR)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        run()
    finally:
        event.remove(engine, "after_cursor_execute", after)
        event.remove(engine, "before_cursor_execute", before)
    total = sum(sum(t) for t in groups.values())
    lines = [f"SQL of one national_board run: {total * 1000:.0f} ms in "
             f"{sum(len(t) for t in groups.values())} statements, {len(groups)} distinct; "
             "the costliest:"]
    for statement, spent in sorted(groups.items(), key=lambda g: -sum(g[1]))[:5]:
        lines.append(f"  {sum(spent) * 1000:6.0f} ms  {len(spent):4d} x  "
                     f"(max {max(spent) * 1000:.0f} ms)  {label(statement)[:90]}")
    if engine.dialect.name != "postgresql" or "statement" not in slowest:
        return lines
    plan: list[str] = []

    def analyse_slowest(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement == slowest["statement"] and parameters == slowest["parameters"] \
                and not plan:
            cursor.execute("EXPLAIN ANALYZE " + statement, parameters)
            plan.extend(r[0] for r in cursor.fetchall())

    event.listen(engine, "before_cursor_execute", analyse_slowest)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", analyse_slowest)
    lines.append(f"EXPLAIN ANALYZE of the slowest statement ({slowest['time'] * 1000:.0f} ms, "
                 f"{label(slowest['statement'])[:80]}), under the leader's scope:")
    lines += ["  " + line for line in plan]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provinces", type=int, default=3,
                        help="the first N provinces of the 2025 list (34: the whole country)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    parser.add_argument("--keep", action="store_true",
                        help="time the data an earlier run left, if any")
    parser.add_argument("--explain", action="store_true",
                        help="also print where the board's SQL time goes, and the plan of "
                             "its slowest statement (PostgreSQL: EXPLAIN ANALYZE)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.db"))
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, REDIS_URL=None,
                     WTF_CSRF_ENABLED=False)
    run_started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade()
        started = time.perf_counter()
        loaded = (existing() if args.keep else None) or load(args.provinces)
        load_time = time.perf_counter() - started
        db.session.remove()
        analyse(app)
        with system_scope("benchmark"):
            units = db.session.execute(text(
                "SELECT kind, COUNT(*) FROM unit GROUP BY kind")).tuples().all()
            ministry_id = db.session.scalar(select(Unit.id).where(Unit.code == MINISTRY))
            version_id = db.session.get_one(Framework, loaded["national"]).published().id
            plans = db.session.scalar(select(text("COUNT(*)")).select_from(Framework).where(
                Framework.parent_id == loaded["national"]))
        engine = db.engine
    scope = Scope(subtree_roots=frozenset({ministry_id}), reason="the ministry's leader")

    # 1. the domain function under the leader's scope, each time in a fresh context
    result: dict = {}

    def board() -> None:
        with app.app_context(), use_scope(scope):
            counter, stop = counting(engine)
            try:
                result["figures"] = board_figures(national_board(
                    db.session.get_one(Unit, ministry_id), YEAR))
            finally:
                stop()
            result["statements"] = counter["statements"]

    board_time = best_of(board, args.repeat)

    # 2. the page, signed in as the leader
    client = app.test_client()
    client.post("/auth/login", data={"username": LEADER, "password": PASSWORD})
    page = f"/units/{MINISTRY}/national?year={YEAR}"
    response = client.get(page)
    assert response.status_code == 200, response.status_code  # noqa: S101 - a benchmark
    page_time, parts = timed_page(app, engine, client, page, args.repeat)

    # 3. the single statement
    def single() -> None:
        with app.app_context(), system_scope("benchmark baseline"):
            result["baseline"] = baseline_figures(db.session.execute(text(SINGLE_SQL), {
                "national": loaded["national"], "version": version_id,
                "year": YEAR}).tuples().all())

    sql_time = best_of(single, args.repeat)
    wrong = check(result["figures"], result["baseline"])
    profile = explain(app, engine, scope, ministry_id) if args.explain else []
    with app.app_context():
        db.engine.dispose()

    kinds = dict(units)
    print(f"database: {url.split(':')[0]}")
    print(f"units: {sum(kinds.values())} ({kinds.get('province', 0)} provinces, "
          f"{kinds.get('commune', 0)} communes, the ministry); province plans implementing "
          f"1703/QĐ-TTg: {plans} (two indicator sets); reports: {loaded['reports']} "
          f"(2025–2030); values: {loaded['values']}; loaded (or found) in {load_time:.1f} s")
    print(f"national_board {YEAR} (leader's scope): {board_time * 1000:.0f} ms, "
          f"{result['statements']} SQL statements; single SQL aggregate "
          f"{sql_time * 1000:.0f} ms; ratio {board_time / sql_time:.1f}x")
    print(f"national page {YEAR} (signed in as the leader): {page_time * 1000:.0f} ms = SQL "
          f"{parts['sql'] * 1000:.0f} ms + Python {parts['python'] * 1000:.0f} ms + "
          f"template {parts['template'] * 1000:.0f} ms ({parts['statements']} SQL "
          f"statements, {len(response.data) // 1024} KiB); ratio page / single SQL "
          f"{page_time / sql_time:.1f}x")
    print("national figures (dashboard = single SQL): " + "; ".join(
        f"{code} {shown(f)} ({f['provinces']} prov.)"
        for code, f in result["figures"].items()))
    if wrong:
        print(f"check: the dashboard's national figures differ from the SQL's: "
              f"{'; '.join(wrong)}")
    else:
        print(f"check: all {len(result['figures'])} national figures equal the single "
              "SQL aggregate's: yes")
    for line in profile:
        print(line)
    print(f"run time: {time.perf_counter() - run_started:.0f} s")
    if wrong:
        sys.exit(1)


if __name__ == "__main__":
    main()
