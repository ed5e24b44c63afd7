"""The legacy demo: old Hưng Yên before 1 July 2025 (10 districts, 139 communes), its
bodies, one account per role (``flask demo seed --legacy``); its plans and reports
(``flask demo reports``) and the 1 July 2025 reorganization applied to it today
(``flask demo reorganize``). Today's demo (``portal.demo.today``) builds on its pieces.

Idempotent: running it again changes nothing and says so.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from portal.accounts.service import create_user, find_user, grant
from portal.data import DATA_DIR, PLAN_108
from portal.extensions import db
from tenants.tree import add_unit, import_units, read_unit_csv
from tenants.unit import Unit, UnitKind

if TYPE_CHECKING:
    from random import Random

    from portal.frameworks.indicator import Indicator
    from portal.reports.report import ReportValue

PROVINCE = "33"
LEGACY_FILE = "admin-units-vn-legacy-2025-01.csv"
DEMO_PASSWORD = "HungYen@2025"  # noqa: S105 - published in the README for the demo only

# The departments and bodies Plan 108 names in Section V.
BODIES = [
    ("33.SKHCN", "Sở Khoa học và Công nghệ"),
    ("33.SCT", "Sở Công Thương"),
    ("33.STC", "Sở Tài chính"),
    ("33.TTT", "Thanh tra tỉnh"),
    ("33.CAT", "Công an tỉnh"),
    ("33.BCHQS", "Bộ Chỉ huy quân sự tỉnh"),
    ("33.BAOHY", "Báo Hưng Yên"),
    ("33.MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"),
    ("33.HHDN", "Hiệp hội Doanh nghiệp tỉnh"),
]

# username, full name, unit code, role — documented in the README. Every unit with a
# drafter has a head: the drafter hands the report over, the head submits it.
ACCOUNTS = [
    ("canbo.xa", "Nguyễn Văn An", "11989", "drafter"),        # Xã Lạc Đạo, Văn Lâm
    ("chutich.xa", "Trần Thị Bình", "11989", "head"),
    ("chuyenvien.huyen", "Lê Văn Cường", "325", "reviewer"),  # Huyện Văn Lâm
    ("lanhdao.huyen", "Phạm Thị Dung", "325", "leader"),
    ("canbo.skhcn", "Hoàng Văn Em", "33.SKHCN", "drafter"),
    ("giamdoc.skhcn", "Bùi Thị Hạnh", "33.SKHCN", "head"),    # submits the body's report
    ("tonghop.skhcn", "Vũ Thị Giang", PROVINCE, "consolidator"),
    ("lanhdao.tinh", "Đỗ Văn Hùng", PROVINCE, "leader"),
    ("quantri.tinh", "Ngô Thị Lan", PROVINCE, "admin"),
]
OPERATOR = ("vanhanh", "Quản trị nền tảng")


def data_dir(explicit: Path | None = None) -> Path:
    """The folder of the official unit lists and the mapping: ``--data-dir``, else
    ``PORTAL_DATA_DIR``, else the copy the project ships (``portal/data``)."""
    if explicit:
        return explicit
    if os.environ.get("PORTAL_DATA_DIR"):
        return Path(os.environ["PORTAL_DATA_DIR"])
    return DATA_DIR


def seed(explicit_dir: Path | None = None) -> Iterator[str]:
    """Load the legacy demo; yields one line per step for the command to print."""
    source = data_dir(explicit_dir) / LEGACY_FILE
    result = import_units(read_unit_csv(source.read_bytes()), only=PROVINCE)
    yield f"units of Hưng Yên: {result.created} added, {result.unchanged} already present"

    added = 0
    for code, name in BODIES:
        if db.session.scalar(select(Unit.id).where(Unit.code == code)) is None:
            add_unit(code, name, UnitKind.DEPARTMENT.value, PROVINCE)
            added += 1
    yield f"departments and bodies: {added} added, {len(BODIES) - added} already present"

    created = 0
    for username, full_name, unit_code, role in ACCOUNTS:
        user = find_user(username)
        if user is None:
            user = create_user(username, DEMO_PASSWORD, full_name=full_name,
                               email=f"{username}@demo.invalid")  # reminders go to files
            created += 1
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        grant(user, unit, role)  # type: ignore[arg-type]  # the demo's units exist
    if find_user(OPERATOR[0]) is None:
        create_user(OPERATOR[0], DEMO_PASSWORD, full_name=OPERATOR[1], platform_admin=True)
        created += 1
    yield f"demo accounts: {created} created (password {DEMO_PASSWORD})"
    yield _seed_plan_108()


def _seed_plan_108() -> str:
    """Plan 108 as the province's framework: nine indicators, periods 2025–2030, published.

    The text layer of the signed PDF has no header block, so the number, date and
    issuer are filled in as the framework owner would.
    """
    from portal.frameworks.framework import Framework, FrameworkVersion
    from portal.frameworks.loading import load_framework

    existing = db.session.scalar(
        select(Framework).join(FrameworkVersion)
        .where(Framework.owner_unit_id == _province_id(),
               FrameworkVersion.doc_number == "108/KH-UBND"))
    if existing is not None:
        return "Plan 108 framework: already present"
    source = PLAN_108         # the text of the plan always comes with the project
    framework = load_framework(
        source.name, source.read_bytes(), PROVINCE,
        name="Kế hoạch 108/KH-UBND: tiêu chuẩn, đo lường, chất lượng đến năm 2030",
        number="108/KH-UBND", issued_on="26/05/2025",
        issuer="ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN", preset="plan-108", periods="2025-2030",
        publish=True)
    from portal.reports.obligations import add_default_obligation
    from portal.validation.presets import add_preset_rules

    add_default_obligation(framework)   # Plan 108's: its units report to DOST by 30/11

    rules = add_preset_rules(framework)
    return (f"Plan 108 framework: loaded as framework {framework.id}, published, "
            f"with {rules} validation rules")


def _province_id() -> int | None:
    return db.session.scalar(select(Unit.id).where(Unit.code == PROVINCE))


# ---- a province in report season, for the dashboard ---------------------------------------

# The units the demo journeys start from draft their own plan and report; their district
# (Văn Lâm) keeps its 2026 reports for the journey of consolidation.
JOURNEY_UNITS = ("11989", "33.SKHCN")
JOURNEY_DISTRICT = "325"


def seed_reports(years: tuple[int, ...] = (2025, 2026)) -> Iterator[str]:
    """Issued plans and yearly reports for most units of the demo province, with figures,
    task statuses, late and missing reports, so a leader's dashboard has something to
    show. Deterministic (the same figures on every machine); skips units that already
    have a plan or a report, so it is safe to repeat."""
    from datetime import UTC, date, datetime, timedelta

    from portal import clock
    from portal.frameworks.framework import Framework, FrameworkVersion
    from portal.frameworks.indicator import Indicator
    from portal.frameworks.period import ReportingPeriod
    from portal.plans.plan import RevisionStatus, UnitPlan
    from portal.plans.service import start_plan
    from portal.reports.report import ReportStatus, TaskStatus, UnitReport
    from portal.reports.service import open_report
    from tenants.unit import UnitClosure

    framework = db.session.scalar(
        select(Framework).join(FrameworkVersion)
        .where(Framework.owner_unit_id == _province_id(),
               FrameworkVersion.doc_number == "108/KH-UBND"))
    if framework is None:
        yield "demo reports: load the demo first (flask demo seed)"
        return
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == framework.published().id))}  # type: ignore[union-attr, arg-type]  # seeded: published
    district = db.session.scalar(select(Unit.id).where(Unit.code == JOURNEY_DISTRICT))
    in_district = set(db.session.scalars(select(UnitClosure.descendant_id).where(
        UnitClosure.ancestor_id == district)))
    units = list(db.session.scalars(
        select(Unit).join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == _province_id(), UnitClosure.depth > 0,
               Unit.code.notin_(JOURNEY_UNITS)).order_by(Unit.code)))
    planned = set(db.session.scalars(select(UnitPlan.unit_id).where(
        UnitPlan.framework_id == framework.id)))
    plans = 0
    for unit in units:
        chance = random.Random(f"plan-{unit.code}")  # noqa: S311 - demo figures, not secrets
        if unit.id not in planned and unit.is_active_on(clock.today()) \
                and chance.random() < 0.85:
            plan = start_plan(unit, framework, None)
            revision = plan.revisions[-1]
            revision.status = RevisionStatus.ISSUED.value
            revision.doc_number = f"{chance.randint(10, 99)}/KH-UBND"
            revision.issued_on = date(2025, 7, chance.randint(1, 28))
            plans += 1
    db.session.flush()
    yield f"demo plans: {plans} issued"

    for year in years:
        period = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == framework.id, ReportingPeriod.year == year))
        if period is None:
            continue
        reported = set(db.session.scalars(select(UnitReport.unit_id).where(
            UnitReport.period_id == period.id)))
        filed = 0
        for unit in units:
            if unit.id in reported or (year == 2026 and unit.id in in_district) \
                    or not unit.is_active_on(period.cutoff_date):
                continue   # (a unit closed or not yet created by then reports nothing)
            chance = random.Random(f"report-{unit.code}-{year}")  # noqa: S311 - demo figures
            if chance.random() < 0.12:
                continue  # this unit has not reported
            report = open_report(unit, period, None)
            for row in report.values:
                _demo_value(row, indicators[row.indicator_id], unit, chance, year)
            for task in report.tasks:
                task.status = chance.choices(
                    [s.value for s in TaskStatus], weights=[55, 15, 20, 10])[0]
            report.results = f"{unit.name} đã triển khai Kế hoạch năm {year}."
            if chance.random() < 0.3:
                report.difficulties = "Thiếu cán bộ chuyên trách về tiêu chuẩn, đo lường."
            late = chance.random() < 0.2
            moment = datetime(year, 11, 30, 9, tzinfo=UTC) + timedelta(
                days=chance.randint(1, 10) if late else -chance.randint(0, 25))
            report.status = (ReportStatus.ACCEPTED.value if chance.random() < 0.5
                             else ReportStatus.SUBMITTED.value)
            report.first_submitted_at = report.submitted_at = moment
            if report.status == ReportStatus.ACCEPTED.value:
                report.accepted_at = moment + timedelta(days=2)
            filed += 1
        db.session.flush()
        yield f"demo reports {year}: {filed} filed"


def _demo_value(row: ReportValue, indicator: Indicator, unit: Unit, chance: Random,
                year: int) -> None:
    """A plausible figure for one indicator of one unit's report, as a real province's
    units would give: a forum or two a year held by the provincial bodies, a few S&T
    programmes over the plan, classes mostly held by the province and the districts,
    not by every commune; investment in testing equipment by few bodies.

    The figures come from their own random sequence; ``chance`` still draws what the
    first demo drew for each value, so which reports are late or accepted stays the same
    (the journeys rely on it)."""
    _draw_as_before(indicator.kind, unit, chance)
    figures = random.Random(f"figure-{unit.code}-{year}-{indicator.code}")  # noqa: S311
    odds = {"department": 0, "district": 1, "commune": 2}.get(unit.kind, 2)
    kind = indicator.kind
    if kind == "yes_no":
        row.value = Decimal(1 if figures.random() < (0.9, 0.85, 0.75)[odds] else 0)
    elif kind == "ratio":
        # civil servants concerned with standards, metrology and quality; warnings handled
        total = figures.randint(*((3, 25), (2, 8), (1, 3))[odds])
        row.denominator = Decimal(total)
        row.numerator = Decimal(min(total, round(total * figures.uniform(0.5, 1.0))))
    elif kind == "amount":
        # testing equipment: a body now and then, rarely a district; whole millions of đồng
        row.value = Decimal(figures.randint(2, 60) * 10_000_000
                            if figures.random() < (0.3, 0.1, 0.0)[odds] else 0)
    elif kind == "count":
        row.value = Decimal(_demo_count(indicator.code, unit, odds, figures))
    else:
        row.text = f"Năm {year}: {unit.name} nâng cao năng lực thử nghiệm, kiểm định."


def _demo_count(code: str, unit: Unit, odds: int, figures: random.Random) -> int:
    """Counts of one year, by indicator: (chance the unit has any, the most it has) for a
    provincial body, a district and a commune."""
    lead = unit.code == "33.SCT"   # Sở Công Thương: the demo's busiest body (Sở KH&CN
    #                                drafts its own report in the journeys)
    profile = {
        "II.1.b": ((0.9, 2) if lead else (0.1, 1), (0.3, 1), (0.0, 0)),   # forums
        "II.1.c": ((0.6, 1) if lead else (0.1, 1), (0.03, 1), (0.0, 0)),  # S&T programmes
        "II.1.đ": ((0.8, 3) if lead else (0.3, 1), (0.4, 1), (0.02, 1)),  # classes
        "II.1.g": ((1.0, 15) if lead else (0.2, 5), (0.3, 3), (0.0, 0)),  # products surveyed
    }.get(code, ((0.2, 1), (0.1, 1), (0.05, 1)))[odds]
    likely, most = profile
    return figures.randint(1, most) if most and figures.random() < likely else 0


def _draw_as_before(kind: str, unit: Unit, chance: random.Random) -> None:
    """The random numbers the first demo drew for a value of this kind (discarded)."""
    if kind == "yes_no":
        chance.random()
    elif kind == "ratio":
        chance.randint(4, 40) if unit.kind == "commune" else chance.randint(20, 120)
        chance.uniform(0.4, 1.0)
    elif kind == "amount":
        chance.randint(0, 40)
    elif kind == "count":
        chance.randint(0, 3) if unit.kind == "commune" else chance.randint(0, 8)


REORG_FILE = "reorg-2025-07-hung-yen.csv"


def reorganize_2025(explicit_dir: Path | None = None) -> Iterator[str]:
    """The 1 July 2025 reorganization on the demo: Thái Bình's legacy units are added (the
    mapping merges them into Hưng Yên), then the official mapping is applied from
    01/07/2025: 381 communes become 104, districts and Thái Bình are closed."""
    from datetime import date

    from portal.reorganization import ReorganizationError, apply, read_mapping
    from tenants.lineage import Reorganization

    done = db.session.scalar(select(Reorganization).where(Reorganization.source == REORG_FILE))
    if done is not None:
        raise ReorganizationError([
            f"the 2025 reorganization was already applied ({done.applied_at:%d/%m/%Y %H:%M})"])
    folder = data_dir(explicit_dir)
    result = import_units(read_unit_csv((folder / LEGACY_FILE).read_bytes()), only="34")
    yield f"units of Thái Bình: {result.created} added, {result.unchanged} already present"
    source = folder / REORG_FILE
    summary = apply(read_mapping(source.name, source.read_bytes()), date(2025, 7, 1), PROVINCE,
                    source=source.name)
    yield (f"reorganization of 01/07/2025: {len(summary.created)} units created, "
           f"{len(summary.closed)} closed, {len(summary.closed_above)} units above closed, "
           f"{len(summary.memberships_moved)} memberships moved, "
           f"{len(summary.memberships_flagged)} to review")
    for line in summary.memberships_flagged:
        yield f"  to review: {line}"
