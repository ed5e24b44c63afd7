"""Health, projection and task confidence (issue 18, items 6–8; docs/progress.md): every
band by hand (higher and lower is better, maintain), the capped roll-up, the projection
against the docs' worked example, fewer than two years, the dashboard, the API with its
tenant isolation, the owner's thresholds and direction, and confidence save + roll-up.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.dashboard.service import build
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.progress.health import Assessment, Health, Thresholds, assess, rollup
from portal.progress.projection import project
from portal.reports.report import ReportTask, UnitReport
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import exported, hx_save
from tests.conftest import csrf_token


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def board(fid: int, code: str = "P1", year: int = 2026):
    with system_scope("test"):
        return build(unit(code), fid, year)


# ---- health bands, by hand ------------------------------------------------------------------

@pytest.mark.parametrize(("value", "band", "ratio"), [
    (30, Health.ACHIEVED, None),        # the final target (30) reached
    (31, Health.ACHIEVED, None),
    (12, Health.ON_TRACK, 1.2),         # ahead of the line, not yet at the final target
    (10, Health.ON_TRACK, 1.0),
    (9.5, Health.ON_TRACK, 0.95),       # exactly the on-track threshold
    (9.4, Health.BEHIND, 0.94),
    (8.5, Health.BEHIND, 0.85),         # exactly the behind threshold
    (8.4, Health.AT_RISK, 0.84),
    (0, Health.NOT_STARTED, 0.0),       # nothing moved from the start (0)
    (None, Health.NO_DATA, None),
])
def test_higher_is_better(value, band: Health, ratio) -> None:
    found = assess(value, 10, final=30, start=0)
    assert found.band == band
    assert found.ratio == (pytest.approx(ratio) if ratio is not None else None)


@pytest.mark.parametrize(("value", "band", "ratio"), [
    # from 100 (baseline) down to 40 by the final year; 70 expected this year
    (40, Health.ACHIEVED, None),
    (0, Health.ACHIEVED, None),
    (70, Health.ON_TRACK, 1.0),
    (73, Health.ON_TRACK, 70 / 73),     # 95.9 %
    (80, Health.BEHIND, 70 / 80),       # 87.5 %
    (90, Health.AT_RISK, 70 / 90),      # 77.8 %
    (100, Health.NOT_STARTED, 0.0),     # still at the baseline
    (110, Health.NOT_STARTED, 0.0),
])
def test_lower_is_better(value, band: Health, ratio) -> None:
    found = assess(value, 70, direction="decrease", final=40, start=100)
    assert found.band == band
    assert found.ratio == (pytest.approx(ratio) if ratio is not None else None)


@pytest.mark.parametrize(("value", "band", "score"), [
    # hold 100 %, within 5 %: 95–105 % on track, within 10 % behind, further at risk
    (Decimal("1"), Health.ON_TRACK, 1.0),
    (Decimal("0.97"), Health.ON_TRACK, 1.0),
    (Decimal("1.04"), Health.ON_TRACK, 1.0),
    (Decimal("0.95"), Health.ON_TRACK, 1.0),
    (Decimal("0.93"), Health.BEHIND, 0.93),
    (Decimal("0.90"), Health.BEHIND, 0.90),
    (Decimal("0.85"), Health.AT_RISK, 0.85),
])
def test_maintain_with_a_tolerance(value, band: Health, score: float) -> None:
    found = assess(value, Decimal(1), direction="maintain", final=Decimal(1),
                   tolerance=Decimal("0.05"))
    assert found.band == band and found.score == pytest.approx(score)
    # a wider tolerance: 10 %
    assert assess(Decimal("0.92"), 1, direction="maintain",
                  tolerance=Decimal("0.10")).band == Health.ON_TRACK


def test_the_owner_s_thresholds_and_what_is_not_assessed() -> None:
    loose = Thresholds(on_track=Decimal("0.90"), behind=Decimal("0.80"))
    assert assess(9.2, 10, thresholds=loose).band == Health.ON_TRACK
    assert assess(8.1, 10, thresholds=loose).band == Health.BEHIND
    assert assess(7.9, 10, thresholds=loose).band == Health.AT_RISK
    # no expected value (no target, or the target of another level): not assessed
    assert assess(5, None).band is None and assess(None, None).band is None
    # nothing expected yet (the line still at its start): reporting anything is on track
    assert assess(0, 0, final=10).band == Health.ON_TRACK


def test_a_parent_from_its_children_each_capped() -> None:
    children = [assess(17.5, 10, final=30),      # 175 %: counts 100 %
                assess(5, 10, final=30),         # 50 %
                assess(30, 10, final=30),        # achieved: 100 %
                assess(0, 10, final=30),         # not started: 0 %
                assess(None, 10)]                # no data: left out
    parent = rollup(children)
    # (1 + 0.5 + 1 + 0) / 4 = 62.5 %: at risk (uncapped it would read 81.25 %, behind)
    assert parent.score == pytest.approx(0.625) and parent.band == Health.AT_RISK
    assert parent.counted == 4 and parent.no_data == 1
    assert parent.by_band == {"on_track": 1, "at_risk": 1, "achieved": 1, "not_started": 1,
                              "no_data": 1}
    assert rollup([assess(9.6, 10), assess(9, 10)]).band == Health.BEHIND  # (96 + 90) / 2
    assert rollup([assess(9.6, 10), assess(9.4, 10)]).band == Health.ON_TRACK  # 95 %
    assert rollup([assess(30, 10, final=30)] * 2).band == Health.ACHIEVED
    assert rollup([assess(0, 5)] * 2).band == Health.NOT_STARTED
    assert rollup([assess(None, 5), Assessment(None)]).band == Health.NO_DATA


# ---- the projection -------------------------------------------------------------------------

def test_the_worked_example_of_the_docs() -> None:
    """docs/progress.md § Worked example: 1, 3 and 4 programmes (cumulative) in 2025–2027,
    10 by 2030 from a baseline of 0."""
    found = project([(2025, 1), (2026, 3), (2027, 4)], 2030, 10, start=0, cumulative=True)
    assert found.enough and found.years_reported == 3
    assert found.pace == pytest.approx(1.4)            # 4.6667 / 3.3333
    assert found.projected == pytest.approx(8.3)       # 19/6 + 1.4 × 11/3
    assert found.gap == pytest.approx(1.7) and found.will_reach is False
    assert found.relative_gap == pytest.approx(0.17)   # 1.7 / (10 − 0)
    assert found.pace_needed == pytest.approx(2.0)     # (10 − 4) / (2030 − 2027)
    assert found.line == [(2027, 4.0), (2030, pytest.approx(8.3))]
    # an unweighted line would say 8.67: the weights make the recent slowdown count
    assert found.projected < 8.6


def test_fewer_than_two_reported_years() -> None:
    for points in ([], [(2025, 3)], [(2025, 3), (2026, None)]):
        found = project(points, 2030, 10)
        assert not found.enough and found.projected is None and found.line == []
        assert found.will_reach is None and found.pace_needed is None


def test_a_projection_exactly_on_the_target_reaches_it() -> None:
    """10 then 14 classes: 14 + 4 × 4 = 30 by 2030, exactly the target — not 29.99999…
    short of it (the weighted means are thirds)."""
    found = project([(2025, 10), (2026, 14)], 2030, 30, cumulative=True)
    assert found.projected == 30 and found.gap == 0 and found.will_reach is True


def test_the_projection_stays_within_what_the_figure_can_be() -> None:
    falling = project([(2025, 0.5), (2026, 0.25)], 2030, 1, fraction=True)
    assert falling.projected == 0 and falling.gap == 1          # never below 0
    rising = project([(2025, 0.5), (2026, 0.75)], 2030, 1, fraction=True)
    assert rising.projected == 1 and rising.will_reach          # a share never above 100 %
    lower = project([(2025, 90), (2026, 80)], 2030, 50, direction="decrease")
    assert lower.projected == pytest.approx(40) and lower.will_reach
    assert lower.gap == pytest.approx(-10) and lower.pace_needed == pytest.approx(-7.5)
    held = project([(2025, 0.98), (2026, 0.97)], 2030, 1, direction="maintain",
                   tolerance=Decimal("0.05"), fraction=True)
    assert held.projected == pytest.approx(0.93) and held.will_reach is False


# ---- on the dashboard ------------------------------------------------------------------------

def test_the_dashboard_s_health_and_projection(province: int) -> None:
    """The province of tests/test_dashboard.py: II.1.b 7 then 6 against 8 in 2026; II.1.c
    4 then 7 (cumulative) against 4 due by 2026 and 10 by 2030; II.1.d 25 % then 12.5 %
    against 100 %."""
    b = board(province)
    outlook = {f.indicator.code: f.outlook for f in b.indicators}
    assert outlook["II.1.e"] is None                              # text: not computed
    assert outlook["II.1.a"].health.band is None                  # no target: not assessed
    b_, c, d = outlook["II.1.b"], outlook["II.1.c"], outlook["II.1.d"]
    assert (b_.value, b_.expected, b_.health.band) == (6, 8, Health.AT_RISK)  # 75 %
    assert (c.value, c.expected, c.health.band) == (7, 4, Health.ON_TRACK)    # 175 %
    assert c.health.score == 1.0                                              # capped
    assert (d.value, d.expected, d.health.band) == (0.125, 1, Health.AT_RISK)
    # two points: the line through them; 6 + 3 × (2030 − 2025⅔) = 19 programmes by 2030
    assert c.projection.projected == pytest.approx(19) and c.projection.will_reach
    assert c.projection.pace == pytest.approx(3) and c.projection.pace_needed == 0.75
    # 25 % → 12.5 %: falling, held at 0 by 2030, the whole target short
    assert d.projection.projected == 0 and d.projection.gap == 1
    assert d.projection.pace_needed == pytest.approx((1 - 0.125) / 4)
    [group] = b.groups
    assert group.code == "II.1" and group.health.counted == 3
    assert group.health.score == pytest.approx((0.75 + 1 + 0.125) / 3)
    assert group.health.band == Health.AT_RISK


def test_the_dashboard_page_shows_bands_and_a_dashed_projection(province: int,
                                                                 login_as) -> None:
    page = login_as("platform").get("/units/P1/dashboard?year=2026").get_data(as_text=True)
    assert 'data-testid="health-II.1.c"' in page and 'data-health="on_track"' in page
    assert 'data-health="at_risk"' in page
    assert page.count('class="chart-projection"') == 4   # a (no target: no gap), b, c, d
    assert "2030 dự báo: 19" in page
    # one year reported: no line drawn, and said so
    earlier = login_as("platform").get("/units/P1/dashboard?year=2025").get_data(as_text=True)
    assert 'class="chart-projection"' not in earlier
    assert "Chưa đủ hai năm có số liệu" in earlier


def test_lower_is_better_and_maintain_set_by_the_owner(province: int, login_as) -> None:
    with system_scope("test"):
        indicator = db.session.scalar(select(Indicator).where(Indicator.code == "II.1.b"))
        indicator.direction = "decrease"              # fewer is better: 6 against 8
        db.session.commit()
    assert board(province).indicators[1].outlook.health.band == Health.ON_TRACK
    with system_scope("test"):
        indicator = db.session.scalar(select(Indicator).where(Indicator.code == "II.1.b"))
        indicator.direction, indicator.tolerance = "maintain", Decimal("0.25")
        db.session.commit()
    figure = board(province).indicators[1].outlook          # 6 is 25 % off 8: on track
    assert figure.health.band == Health.ON_TRACK


def test_the_owner_changes_the_thresholds(province: int, login_as) -> None:
    admin = login_as("platform")
    url = f"/frameworks/{province}/periods"
    token = csrf_token(admin, url)
    refused = admin.post(f"/frameworks/{province}/health",
                         data={"csrf_token": token, "on_track": "80", "behind": "90"})
    assert refused.status_code == 422
    assert "ngưỡng" in refused.get_data(as_text=True).lower()
    refused = admin.post(f"/frameworks/{province}/health",
                         data={"csrf_token": token, "on_track": "abc", "behind": "70"})
    assert refused.status_code == 422
    saved = admin.post(f"/frameworks/{province}/health",
                       data={"csrf_token": token, "on_track": "75", "behind": "50"})
    assert saved.status_code == 302
    with system_scope("test"):
        framework = db.session.get(Framework, province)
        assert framework.health_on_track == Decimal("0.75")
        assert framework.health_behind == Decimal("0.5")
    # II.1.b at 75 % is now on track, II.1.d at 12.5 % still at risk
    outlook = {f.indicator.code: f.outlook for f in board(province).indicators}
    assert outlook["II.1.b"].health.band == Health.ON_TRACK
    assert outlook["II.1.d"].health.band == Health.AT_RISK


# ---- the API --------------------------------------------------------------------------------

def test_the_progress_endpoint(province: int, app, world) -> None:
    from portal.accounts.service import find_user, issue_token

    with system_scope("test"):
        token = issue_token(find_user(world.usernames["platform"]))
        db.session.commit()
    client = app.test_client()
    got = client.get("/api/v1/units/P1/progress?year=2026",
                     headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200
    body = got.get_json()
    assert body["unit"] == "P1" and body["year"] == 2026
    assert body["thresholds"] == {"on_track": 0.95, "behind": 0.85}
    c = body["indicators"]["II.1.c"]
    assert c["health"] == "on_track" and c["expected"] == 4 and c["value"] == 7
    assert c["projection"]["projected"] == pytest.approx(19)
    assert c["projection"]["enough"] is True and c["projection"]["will_reach"] is True
    assert body["groups"][0]["health"] == "at_risk"
    assert set(body["tasks"]["confidence"]) == {"green", "amber_green", "amber", "amber_red",
                                                "red"}
    one_year = client.get("/api/v1/units/P1/progress?year=2025",
                          headers={"Authorization": f"Bearer {token}"}).get_json()
    assert one_year["indicators"]["II.1.c"]["projection"]["enough"] is False
    assert one_year["indicators"]["II.1.c"]["projection"]["projected"] is None
    assert client.get("/api/v1/units/P1/progress?year=1999",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert "/units/{code}/progress" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_the_progress_endpoint_keeps_to_the_caller_s_units(login_as, token_for,
                                                            targets) -> None:
    """A leader of D1 reads D1's progress; another unit is 404, a drafter 403."""
    from flask import current_app

    client = current_app.test_client()
    leader = {"Authorization": f"Bearer {token_for('leader')}"}
    assert client.get("/api/v1/units/D1/progress", headers=leader).status_code == 200
    for other in ("D2", "QD", "P1"):
        got = client.get(f"/api/v1/units/{other}/progress", headers=leader)
        assert got.status_code == 404, other
        assert got.get_json()["error"]["code"] == "not_found"
    drafter = {"Authorization": f"Bearer {token_for('drafter')}"}
    assert client.get("/api/v1/units/D1/progress", headers=drafter).status_code == 403
    assert client.get("/api/v1/units/D2/progress", headers=drafter).status_code == 404


