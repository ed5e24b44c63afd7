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
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate
from sqlalchemy import create_engine, event, insert, select, text

from composition import create_app
from portal.config import TestingConfig
from portal.data import LEGACY_UNITS, PLAN_108
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.frameworks.loading import load_framework
from portal.frameworks.period import ReportingPeriod
from portal.reports import aggregate as aggregate_module
from portal.reports.aggregate import aggregate, compute
from portal.reports.consolidation import Consolidation, launch, run_consolidation
from portal.reports.consolidation_documents import consolidation_docx, consolidation_xlsx
from portal.reports.consolidation_export import Sender, build_consolidation_docx
from portal.reports.pages import consolidation_page
from portal.reports.report import ReportValue, UnitReport
from tenants.scoping import Scope, system_scope, use_scope
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


RESULTS = (
    "Tổ chức {n} lớp tập huấn về tiêu chuẩn, đo lường, chất lượng cho {m} lượt cán bộ và "
    "doanh nghiệp trên địa bàn.",
    "Kiểm tra {n} cơ sở kinh doanh xăng dầu, vàng trang sức; phát hiện {k} trường hợp vi "
    "phạm về đo lường, đã xử lý theo quy định.",
    "Hỗ trợ {k} doanh nghiệp áp dụng hệ thống quản lý chất lượng theo TCVN ISO 9001:2015 "
    "và {n} sản phẩm OCOP được công bố tiêu chuẩn cơ sở.",
    "Rà soát, cập nhật {n} quy trình nội bộ giải quyết thủ tục hành chính; duy trì hệ thống "
    "quản lý chất lượng tại bộ phận một cửa.",
)
DIFFICULTIES = (
    "Kinh phí bố trí cho hoạt động tiêu chuẩn, đo lường, chất lượng còn hạn chế; cán bộ "
    "phụ trách kiêm nhiệm nhiều việc.",
    "Phương tiện đo tại chợ dân sinh chưa được kiểm định đầy đủ; nhận thức của một bộ phận "
    "hộ kinh doanh còn chưa cao.",
    "Doanh nghiệp nhỏ và vừa chưa quan tâm xây dựng tiêu chuẩn cơ sở, thiếu chuyên gia tư vấn.",
)
PROPOSALS = (
    "Đề nghị Sở Khoa học và Công nghệ tổ chức thêm lớp tập huấn nghiệp vụ cho cán bộ cấp xã.",
    "Đề nghị bố trí kinh phí trang bị bộ quả cân chuẩn và cân đối chứng tại các chợ.",
    "Kiến nghị hướng dẫn thống nhất biểu mẫu báo cáo và thời hạn gửi báo cáo hằng năm.",
)


def narrative_of(unit_id: int) -> dict[str, str]:
    """A unit's narrative as officers write it: a few lines a section, some numbers."""
    n, m, k = 1 + unit_id % 9, 20 + unit_id % 180, unit_id % 6

    def pick(lines: tuple[str, ...], count: int) -> str:
        return "\n".join(lines[(unit_id + i) % len(lines)].format(n=n + i, m=m, k=k)
                         for i in range(count))

    return {"results": pick(RESULTS, 2 + unit_id % 2), "difficulties": pick(DIFFICULTIES, 1),
            "proposals": pick(PROPOSALS, 1 + unit_id % 2)}


def text_of(unit_id: int, position: int) -> str:
    """A text indicator's value: a sentence or two, different from unit to unit."""
    return (RESULTS[(unit_id + position) % len(RESULTS)].format(
        n=1 + unit_id % 7, m=30 + unit_id % 90, k=unit_id % 4)
        + (" Kết quả được báo cáo Ủy ban nhân dân cùng cấp." if unit_id % 2 else ""))


