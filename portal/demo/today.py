"""The demo as the province is today (December 2026): new Hưng Yên, with its history.

What ``flask demo seed`` loads, in the order it happened, each step on the platform's
clock of its day (``portal.clock.frozen_at``), so every date the pages show is the day it
would have been:

1. until 30/06/2025 — old Hưng Yên (10 districts, 139 communes) and old Thái Bình (8
   districts, 242 communes) from the official legacy list, the provincial bodies Plan 108
   names, and Plan 108 itself (26/05/2025), published;
2. June 2025 — some of old Hưng Yên's communes and districts draft their plans under Plan
   108, most submit them and their chairs issue them; the provincial bodies issue theirs;
3. 01/07/2025 — the official reorganization (``portal/data/reorg-2025-07-hung-yen.csv``)
   is applied by the platform's own code (``portal.reorganization.apply``): the 381 old
   communes become 104 communes and wards of new Hưng Yên, every old unit is closed with
   a lineage link to its successor, the districts and old Thái Bình are closed, and the
   commune officers' roles move to their new commune;
4. from July 2025 — the new communes start their own plans and issue them, and file their
   2025 reports (due 30/11/2025, nearly all accepted) and 2026 reports: the week after the
   30/11/2026 deadline, some accepted, some waiting for DOST, some returned, some still
   being written and some not started.

Above the provinces stands the Ministry of Science and Technology (``BKHCN``, a unit of
kind nation): old Hưng Yên and old Thái Bình were imported under it, it owns the national
plan of Decision 1703/QĐ-TTg (``portal/data/QD-1703-TTg-2024.txt``, a reconstruction for
the demo), published in January 2025; Plan 108 declares that it implements it, and its
indicators are mapped to the national ones (``NATIONAL_MAPPING_108``). The ministry's
consolidator and leader read every province below it by the normal reach rules.

Idempotent: the history is written once (the reorganization's record is its mark); the
accounts and the new communes' plans and reports are added only where missing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from portal import clock
from portal.accounts.service import create_user, find_user, grant
from portal.demo.legacy import (
    BODIES,
    DEMO_PASSWORD,
    LEGACY_FILE,
    OPERATOR,
    PROVINCE,
    REORG_FILE,
    _demo_value,
    _province_id,
    _seed_plan_108,
)
from portal.extensions import db
from tenants.lineage import Reorganization
from tenants.tree import add_unit, import_units, read_unit_csv
from tenants.unit import Unit, UnitClosure, UnitKind

if TYPE_CHECKING:
    from portal.frameworks.framework import Framework
    from portal.frameworks.period import ReportingPeriod
    from portal.reports.report import ReportStatus, UnitReport

OLD_THAI_BINH = "34"
MINISTRY = "BKHCN"
MINISTRY_NAME = "Bộ Khoa học và Công nghệ"
NATIONAL_NUMBER = "1703/QĐ-TTg"
# The provinces report to the ministry on the national schedule (issue 21 item 5): after
# their own units' reports of 30/11 are consolidated.
NATIONAL_OBLIGATION = "Báo cáo của tỉnh gửi Bộ Khoa học và Công nghệ"
EFFECTIVE = date(2025, 7, 1)
# the province applied the mapping on the morning it took effect (08:00 in Vietnam)
APPLIED_AT = datetime(2025, 7, 1, 1, 0, tzinfo=UTC)
LEGACY_COMMUNE = "11989"      # Xã Lạc Đạo (Huyện Văn Lâm) until 30/06/2025 …
JOURNEY_COMMUNE = "11992"     # … part of the new Xã Lạc Đạo from 01/07/2025
RETURN_REASON = ("Đề nghị bổ sung số lớp tập huấn (chỉ tiêu II.1.đ) và kết quả khảo sát "
                 "sản phẩm, hàng hóa trên địa bàn xã.")

# People of the new structure: username, full name, unit code, role. The commune's
# officer and chair held their roles in old Xã Lạc Đạo; the reorganization moved them.
COMMUNE_PEOPLE = [
    ("canbo.xa", "Nguyễn Văn An", LEGACY_COMMUNE, "drafter"),
    ("chutich.xa", "Trần Thị Bình", LEGACY_COMMUNE, "head"),
]
PROVINCE_PEOPLE = [
    ("chuyenvien.skhcn", "Lê Văn Cường", "33", "reviewer"),   # DOST: reviews the communes
    ("canbo.skhcn", "Hoàng Văn Em", "33.SKHCN", "drafter"),
    ("giamdoc.skhcn", "Bùi Thị Hạnh", "33.SKHCN", "head"),
    ("tonghop.skhcn", "Vũ Thị Giang", "33", "consolidator"),
    ("lanhdao.tinh", "Đỗ Văn Hùng", "33", "leader"),
    ("quantri.tinh", "Ngô Thị Lan", "33", "admin"),
    # the ministry above the provinces: it consolidates and leads the national plan
    ("tonghop.bo", "Phan Thị Mai", MINISTRY, "consolidator"),
    ("lanhdao.bo", "Trịnh Văn Nam", MINISTRY, "leader"),
]


def applied() -> Reorganization | None:
    """The demo's record of the 1 July 2025 reorganization, if it was applied."""

    return db.session.scalar(select(Reorganization).where(
        Reorganization.source == REORG_FILE).order_by(Reorganization.id).limit(1))