# ---- confidence of tasks in progress ---------------------------------------------------------

def test_a_unit_rates_a_task_in_progress(login_as, targets) -> None:
    officer = login_as("drafter")
    report_id, rtask = targets["own"]["report_id"], targets["own"]["report_task_id"]
    url = f"/reports/{report_id}/tasks/{rtask}"
    token = csrf_token(officer, f"/reports/{report_id}")
    page = officer.get(f"/reports/{report_id}").get_data(as_text=True)
    assert 'data-testid="confidence-definitions"' in page and "Xanh - vàng" in page
    saved = hx_save(officer, url, token, page, f"version-rtask-{rtask}",
                    status="in_progress", result="", confidence="amber_red")
    assert saved.status_code == 200
    with system_scope("test"):
        assert db.session.get(ReportTask, rtask).confidence == "amber_red"
    page = officer.get(f"/reports/{report_id}").get_data(as_text=True)
    refused = hx_save(officer, url, token, page, f"version-rtask-{rtask}",
                      status="in_progress", result="", confidence="purple")
    assert "Chọn một trong năm mức độ tin cậy" in refused.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.get(ReportTask, rtask).confidence == "amber_red"   # kept
    # a task done needs no rating: it is dropped
    page = officer.get(f"/reports/{report_id}").get_data(as_text=True)
    done = hx_save(officer, url, token, page, f"version-rtask-{rtask}",
                   status="done_on_time", result="", confidence="amber_red")
    assert done.status_code == 200
    with system_scope("test"):
        assert db.session.get(ReportTask, rtask).confidence is None


