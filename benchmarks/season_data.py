"""Data for the report-season load test (benchmarks/season_load.sh).

The legacy country (10,811 units) under a national root that publishes Plan 108, with
the 2025 and 2026 reports of every district and commune (as benchmarks/dashboard.py
builds them), then:

- 300 officers, one per commune in code order, each commune with its plan issued and its
  2027 report opened, in draft, every task but three with its status already;
- 20 leaders: on the province of each of those communes and on their districts;
- an API token for the consolidator of province 33, who consolidates 2026.

Writes what the load needs as JSON to the file given as the first argument. Run it on a
new PostgreSQL database:

    DATABASE_URL=… MIGRATION_DATABASE_URL=… .venv/bin/python benchmarks/season_data.py out.json

``--provinces 33,01``: only those provinces of the legacy country; ``--officers N
--leaders M``: fewer people (CI's short run: one province, 10 officers, 2 leaders).
``--reset out.json``: before a run, the officers' reports back as the data left them
(in draft, three tasks without a status, no evidence), so that every run starts from
the same state whatever the one before submitted — benchmark data only.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from benchmarks.dashboard import load  # noqa: E402
from composition import create_app  # noqa: E402
from portal import clock  # noqa: E402
from portal.accounts.service import create_user, grant, issue_token  # noqa: E402
from portal.data import LEGACY_UNITS  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.frameworks.framework import Framework  # noqa: E402
from portal.frameworks.period import ReportingPeriod  # noqa: E402
from portal.plans.plan import RevisionStatus  # noqa: E402
from portal.plans.service import start_plan  # noqa: E402
from portal.reports.evidence import ReportEvidence  # noqa: E402
from portal.reports.report import UnitReport  # noqa: E402
from portal.reports.service import open_report  # noqa: E402
from tenants.scoping import system_scope  # noqa: E402
from tenants.unit import Unit  # noqa: E402

OFFICERS, LEADERS, YEAR = 300, 20, 2027
SEASON = datetime(2027, 11, 20, 2, tzinfo=UTC)   # when the reports are opened
PASSWORD = "Mua-bao-cao-2027"


def only(provinces: set[str]) -> bytes:
    """The legacy unit list cut to ``provinces`` and everything under them."""
    rows = list(csv.DictReader(io.StringIO(LEGACY_UNITS.read_text("utf-8-sig"))))
    parent = {r["code"]: r["parent_code"] for r in rows}

    def province(code: str) -> str:
        while parent.get(code):
            code = parent[code]
        return code
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(r for r in rows if province(r["code"]) in provinces)
    return out.getvalue().encode()


def reset(data: Path) -> None:
    """The officers' reports back in draft, three tasks without a status, no evidence."""
    ids = [o["report_id"] for o in json.loads(data.read_text())["officers"]]
    app = create_app()
    with app.app_context(), system_scope("load test reset"):
        for report in db.session.scalars(select(UnitReport).where(UnitReport.id.in_(ids))):
            report.status = "draft"
            report.submitted_at = report.first_submitted_at = None
            for row in report.tasks[:-3]:
                row.status = row.status or "in_progress"
            for row in report.tasks[-3:]:
                row.status = None
        db.session.execute(ReportEvidence.__table__.delete().where(
            ReportEvidence.report_id.in_(ids)))
        db.session.commit()
    print(f"{len(ids)} reports back in draft")


def main(out: Path, provinces: set[str] | None = None, how_many: int = OFFICERS,
         leading: int = LEADERS) -> None:
    app = create_app()
    with app.app_context():
        flask_migrate.upgrade()       # as MIGRATION_DATABASE_URL, the schema's owner
        load(app, years=range(2025, 2027), units=only(provinces) if provinces else None)
        with system_scope("load test data"):
            framework = db.session.scalar(select(Framework))
            period = db.session.scalar(select(ReportingPeriod).where(
                ReportingPeriod.framework_id == framework.id, ReportingPeriod.year == YEAR))
            provinces = {u.id: u for u in db.session.scalars(
                select(Unit).where(Unit.kind == "province"))}
            communes = db.session.scalars(select(Unit).where(
                Unit.kind == "commune").order_by(Unit.code)).all()
            by_code = {u.id: u for u in db.session.scalars(select(Unit))}
            # One argon2 hash for all: hashing 320 passwords would take minutes of setup.
            template = create_user("load.template", PASSWORD)
            officers, seen_districts = [], []
            for n, commune in enumerate(communes[:how_many]):
                plan = start_plan(commune, framework, None)
                revision = plan.revisions[-1]
                revision.status = RevisionStatus.ISSUED.value
                revision.doc_number = f"{n + 1}/KH-UBND"
                user = create_user(f"load.officer{n}", None)
                user.password_hash = template.password_hash
                # the commune's head writes and submits the report himself (only a head
                # submits; a drafter hands the report to the head, which is not measured)
                grant(user, commune, "head")
                # The 2027 period opens on 1 January 2027: the data is of that season
                with clock.frozen_at(SEASON):
                    report = open_report(commune, period, None)
                db.session.flush()
                # The night before the deadline: most tasks have their status already;
                # three are left, then the report can be submitted.
                for row in report.tasks[:-3]:
                    row.status = "in_progress"
                officers.append({"username": user.username, "report_id": report.id,
                                 "unit": commune.code})
                district = by_code[commune.parent_id]
                if district.id not in [d.id for d in seen_districts]:
                    seen_districts.append(district)
            tops = [provinces[d.parent_id] for d in seen_districts if d.parent_id in provinces]
            tops = list({p.id: p for p in tops}.values())
            leaders = []
            for n in range(leading):
                unit = tops[n % len(tops)] if n % 2 == 0 else \
                    seen_districts[n % len(seen_districts)]
                user = create_user(f"load.leader{n}", None)
                user.password_hash = template.password_hash
                grant(user, unit, "leader")
                leaders.append({"username": user.username, "unit": unit.code})
            province = next(p for p in tops if p.code == "33") if any(
                p.code == "33" for p in tops) else tops[0]
            consolidator = create_user("load.consolidator", None)
            consolidator.password_hash = template.password_hash
            grant(consolidator, province, "consolidator")
            token = issue_token(consolidator)
            province_code = province.code
            summary = (f"{len(officers)} officers with a {YEAR} report in draft, "
                       f"{len(leaders)} leaders on {len(tops)} provinces and "
                       f"{len(seen_districts)} districts")
            db.session.delete(template)
            db.session.commit()
    # Fresh statistics, as autovacuum would have them on a live database: without them
    # PostgreSQL plans the dashboard's aggregates for empty tables (seconds, not 0.3 s).
    url = app.config.get("MIGRATION_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
    owner = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with owner.connect() as connection:
        connection.execute(text("ANALYZE"))
    owner.dispose()
    out.write_text(json.dumps({"password": PASSWORD, "officers": officers,
                               "leaders": leaders, "consolidator_token": token,
                               "province": province_code, "consolidation_year": 2026},
                              indent=1))
    print(f"{summary} -> {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--provinces", help="only these provinces (codes, comma-separated)")
    parser.add_argument("--officers", type=int, default=OFFICERS)
    parser.add_argument("--leaders", type=int, default=LEADERS)
    parser.add_argument("--reset", action="store_true", help="reset the reports of OUT")
    args = parser.parse_args()
    if args.reset:
        reset(args.out)
    else:
        main(args.out, set(args.provinces.split(",")) if args.provinces else None,
             args.officers, args.leaders)
