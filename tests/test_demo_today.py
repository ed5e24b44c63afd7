"""The demo is today's Hưng Yên, with its history (issue 21 item 1).

``flask demo seed`` once (the history is written through the platform's own steps and
the reorganization code), then: the units of new Hưng Yên are the official 2025 list's,
the legacy units of both old provinces were closed on 30/06/2025 with lineage to their
successors, and every legacy plan is reachable from its successor's page by the people who
may read it and a 404 for the others.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date

from flask import Flask
from sqlalchemy import func, select

from portal.data import LEGACY_UNITS, REORG_2025_HUNG_YEN, UNITS_2025
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.plans.plan import UnitPlan
from portal.reports.report import UnitReport
from tenants.lineage import UnitLineage
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.conftest import login

LAST_DAY, FIRST_DAY = date(2025, 6, 30), date(2025, 7, 1)
PLAN_LINK = re.compile(r'href="/plans/(\d+)"')


def rows(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def signed_in(app: Flask, username: str):
    client = app.test_client()
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    return client


def predecessor_plan_links(client, code: str) -> set[int]:
    page = client.get(f"/units/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    if 'data-testid="predecessor-plans"' not in html:
        return set()
    section = html.split('data-testid="predecessor-plans"', 1)[1].split("</section>", 1)[0]
    return {int(i) for i in PLAN_LINK.findall(section)}


def test_the_demo_is_todays_hung_yen_with_its_history(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output

    official = [r for r in rows(UNITS_2025) if r["parent_code"] == "33"]
    legacy = rows(LEGACY_UNITS)
    old_districts = {r["code"] for r in legacy if r["parent_code"] in {"33", "34"}}
    old_communes = {r["code"] for r in legacy if r["parent_code"] in old_districts}
    mapping = {(r["old_code"], r["new_code"]) for r in rows(REORG_2025_HUNG_YEN)}
    with system_scope("test"):
        today = list(db.session.scalars(select(Unit).where(
            Unit.parent_id == db.session.scalar(select(Unit.id).where(Unit.code == "33")),
            Unit.kind == "commune", Unit.valid_to.is_(None))))
        # 1. today's Hưng Yên is the official 2025 list: codes, names and types
        assert len(today) == len(official) == 104
        assert {(u.code, u.name) for u in today} == {(r["code"], r["name"]) for r in official}
        assert Counter(u.admin_type for u in today) == Counter(r["type"] for r in official)
        assert all(u.valid_from == FIRST_DAY for u in today)
        # 2. the legacy units of both old provinces existed until 30/06/2025
        closed = {u.code.split(".")[0]: u for u in db.session.scalars(
            select(Unit).where(Unit.valid_to.isnot(None)))}
        assert len(old_communes) == 381 and len(old_districts) == 18
        assert set(closed) == old_communes | old_districts | {"34"}
        assert all(u.is_active_on(LAST_DAY) and not u.is_active_on(FIRST_DAY)
                   for u in closed.values())
        # … with lineage to their successors, exactly the official mapping
        links = db.session.execute(
            select(UnitLineage.predecessor_id, Unit.code, UnitLineage.effective_on)
            .join(Unit, Unit.id == UnitLineage.successor_id)
            .where(UnitLineage.direct.is_(True))).all()
        by_id = {u.id: code for code, u in closed.items()}
        assert {(by_id[p], s) for p, s, _day in links if by_id[p] in old_communes} == mapping
        assert {s for p, s, _day in links if by_id[p] not in old_communes} == {"33"}
        assert {day for *_ids, day in links} == {FIRST_DAY}
        # 3. some old units drafted and issued plans in June 2025; the new communes have
        #    their own and filed 2025 and 2026 reports
        legacy_plans = {plan_id: unit_id for plan_id, unit_id in db.session.execute(
            select(UnitPlan.id, UnitPlan.unit_id).where(
                UnitPlan.unit_id.in_([u.id for u in closed.values()])))}
        assert len(legacy_plans) >= 30
        created = {p.revisions[0].created_at.date() for p in db.session.scalars(
            select(UnitPlan).where(UnitPlan.id.in_(legacy_plans)))}
        assert min(created) >= date(2025, 6, 1) and max(created) <= LAST_DAY
        statuses = Counter(db.session.scalars(
            select(UnitReport.status).join(Unit).where(Unit.valid_to.is_(None))))
        assert {"accepted", "submitted", "returned", "draft"} <= set(statuses)
        successors = {}
        for predecessor, successor, _day in links:
            successors.setdefault(predecessor, set()).add(successor)
        plan_successor = {plan: successors[unit] for plan, unit in legacy_plans.items()}
        own = {plan for plan, codes in plan_successor.items() if "11992" in codes}
    assert all(len(codes) == 1 for codes in plan_successor.values())
    assert own   # old Xã Lạc Đạo's plan, at least

    # 4. every legacy plan is on its successor's page for those who read the successor
    leader = signed_in(app, "lanhdao.tinh")                   # the province's leader
    found: set[int] = set()
    for code in sorted({c for codes in plan_successor.values() for c in codes}):
        found |= predecessor_plan_links(leader, code)
    assert found == set(legacy_plans)
    for plan_id in legacy_plans:
        assert leader.get(f"/plans/{plan_id}").status_code == 200
    # … the new commune's own people read the plans of the communes it took over
    for username in ("canbo.xa", "chutich.xa"):
        officer = signed_in(app, username)
        assert predecessor_plan_links(officer, "11992") == own
        for plan_id in legacy_plans:
            expected = 200 if plan_id in own else 404
            assert officer.get(f"/plans/{plan_id}").status_code == expected, plan_id
        assert officer.get("/units/11989").status_code == 200       # merged into theirs
        assert officer.get("/units/12007").status_code == 200
        assert officer.get("/units/12016").status_code == 404       # merged elsewhere
    # … and the drafter of another new commune reads none of them
    with system_scope("test"):
        from portal.accounts.service import create_user, grant

        other = create_user("canbo.xakhac", DEMO_PASSWORD)
        grant(other, db.session.scalar(select(Unit).where(Unit.code == "12862")), "drafter")
        db.session.commit()
    stranger = signed_in(app, "canbo.xakhac")
    for plan_id in legacy_plans:
        assert stranger.get(f"/plans/{plan_id}").status_code == 404
    assert stranger.get("/units/11992").status_code == 404

    # 6. the ministry above the provinces (issue 21 item 2): Plan 108 implements its
    #    national plan, every Plan 108 indicator mapped; its leader sees the provinces side
    #    by side, the province's leader does not see the ministry at all
    from portal.frameworks.framework import Framework, FrameworkVersion
    from portal.frameworks.mapping import IndicatorMapping

    with system_scope("test"):
        ministry = db.session.scalar(select(Unit).where(Unit.code == "BKHCN"))
        assert ministry is not None and ministry.kind == "nation"
        assert {u.code for u in db.session.scalars(select(Unit).where(
            Unit.parent_id == ministry.id))} == {"33", "34"}
        plan_108 = db.session.scalar(select(Framework).join(FrameworkVersion).where(
            FrameworkVersion.doc_number == "108/KH-UBND"))
        national = db.session.get(Framework, plan_108.parent_id)
        assert national.owner_unit_id == ministry.id
        assert national.published().doc_number == "1703/QĐ-TTg"
        assert db.session.scalar(select(func.count()).select_from(IndicatorMapping).where(
            IndicatorMapping.version_id == plan_108.published().id)) == 9
        # the obligations by level (issue 21 item 5): the units of Plan 108 report to
        # DOST by the period's 30/11; the provinces to the ministry by 15/12
        from portal.reports.obligation import ObligationDue, ReportObligation
        by_framework = {o.framework_id: o for o in db.session.scalars(select(ReportObligation))}
        to_dost, to_ministry = by_framework[plan_108.id], by_framework[national.id]
        assert db.session.get(Unit, to_dost.receiver_unit_id).code == "33.SKHCN"
        assert (to_ministry.receiver_unit_id, to_ministry.reporter_kinds) == \
            (ministry.id, "province")
        assert {(d.due_date.day, d.due_date.month) for d in db.session.scalars(
            select(ObligationDue).where(ObligationDue.obligation_id == to_ministry.id))} \
            == {(15, 12)}
    page = signed_in(app, "lanhdao.bo").get("/units/BKHCN/national?year=2025")
    assert page.status_code == 200
    assert "Tỉnh Hưng Yên" in page.get_data(as_text=True)
    assert leader.get("/units/BKHCN/national").status_code == 404

    # 5. seeding again changes nothing
    with system_scope("test"):
        before = [db.session.scalar(select(func.count()).select_from(model))
                  for model in (Unit, UnitLineage, UnitPlan, UnitReport)]
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0, again.output
    assert "history to 01/07/2025: already present" in again.output
    assert "0 created" in again.output and "0 started" in again.output
    legacy = runner.invoke(args=["demo", "seed", "--legacy"])      # not over today's
    assert "the legacy demo needs an empty database" in legacy.output
    reports = runner.invoke(args=["demo", "reports"])
    assert "today's demo has its plans and reports already" in reports.output
    with system_scope("test"):
        assert [db.session.scalar(select(func.count()).select_from(model))
                for model in (Unit, UnitLineage, UnitPlan, UnitReport)] == before