def test_confidence_rolled_up_by_level(province: int) -> None:
    """The province's two counted reports (D1, C11) each report their one task overdue."""
    assert board(province).confidence == {"green": 0, "amber_green": 0, "amber": 0,
                                          "amber_red": 0, "red": 0}
    assert board(province).unrated == 2
    with system_scope("test"):
        tasks = db.session.scalars(select(ReportTask).join(
            UnitReport, UnitReport.id == ReportTask.report_id)
            .where(ReportTask.status == "overdue").order_by(ReportTask.id)).all()
        assert len(tasks) == 2
        tasks[0].confidence, tasks[1].confidence = "red", "red"
        db.session.commit()
    b = board(province)
    assert b.confidence["red"] == 2 and b.unrated == 0
    assert board(province, "D1").confidence["red"] == 1      # only C11's below D1
    assert b.progress.as_dict()["tasks"] == {
        "confidence": {"green": 0, "amber_green": 0, "amber": 0, "amber_red": 0, "red": 2},
        "unrated": 0}


# ---- in the consolidation report -------------------------------------------------------------

def test_the_snapshot_keeps_health_and_projection(province: int, login_as) -> None:
    import io

    from openpyxl import load_workbook

    from portal.reports.consolidation import Consolidation, launch, run_consolidation
    from tests.builders import framework

    with system_scope("test"):
        consolidation = launch(unit("P1"), framework(province), 2026, None)
        db.session.commit()
        run_consolidation(consolidation.id, consolidation.unit_id)
        row = db.session.get(Consolidation, consolidation.id)
        kept = row.result["progress"]
        row_id = row.id
    c = kept["indicators"]["II.1.c"]
    assert c["health"] == "on_track" and c["projection"]["projected"] == pytest.approx(19)
    assert kept["indicators"]["II.1.d"]["projection"]["gap"] == 1
    client = login_as("platform")
    page = client.get(f"/consolidations/{row_id}").get_data(as_text=True)
    assert 'data-testid="consolidation-progress"' in page
    assert 'data-testid="progress-II.1.c"' in page and "Đạt tiến độ" in page
    book = load_workbook(io.BytesIO(exported(client, row_id, "xlsx").data))
    sheet = book["Dự báo"]
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert rows["II.1.c"][2:5] == (7, 4, 1.75)
    assert rows["II.1.c"][5] == "Đạt tiến độ"
    assert rows["II.1.c"][8] == pytest.approx(19) and rows["II.1.c"][13] == "Đạt chỉ tiêu"
    assert rows["II.1.d"][13] == "Không đạt chỉ tiêu"
    assert rows["II.1"][2] == "Có nguy cơ không đạt"