def is_today_demo() -> bool:
    """Was the reorganization applied by today's demo (on its day), not later by ``flask
    demo reorganize`` on the legacy demo?"""
    record = applied()
    return record is not None and clock.local(record.applied_at) == clock.local(APPLIED_AT)


def seed(folder: Path) -> Iterator[str]:
    """Load today's demo; yields one line per step for the command to print."""
    if applied() is None:
        yield from _history(folder)
    else:
        yield "history to 01/07/2025: already present"
    yield _accounts()
    yield from _season()


# ---- 1-3: the history -------------------------------------------------------------------


def _at(day: date, hour: int = 9) -> datetime:
    """``hour`` o'clock in Vietnam on ``day``, as the UTC time the platform stores."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.LOCAL).astimezone(UTC)


def _history(folder: Path) -> Iterator[str]:
    from portal.reorganization import apply, read_mapping

    legacy = read_unit_csv((folder / LEGACY_FILE).read_bytes())
    with clock.frozen_at(_at(date(2025, 1, 10))):
        added = 0
        if db.session.scalar(select(Unit.id).where(Unit.code == MINISTRY)) is None:
            add_unit(MINISTRY, MINISTRY_NAME, UnitKind.NATION.value, None)
            added += 1
        yield _seed_plan_1703()
    with clock.frozen_at(_at(date(2025, 5, 20))):
        added += sum(import_units(legacy, only=code, under=MINISTRY).created
                     for code in (PROVINCE, OLD_THAI_BINH))
        for code, name in BODIES:
            if db.session.scalar(select(Unit.id).where(Unit.code == code)) is None:
                add_unit(code, name, UnitKind.DEPARTMENT.value, PROVINCE)
                added += 1
    yield (f"units until 30/06/2025 (the ministry, old Hưng Yên, old Thái Bình, bodies): "
           f"{added} added")
    with clock.frozen_at(_at(date(2025, 5, 28))):
        for username, full_name, code, role in COMMUNE_PEOPLE:
            user = find_user(username) or create_user(
                username, DEMO_PASSWORD, full_name=full_name,
                email=f"{username}@demo.invalid")
            grant(user, _unit(code), role)
        yield _seed_plan_108()
        yield _implements_1703()
    yield _legacy_plans()

    source = folder / REORG_FILE
    with clock.frozen_at(APPLIED_AT):
        summary = apply(read_mapping(source.name, source.read_bytes()), EFFECTIVE, PROVINCE,
                        source=source.name)
    yield (f"reorganization of 01/07/2025 (with lineage): {len(summary.created)} units "
           f"created, {len(summary.closed)} closed, {len(summary.closed_above)} units above "
           f"closed, {len(summary.memberships_moved)} roles moved, "
           f"{summary.plans_kept} plans kept by the old units")


def _national_framework() -> Framework | None:
    from portal.frameworks.framework import Framework, FrameworkVersion

    return db.session.scalar(
        select(Framework).join(FrameworkVersion)
        .join(Unit, Unit.id == Framework.owner_unit_id)
        .where(Unit.code == MINISTRY, FrameworkVersion.doc_number == NATIONAL_NUMBER))


def _seed_plan_1703() -> str:
    """The national plan (a reconstruction of Decision 1703/QĐ-TTg's plan), owned by the
    ministry, loaded through the parser like any document, published, 2025–2030."""
    from portal.data import PLAN_1703
    from portal.frameworks.loading import load_framework
    from portal.frameworks.period import ReportingPeriod
    from portal.reports.obligations import save_obligation

    if _national_framework() is not None:
        return "national plan 1703/QĐ-TTg: already present"
    framework = load_framework(
        PLAN_1703.name, PLAN_1703.read_bytes(), MINISTRY,
        name="Kế hoạch triển khai Chỉ thị 38-CT/TW (Quyết định 1703/QĐ-TTg)",
        number=NATIONAL_NUMBER, issued_on="31/12/2024", issuer="THỦ TƯỚNG CHÍNH PHỦ",
        preset="national-1703", periods="2025-2030", publish=True)
    obligation = save_obligation(framework, {
        "name": NATIONAL_OBLIGATION, "receiver": MINISTRY,
        **{f"due_{period.id}": f"15/12/{period.year}" for period in db.session.scalars(
            select(ReportingPeriod).where(ReportingPeriod.framework_id == framework.id))}},
        [UnitKind.PROVINCE.value])
    return (f"national plan 1703/QĐ-TTg: loaded as framework {framework.id}, published; "
            f"{obligation.name}: by 15/12 each year")


def _implements_1703() -> str:
    """Plan 108 implements the national plan; its indicators mapped to the national ones."""
    from portal.frameworks.indicator import Indicator
    from portal.frameworks.mapping import mappings_of, save_mapping, set_parent
    from portal.frameworks.presets import NATIONAL_MAPPING_108

    national = _national_framework()
    plan = _framework()
    if national is None or plan.parent_id == national.id:
        return "Plan 108 implements 1703/QĐ-TTg: already so" if national else \
            "Plan 108 implements 1703/QĐ-TTg: no national plan"
    set_parent(plan, national)
    version, above = plan.published(), national.published()
    assert version is not None and above is not None  # noqa: S101 - both published
    own = {i.code: i.id for i in db.session.scalars(
        select(Indicator).where(Indicator.version_id == version.id))}
    targets = {i.code: i.id for i in db.session.scalars(
        select(Indicator).where(Indicator.version_id == above.id))}
    save_mapping(version, {own[code]: (mode, targets[target] if target else None, factor)
                           for code, (mode, target, factor) in NATIONAL_MAPPING_108.items()
                           if code in own})
    return (f"Plan 108 implements 1703/QĐ-TTg: {len(mappings_of(version.id))} indicators "
            f"mapped to the national ones")


def _unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    assert unit is not None, code   # noqa: S101 - the demo's own units
    return unit


def _framework() -> Framework:
    from portal.frameworks.framework import Framework, FrameworkVersion

    framework = db.session.scalar(
        select(Framework).join(FrameworkVersion)
        .where(Framework.owner_unit_id == _province_id(),
               FrameworkVersion.doc_number == "108/KH-UBND"))
    assert framework is not None   # noqa: S101 - loaded first, with the history
    return framework


def _signed(chance: random.Random, issued_on: date, unit: Unit) -> dict[str, str]:
    department = unit.kind == UnitKind.DEPARTMENT.value
    return {"doc_number": f"{chance.randint(10, 199)}/KH-{'SKHCN' if department else 'UBND'}",
            "issued_on": issued_on.strftime("%d/%m/%Y"), "signing_formula": "TM.",
            "signing_body": "" if department else "ỦY BAN NHÂN DÂN",
            "signer_title": "Giám đốc" if department else "Chủ tịch",
            "signer_name": chance.choice(["Nguyễn Văn Hải", "Trần Văn Minh", "Phạm Thị Thu",
                                          "Lê Thị Hoa", "Vũ Văn Long", "Đặng Thị Mai"])}


def _issue_plan(unit: Unit, chance: random.Random, started: date, *,
                drafter: int | None = None, head: int | None = None,
                issue: bool = True, submit: bool = True) -> None:
    """One unit's plan under Plan 108, by the platform's own steps, each on its day."""
    from portal.plans.service import issue as issue_plan
    from portal.plans.service import start_plan
    from portal.plans.service import submit as submit_plan

    framework = _framework()
    with clock.frozen_at(_at(started, chance.randint(8, 16))):
        plan = start_plan(unit, framework, drafter)
    if not submit:
        return
    submitted = started + timedelta(days=chance.randint(3, 10))
    with clock.frozen_at(_at(submitted, chance.randint(8, 16))):
        submit_plan(plan, drafter)
    if issue:
        issued = submitted + timedelta(days=chance.randint(1, 6))
        with clock.frozen_at(_at(issued, chance.randint(8, 16))):
            issue_plan(plan, head, _signed(chance, issued, unit))


def _legacy_plans() -> str:
    """June 2025: a third of old Hưng Yên's communes, most districts and the bodies
    implement Plan 108 (26/05/2025) — most issued before the reorganization, some still
    drafts or with the chair when the units were closed."""

    officer, chair = (find_user(name).id for name, *_rest in COMMUNE_PEOPLE)  # type: ignore[union-attr]  # created above
    units = list(db.session.scalars(
        select(Unit).join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == _province_id(), UnitClosure.depth > 0)
        .order_by(Unit.code)))
    counts = {"issued": 0, "submitted": 0, "draft": 0}
    for unit in units:
        chance = random.Random(f"legacy-plan-{unit.code}")  # noqa: S311 - demo figures
        odds = {"department": 1.0, "district": 0.7}.get(unit.kind, 0.33)
        if unit.code == LEGACY_COMMUNE:
            _issue_plan(unit, chance, date(2025, 6, 3), drafter=officer, head=chair)
            counts["issued"] += 1
            continue
        if unit.code == "33.SKHCN" or chance.random() >= odds:
            continue   # DOST's own plan is the journeys' to write
        fate = chance.choices(["issued", "submitted", "draft"], weights=[70, 15, 15])[0]
        _issue_plan(unit, chance, date(2025, 6, chance.randint(2, 16)),
                    issue=fate == "issued", submit=fate != "draft")
        counts[fate] += 1
    return (f"plans under Plan 108 in June 2025: {counts['issued']} issued, "
            f"{counts['submitted']} with the chair, {counts['draft']} drafts")


# ---- the people of today --------------------------------------------------------------


def _accounts() -> str:

    created = 0
    for username, full_name, code, role in PROVINCE_PEOPLE:
        user = find_user(username)
        if user is None:
            user = create_user(username, DEMO_PASSWORD, full_name=full_name,
                               email=f"{username}@demo.invalid")  # reminders go to files
            created += 1
        grant(user, _unit(code), role)
    if find_user(OPERATOR[0]) is None:
        create_user(OPERATOR[0], DEMO_PASSWORD, full_name=OPERATOR[1], platform_admin=True)
        created += 1
    return f"demo accounts of today's structure: {created} created (password {DEMO_PASSWORD})"


# ---- 4: the new communes' plans and reports ---------------------------------------------


def _today_units() -> list[Unit]:
    """The communes, wards and bodies of new Hưng Yên (active after the reorganization)."""

    return [u for u in db.session.scalars(
        select(Unit).join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == _province_id(), UnitClosure.depth > 0,
               Unit.valid_to.is_(None)).order_by(Unit.code))]


def _season() -> Iterator[str]:
    from portal.frameworks.period import ReportingPeriod
    from portal.plans.plan import UnitPlan
    from portal.reports.report import UnitReport

    framework = _framework()
    units = _today_units()
    planned = set(db.session.scalars(select(UnitPlan.unit_id).where(
        UnitPlan.framework_id == framework.id)))
    officer, chair = (find_user(name).id for name, *_rest in COMMUNE_PEOPLE)  # type: ignore[union-attr]  # created with the history
    plans = 0
    for unit in units:
        if unit.id in planned:
            continue
        chance = random.Random(f"plan-today-{unit.code}")  # noqa: S311 - demo figures
        if unit.code == JOURNEY_COMMUNE:
            _issue_plan(unit, chance, date(2025, 7, 21), drafter=officer, head=chair)
        elif unit.kind == UnitKind.COMMUNE.value and chance.random() < 0.9:
            fate = chance.choices(["issued", "submitted"], weights=[95, 5])[0]
            _issue_plan(unit, chance, date(2025, 7, chance.randint(7, 31)),
                        issue=fate == "issued")
        else:
            continue
        plans += 1
    db.session.flush()
    yield f"plans of the new communes from July 2025: {plans} started"

    reviewer = find_user("chuyenvien.skhcn").id  # type: ignore[union-attr]  # created above
    for year in (2025, 2026):
        period = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == framework.id, ReportingPeriod.year == year))
        assert period is not None   # noqa: S101 - Plan 108's periods are 2025-2030
        reported = set(db.session.scalars(select(UnitReport.unit_id).where(
            UnitReport.period_id == period.id)))
        tally: dict[str, int] = {}
        for unit in units:
            if unit.id in reported or unit.code == "33.SKHCN":
                continue   # DOST's own report is the journeys' to write
            fate = _report(unit, period, reviewer, officer, chair)
            tally[fate] = tally.get(fate, 0) + 1
        db.session.flush()
        yield f"reports {year}: " + ", ".join(f"{n} {fate}" for fate, n in sorted(tally.items()))


def _report(unit: Unit, period: ReportingPeriod, reviewer: int, officer: int, chair: int) -> str:
    """One unit's report for the period, with its figures and its steps, each on its day;
    what became of it ("accepted", "submitted", "returned", "with the chair", "draft",
    "missing")."""
    from portal.frameworks.indicator import Indicator
    from portal.reports.report import ReportStatus, TaskStatus
    from portal.reports.service import open_report

    year = period.year
    chance = random.Random(f"report-today-{unit.code}-{year}")  # noqa: S311 - demo figures
    if unit.code == JOURNEY_COMMUNE:
        fate = "accepted" if year == 2025 else "returned"
    elif year == 2025:
        fate = chance.choices(["accepted", "submitted", "missing"], weights=[88, 5, 7])[0]
    else:
        fate = chance.choices(["accepted", "submitted", "returned", "with the chair",
                               "draft", "missing"], weights=[30, 30, 8, 6, 12, 14])[0]
    if fate == "missing":
        return fate
    deadline = _at(period.due_date, 17)
    late = chance.random() < 0.2
    if late:
        sent = deadline + timedelta(days=chance.randint(1, 3), hours=chance.randint(0, 6))
    else:
        sent = deadline - timedelta(days=chance.randint(0, 20), hours=chance.randint(1, 8))
    sent = min(sent, clock.now() - timedelta(hours=2))
    started = sent - timedelta(days=chance.randint(7, 30))
    journey = unit.code == JOURNEY_COMMUNE and year == 2026   # (their notices: this year's)
    drafter, head = (officer, chair) if journey else (None, None)
    with clock.frozen_at(started):
        report = open_report(unit, period, drafter)
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == report.framework_version_id))}
    for row in report.values:
        _demo_value(row, indicators[row.indicator_id], unit, chance, year)
    if fate == "draft":
        return fate                 # figures in, tasks and narrative still to do
    for task in report.tasks:
        task.status = chance.choices([s.value for s in TaskStatus],
                                     weights=[55, 15, 20, 10])[0]
    report.results = f"{unit.name} đã triển khai Kế hoạch năm {year}."
    if chance.random() < 0.3:
        report.difficulties = "Thiếu cán bộ chuyên trách về tiêu chuẩn, đo lường."
    handed = sent - timedelta(hours=chance.randint(2, 30))
    status = ReportStatus
    _step(report, "hand_over", status.DRAFT, status.WITH_HEAD, drafter, handed, notify=journey)
    if fate == "with the chair":
        return fate
    _step(report, "submit", status.WITH_HEAD, status.SUBMITTED, head, sent, notify=journey)
    report.first_submitted_at = report.submitted_at = sent
    _submission(report, sent)
    looked = min(sent + timedelta(days=chance.randint(1, 3)), clock.now() - timedelta(hours=1))
    if fate == "accepted":
        report.accepted_at = looked
        _step(report, "accept", status.SUBMITTED, status.ACCEPTED, reviewer, looked,
              notify=journey)
    elif fate == "returned":
        _step(report, "return", status.SUBMITTED, status.RETURNED, reviewer, looked,
              RETURN_REASON, notify=journey)
    return fate


def _step(report: UnitReport, action: str, from_status: ReportStatus,
          to_status: ReportStatus, user_id: int | None,
          at: datetime, reason: str = "", *, notify: bool = False) -> None:
    """A step of the report's loop as the service records it, on the day it was taken."""
    from portal.reports.events import transition_recorded
    from portal.reports.report import ReportTransition

    report.status = to_status.value
    transition = ReportTransition(report_id=report.id, unit_id=report.unit_id,
                                  action=action, from_status=from_status.value,
                                  to_status=to_status.value, user_id=user_id, reason=reason,
                                  at=at)
    db.session.add(transition)
    if notify:                       # the journey commune's people get their notices
        db.session.flush()
        with clock.frozen_at(at):
            transition_recorded(transition)


def _submission(report: UnitReport, at: datetime) -> None:
    """What was sent, as the service keeps it (the reviewer's "changes since" reads it)."""
    from portal.reports.report import ReportSubmission
    from portal.reports.service import snapshot

    db.session.flush()
    db.session.add(ReportSubmission(report_id=report.id, unit_id=report.unit_id, number=1,
                                    submitted_at=at, content=snapshot(report)))