def timed(func, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def load() -> tuple[int, int]:
    """The country, Plan 108, a submitted 2026 report with narratives from every district
    and commune; returns (reports, values)."""
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
                    **narrative_of(uid), "version": 1,
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
                row["text"] = text_of(unit_id, position)
            values.append(row)
    db.session.execute(insert(ReportValue), values)
    db.session.commit()
    return len(report_rows), len(values)


def shape(plan: list[str]) -> str:
    """A plan's shape: its join nodes outside the policies' and the guard's subplans, and
    the scan of its main table."""
    joins, scans, depth_of_subplan = [], [], None
    for line in plan:
        depth = len(line) - len(line.lstrip())
        if depth_of_subplan is not None and depth > depth_of_subplan:
            continue
        depth_of_subplan = None
        stripped = line.strip()
        if stripped.startswith(("SubPlan", "InitPlan")):
            depth_of_subplan = depth
            continue
        node = stripped.removeprefix("->  ").split("  (cost=")[0]
        if "(cost=" not in line:
            continue
        if "Join" in node or "Nested Loop" in node:
            joins.append(node)
        elif " on " in node and "Scan" in node:
            scans.append(node.split(" on ")[1].split()[0])
    return f"joins: {', '.join(joins) or 'none'}; tables: {', '.join(scans)}"


def texts_plan(app, root_id: int, framework_id: int) -> list[str]:
    """The shapes of the aggregate's texts statements (``_read_texts``, and the members'
    statement ``Members.read`` whose rows it uses) under the job's own scope (the root's
    subtree: the guard and row-level security apply)."""
    captured: list[str] = []
    reading = {"on": False}
    original = aggregate_module._read_texts
    original_members = aggregate_module.Members.read

    def reading_texts(*args, **kwargs):
        reading["on"] = True
        try:
            return original(*args, **kwargs)
        finally:
            reading["on"] = False

    def reading_members(*args, **kwargs):
        reading["on"] = True
        try:
            return original_members(*args, **kwargs)
        finally:
            reading["on"] = False

    def explain(conn, cursor, statement, parameters, context, executemany) -> None:
        if reading["on"] and statement.lstrip().upper().startswith("SELECT") \
                and "set_config" not in statement:
            cursor.execute("EXPLAIN " + statement, parameters)
            captured.append(shape([r[0] for r in cursor.fetchall()]))

    event.listen(db.engine, "before_cursor_execute", explain)
    try:
        with mock.patch.object(aggregate_module, "_read_texts", reading_texts), \
                mock.patch.object(aggregate_module.Members, "read",
                                  staticmethod(reading_members)), \
                use_scope(Scope(subtree_roots=frozenset({root_id}))):
            compute(db.session.get_one(Unit, root_id),
                    db.session.get_one(Framework, framework_id), [2026])
    finally:
        event.remove(db.engine, "before_cursor_execute", explain)
    return captured


def word_scaling(result: dict, lines: int) -> float:
    """Seconds to build the Word report of ``result`` with ``lines`` distinct narrative
    lines (a compiled narrative merges repeated sentences; this one has none)."""
    body = "\n".join(f"Đơn vị số {n} đã tổ chức {n % 9 + 1} lớp tập huấn cho {n % 97 + 3} "
                     f"lượt doanh nghiệp." for n in range(lines))
    sender = Sender(body="Bộ Khoa học và Công nghệ", parent=None, number="     /BC",
                    addressee="Chính phủ", place="Hà Nội", signer_title=None,
                    signer_name=None)
    started = time.perf_counter()
    build_consolidation_docx(result, sender=sender, year=2026, framework_number=None,
                             indicators={}, names={},
                             narrative={"results": body, "difficulties": "",
                                        "proposals": ""})
    return time.perf_counter() - started


def consolidate(root: Unit, framework: Framework) -> tuple[float, int]:
    """The whole job, as the worker runs it (its own subtree scope); (seconds, id)."""
    row = launch(root, framework, 2026, None)
    db.session.commit()
    row_id, root_id = row.id, root.id
    started = time.perf_counter()
    run_consolidation(row_id, root_id)
    return time.perf_counter() - started, row_id


def exports(row_id: int, root_id: int) -> tuple[float, float, int, int, int]:
    """The Word and Excel files of a snapshot, under the root's subtree scope as the
    export job builds them: (Word s, Excel s, narrative passages, Word bytes, Excel bytes)."""
    with use_scope(Scope(subtree_roots=frozenset({root_id}))):
        page = consolidation_page(db.session.get(Consolidation, row_id))
        passages = sum(len([line for line in text.splitlines() if line.strip()])
                       for text in page.narrative.values())
        started = time.perf_counter()
        word, _name = consolidation_docx(page)
        word_time = time.perf_counter() - started
        started = time.perf_counter()
        excel, _name = consolidation_xlsx(page)
        excel_time = time.perf_counter() - started
    return word_time, excel_time, passages, len(word), len(excel)


def main() -> None:
    keep = "--keep" in sys.argv
    # First, while the process is small: the collector's passes over a large heap (the
    # national snapshot in memory) would add their own growth to the builder's.
    small = {"reporting": {"expected": 1, "submitted": 1, "on_time": 1, "accepted": 1,
                           "rate": 1.0, "timeliness": 1.0}, "indicators": {}, "children": []}
    scaling = [(n, word_scaling(small, n)) for n in (8000, 32000)]
    url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.db"))
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, REDIS_URL=None)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.perf_counter()
        with system_scope("benchmark data"):
            found = db.session.scalar(text("SELECT COUNT(*) FROM unit_report")) if keep else 0
            if found:
                reports = found
                values = db.session.scalar(text("SELECT COUNT(*) FROM report_value"))
            else:
                reports, values = load()
        load_time = time.perf_counter() - started
        db.session.remove()
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
        with system_scope("benchmark"):
            nation = db.session.scalar(select(Unit).where(Unit.code == "VN"))
            province = db.session.scalar(select(Unit).where(Unit.code == "33"))
            district = db.session.scalar(select(Unit).where(Unit.parent_id == province.id,
                                                            Unit.kind == "district")
                                         .order_by(Unit.code).limit(1))
            framework_id = db.session.scalar(select(Framework.id))
            framework = db.session.get(Framework, framework_id)
            period = db.session.scalar(select(ReportingPeriod).where(
                ReportingPeriod.framework_id == framework.id, ReportingPeriod.year == 2026))
            units = db.session.scalar(text("SELECT COUNT(*) FROM unit"))
            sizes = [(label, unit.id, unit.code) for label, unit in
                     (("country", nation), ("province 33", province),
                      (f"district {district.code}", district))]

            def baseline(root_id: int) -> float:
                return timed(lambda: (
                    db.session.execute(text(SINGLE_SQL), {"root": root_id,
                                                          "period": period.id}).all(),
                    db.session.execute(text(SINGLE_SQL_RATES), {"root": root_id,
                                                                "period": period.id}).all()))[0]

            sql_times = {label: baseline(root_id) for label, root_id, _code in sizes}
        figures, plans = {}, {}
        for label, root_id, _code in sizes:
            with use_scope(Scope(subtree_roots=frozenset({root_id}))):
                root = db.session.get(Unit, root_id)
                chosen = db.session.get(Framework, framework_id)
                live_time, result = timed(lambda root=root, chosen=chosen: aggregate(
                    root, chosen, 2026))
                figures[label] = (live_time, result["reporting"])
            plans[label] = texts_plan(app, root_id, framework_id)
        jobs = {}
        for label, root_id, _code in sizes[:2]:
            with system_scope("benchmark launch"):
                job_time, row_id = consolidate(db.session.get_one(Unit, root_id),
                                               db.session.get_one(Framework, framework_id))
            jobs[label] = (job_time, *exports(row_id, root_id))
        db.engine.dispose()

    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    print(f"units: {units}; reports: {reports} (with narratives); values: {values}; "
          f"loaded (or found) in {load_time:.1f} s")
    for label, (live_time, reporting) in figures.items():
        print(f"{label}: aggregate under its subtree scope {live_time * 1000:.0f} ms, single "
              f"SQL aggregate (system scope) {sql_times[label] * 1000:.0f} ms, ratio "
              f"{live_time / sql_times[label]:.1f}x (expected {reporting['expected']}, "
              f"submitted {reporting['submitted']})")
    print("texts statement plan under the job's scope, by size:")
    for label, plan in plans.items():
        print(f"  {label}: " + " | ".join(plan))
    def joins(plan: list[str], members: bool) -> tuple[str, ...]:
        return tuple(p.split("; tables")[0] for p in plan if ("unit_closure" in p) == members)

    for members, what in ((False, "the statements reading reports, values and units"),
                          (True, "the members' mapping to the root's children (closure)")):
        same = len({joins(plan, members) for plan in plans.values()}) == 1
        print(f"  {what}: the same join shape at the three sizes: "
              f"{'yes' if same else 'NO'}")
    for label, (job, word, excel, passages, word_size, excel_size) in jobs.items():
        total = job + word + excel
        print(f"{label}: consolidation job {job:.1f} s + Word {word:.1f} s ({passages} "
              f"narrative lines, {word_size // 1024} KiB, {word / max(passages, 1) * 1e6:.0f} "
              f"µs a line) + Excel {excel:.1f} s ({excel_size // 1024} KiB) = {total:.1f} s; "
              f"ratio to the single SQL aggregate {total / sql_times[label]:.0f}x")
    (few, few_time), (many, many_time) = scaling
    print(f"Word report with {few} distinct narrative lines {few_time:.1f} s, with {many} "
          f"{many_time:.1f} s: {many / few:.0f}x the lines, {many_time / few_time:.1f}x the "
          f"time (linear: about {many / few:.0f}x; quadratic: {(many / few) ** 2:.0f}x)")


if __name__ == "__main__":
    main()