def test_a_snapshot_of_one_year_says_there_is_no_projection(province: int, login_as) -> None:
    from portal.reports.consolidation import launch, run_consolidation
    from tests.builders import framework

    with system_scope("test"):
        consolidation = launch(unit("P1"), framework(province), 2025, None)
        db.session.commit()
        run_consolidation(consolidation.id, consolidation.unit_id)
    page = login_as("platform").get(f"/consolidations/{consolidation.id}").get_data(
        as_text=True)
    assert "Chưa đủ hai năm có số liệu: chưa dự báo." in page


# ---- the owner's settings and the migration --------------------------------------------------

def test_the_owner_sets_the_direction_on_the_indicator_form(world, login_as) -> None:
    from tests.builders import framework, make_framework

    fid = make_framework("D1", published=False)
    with system_scope("test ids"):
        indicator_id = db.session.scalar(select(Indicator.id).where(
            Indicator.version_id == framework(fid).draft().id, Indicator.code == "II.1.b"))
    owner = login_as("consolidator")                      # of D1, the owner
    url = f"/frameworks/{fid}/draft/indicators/{indicator_id}"
    form = {"csrf_token": csrf_token(owner, url), "name": "Vi phạm phát hiện", "kind": "count",
            "aggregation": "sum", "time_behaviour": "per_year", "unit_of_measure": "vụ",
            "target_final": "5", "target_year": "2030", "reporting_kinds": ["district"]}
    page = owner.get(url).get_data(as_text=True)
    assert 'name="direction"' in page and "Càng thấp càng tốt" in page
    refused = owner.post(url, data={**form, "direction": "sideways"})
    assert refused.status_code == 422
    assert "Chọn chiều mong muốn" in refused.get_data(as_text=True)
    refused = owner.post(url, data={**form, "direction": "maintain", "tolerance": "80"})
    assert refused.status_code == 422 and "từ 0 đến 50" in refused.get_data(as_text=True)
    assert owner.post(url, data={**form, "direction": "decrease"}).status_code == 302
    with system_scope("test"):
        assert db.session.get(Indicator, indicator_id).direction == "decrease"
    # maintain without a tolerance: the default 5 %; with one: as given (a percentage)
    assert owner.post(url, data={**form, "direction": "maintain", "tolerance": ""}) \
        .status_code == 302
    with system_scope("test"):
        assert db.session.get(Indicator, indicator_id).tolerance == Decimal("0.05")
    assert owner.post(url, data={**form, "direction": "maintain", "tolerance": "7,5"}) \
        .status_code == 302
    with system_scope("test"):
        saved = db.session.get(Indicator, indicator_id)
        assert (saved.direction, saved.tolerance) == ("maintain", Decimal("0.075"))


def test_plan_108_preset_and_migration_0020(tmp_path) -> None:
    """Down to 0017 and up again (SQLite's foreign keys on): indicators are higher-is-better
    but Plan 108's II.1.e, maintained within 5 %; thresholds 95 % and 85 %; a task's
    confidence column; the preset says the same for a new Plan 108."""
    import flask_migrate
    from sqlalchemy import text

    from composition import create_app
    from portal.config import TestingConfig
    from portal.frameworks.framework import FrameworkVersion
    from portal.frameworks.presets import PLAN_108_INDICATORS
    from tests.builders import AGGREGATE_PLAN, TARGETED, make_framework
    from tests.conftest import make_world

    assert PLAN_108_INDICATORS["II.1.e"]["direction"] == "maintain"
    uri = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    other = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=uri, MIGRATION_DATABASE_URL=uri)
    with other.app_context():
        flask_migrate.upgrade()
        make_world()
        db.session.commit()
        fid = make_framework("P1", text=AGGREGATE_PLAN, indicators=TARGETED)
        with system_scope("test"):
            version = db.session.scalar(select(FrameworkVersion).where(
                FrameworkVersion.framework_id == fid))
            version.doc_number = "108/KH-UBND"
            db.session.commit()
        flask_migrate.downgrade(revision="0017_consolidation_narrative")
        with db.engine.connect() as connection:
            columns = [r[1] for r in connection.execute(text("PRAGMA table_info(indicator)"))]
        assert "direction" not in columns
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT code, direction, tolerance FROM indicator ORDER BY code")).all()
            thresholds = connection.execute(text(
                "SELECT health_on_track, health_behind FROM framework")).one()
            tasks = [r[1] for r in connection.execute(text("PRAGMA table_info(report_task)"))]
        db.engine.dispose()
    assert [(r[0], r[1]) for r in rows] == [
        ("II.1.a", "increase"), ("II.1.b", "increase"), ("II.1.c", "increase"),
        ("II.1.d", "increase"), ("II.1.e", "maintain")]
    assert Decimal(str(rows[-1][2])) == Decimal("0.05")
    assert tuple(Decimal(str(v)) for v in thresholds) == (Decimal("0.95"), Decimal("0.85"))
    assert "confidence" in tasks


def test_the_dashboard_workbook_carries_health_and_projection(province: int, login_as) -> None:
    import io

    from openpyxl import load_workbook

    data = login_as("platform").get("/units/P1/dashboard.xlsx?year=2026").data
    sheet = load_workbook(io.BytesIO(data))["Chỉ tiêu"]
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r and r[0]}
    header = next(r for r in rows.values() if "Đánh giá tiến độ" in r)
    at = header.index("Đánh giá tiến độ")
    assert rows["II.1.c"][at:at + 4] == ("Đạt tiến độ", pytest.approx(19), None, None)
    assert rows["II.1.d"][at:at + 4] == ("Có nguy cơ không đạt", 0, 1,
                                         pytest.approx(0.21875))


def test_a_confidence_rating_through_the_api(app, token_for, targets) -> None:
    client = app.test_client()
    drafter = {"Authorization": f"Bearer {token_for('drafter')}"}
    url = "/api/v1/units/D1/reports/2026"
    task_id = next(iter(client.get(url, headers=drafter).get_json()["tasks"]))
    saved = client.put(url, headers=drafter, json={
        "tasks": {task_id: {"status": "in_progress", "confidence": "amber"}}})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["tasks"][task_id]["confidence"] == "amber"
    # a PUT that does not name it keeps it; an unknown level or a number is refused whole
    kept = client.put(url, headers=drafter, json={"tasks": {task_id: {"result": "Đang làm"}}})
    assert kept.get_json()["tasks"][task_id]["confidence"] == "amber"
    for bad in ("purple", 3):
        refused = client.put(url, headers=drafter, json={
            "tasks": {task_id: {"status": "overdue", "confidence": bad}}})
        assert refused.status_code == 422
        assert f"tasks.{task_id}.confidence" in refused.get_json()["error"]["fields"]
    body = client.get(url, headers=drafter).get_json()
    assert body["tasks"][task_id]["status"] == "in_progress"           # nothing kept
    cleared = client.put(url, headers=drafter, json={"tasks": {task_id: {"confidence": None}}})
    assert cleared.get_json()["tasks"][task_id]["confidence"] is None
