"""The leaders' dashboard: every figure against a hand computation on a small tree, the
query count, drill-down, sources, the snapshot beside the live figures, the exports.

Province P1: districts D1 (communes C11, C12) and D2 (commune C21, closed before the 2026
cut-off), and the department P1.SKHCN — the tree and reports of test_aggregate, plus
issued plans for D1 and C11 whose one task both report overdue, and targets.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from portal.dashboard.service import Track, build, target_now
from portal.extensions import db
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.presets import PLAN_108_INDICATORS
from portal.plans.service import start_plan
from portal.reports.consolidation import launch, run_consolidation
from portal.reports.report import UnitReport
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import (
    AGGREGATE_PLAN,
    ALL,
    ON_TIME,
    TARGETED,
    file_report,
    framework,
    make_framework,
)


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def board(fid: int, code: str = "P1", year: int = 2026):
    with system_scope("test"):
        return build(unit(code), fid, year)


def test_every_figure_of_the_province(province: int) -> None:
    b = board(province)
    assert b.reporting == {"expected": 5, "submitted": 4, "on_time": 3, "accepted": 1,
                           "rate": 0.8, "timeliness": 0.6}
    assert b.plans_issued == 2
    figures = {f.indicator.code: f for f in b.indicators}
    # share of expected: D1, D2 and the department said yes; C11 no; C12 has not reported
    assert figures["II.1.a"].figure == {"value": 0.6, "numerator": 3, "denominator": 5}
    assert figures["II.1.a"].track == Track.NO_TARGET
    # a flow against its 2026 target of 8: 2 + 1 + 3 + 0 (not the draft's 100)
    assert figures["II.1.b"].value == 6 and figures["II.1.b"].progress == 0.75
    assert figures["II.1.b"].track == Track.BEHIND
    assert figures["II.1.b"].trend == [(2025, 7), (2026, 6)]
    # cumulative: 4 in 2025, then 1 + 0 + 2 more; against a straight line to 10 by 2030
    # from 0 in 2024: 3.33 programmes by 2026 is 4 whole ones (issue 16: not "3,3333")
    assert figures["II.1.c"].trend == [(2025, 4), (2026, 7)]
    assert figures["II.1.c"].target_now == 4
    assert figures["II.1.c"].progress == 7 / 4 and figures["II.1.c"].bar == 1
    assert figures["II.1.c"].track == Track.EXCEEDED
    # a stock ratio: sums of each unit's latest figures, D2's of 2025 included
    assert figures["II.1.d"].figure == {"value": 0.125, "numerator": 15, "denominator": 120}
    assert figures["II.1.d"].trend == [(2025, 0.25), (2026, 0.125)]
    assert figures["II.1.d"].progress == 0.125 and figures["II.1.d"].track == Track.BEHIND
    assert figures["II.1.e"].written == 1 and figures["II.1.e"].trend == []
    assert b.by_year == [
        (2025, {"expected": 6, "submitted": 1, "on_time": 1, "accepted": 1, "rate": 1 / 6,
                "timeliness": 1 / 6}),
        (2026, b.reporting)]
    assert b.tasks == {"done_on_time": 0, "done_late": 0, "in_progress": 0, "overdue": 2}
    assert [(o["path"], o["units"]) for o in b.overdue] == [("III.1.a", 2)]


def test_each_child_and_the_ranking(province: int) -> None:
    children = {c.unit.code: c for c in board(province).children}
    d1 = children["D1"]
    assert d1.reporting == {"expected": 3, "submitted": 2, "on_time": 1, "accepted": 0,
                            "rate": 2 / 3, "timeliness": 1 / 3}
    assert d1.plans_issued == 2 and d1.tasks["overdue"] == 2 and d1.task_completion == 0
    assert children["D2"].reporting["expected"] == 1          # C21 closed before the cut-off
    assert children["D2"].reporting["accepted"] == 1
    # timeliness first (D2 and the department both 100 %), then rate, then tasks, then the
    # natural order of units (tenants.ordering: departments before districts)
    assert [(c.rank, c.unit.code) for c in board(province).ranking] == [
        (1, "P1.SKHCN"), (2, "D2"), (3, "D1")]


def test_one_level_down_and_a_commune(province: int) -> None:
    d1 = board(province, "D1")
    assert d1.reporting["expected"] == 2 and d1.reporting["submitted"] == 1
    assert {f.indicator.code: f.value for f in d1.indicators}["II.1.d"] == 0.0
    c11 = board(province, "C11")
    assert c11.children == [] and c11.own_report is not None
    assert c11.own_report.status == "submitted"
    values = {i.code: v for i, v in c11.own_values}
    assert values["II.1.d"].denominator == 90


def test_a_year_before(province: int) -> None:
    b = board(province, year=2025)
    assert b.reporting["expected"] == 6 and b.reporting["submitted"] == 1
    assert b.by_year == [(2025, b.reporting)]


def test_target_of_the_year_given_per_year_or_on_a_straight_line() -> None:
    class Target:
        kind, target_final, target_year, target_path = "count", 30, 2030, "yearly"
        baseline, baseline_year, target_is_fraction = None, None, False

    # given per year: the year's own target, else the final one
    assert target_now(Target, 2027, {2027: 12}, 2025) == 12
    assert target_now(Target, 2026, {2027: 12}, 2025) == 30
    # a straight line from 0 in 2024 (the year before the plan) to 30 in 2030: 5 a year;
    # the yearly targets given are not what a straight line compares with
    Target.target_path = "linear"
    assert [target_now(Target, y, {2027: 12}, 2025) for y in range(2025, 2031)] == [
        5, 10, 15, 20, 25, 30]
    # from a baseline of 12 in 2025: (30 - 12) / 5 = 3.6 a year, rounded up for a count
    Target.baseline, Target.baseline_year = Decimal(12), 2025
    assert [target_now(Target, y, {}, 2025) for y in range(2025, 2031)] == [
        12, 16, 20, 23, 27, 30]
    # a share is not rounded to whole numbers: 40 % in 2025 to 100 % in 2030
    Target.kind, Target.target_final, Target.baseline = "ratio", Decimal(1), Decimal("0.4")
    assert target_now(Target, 2026, {}, 2025) == Decimal("0.52")
    Target.target_final = None
    assert target_now(Target, 2026, {}, 2025) is None


def test_queries_do_not_grow_with_the_units(province: int, login_as,
                                            count_queries) -> None:
    client = login_as("platform")
    pages = ("/units/P1/dashboard?year=2026", "/units/D2/dashboard?year=2026",
             "/units/P1/dashboard.xlsx?year=2026", "/units/P1/dashboard/print?year=2026")

    def render_all() -> None:
        for page in pages:
            assert client.get(page).status_code == 200

    from tenants.tree import import_units, read_unit_csv

    with system_scope("test"):   # D2's only commune closed in 2026: give it one today
        import_units(read_unit_csv("code,name,type,level,parent_code\nY0,Xã Y,xã,3,D2\n"
                                   .encode()))
        db.session.commit()
    before = count_queries(render_all)

    rows = "code,name,type,level,parent_code\n" + "".join(
        f"X{i},Xã Thêm {i},xã,3,D2\n" for i in range(40))
    with system_scope("test"):
        import_units(read_unit_csv(rows.encode()))
        for i in range(0, 40, 2):
            start_plan(unit(f"X{i}"), framework(province), None).revisions[-1].status = "issued"
            db.session.flush()
            file_report(province, f"X{i}", 2026, {"II.1.b": {"value": "1"}}, "submitted",
                        ON_TIME)
        db.session.commit()
    after = count_queries(render_all)
    assert after == before
    assert len(board(province, "D2").children) == 41   # D2 had one commune open, now 41


def test_page_shows_the_figures_and_drills_down(province: int, login_as) -> None:
    client = login_as("platform")
    html = client.get("/units/P1/dashboard?year=2026").get_data(as_text=True)
    assert re.search(r'data-testid="rate">80 %<', html)
    assert re.search(r'data-testid="timeliness">60 %<', html)
    assert re.search(r'data-testid="value-II.1.d"[^>]*>12,5 %<', html)
    assert re.search(r'data-testid="value-II.1.b"[^>]*>6<', html)
    assert "tỷ lệ = tổng đã đào tạo ÷ tổng tổng số" not in html   # "tổng số" is a total
    assert 'href="/units/D1/dashboard?framework=' in html           # drill-down
    # II.1.c is above its target (issue 16: "vượt chỉ tiêu", not "on track" at 175 %)
    assert 'data-track="behind"' in html and 'data-track="exceeded"' in html
    assert 'data-testid="no-snapshot"' in html
    d1 = client.get("/units/D1/dashboard?year=2026").get_data(as_text=True)
    assert 'href="/units/P1/dashboard?framework=' in d1             # breadcrumb back up
    commune = client.get("/units/C11/dashboard?year=2026").get_data(as_text=True)
    assert 'data-testid="own-report"' in commune and "/reports/" in commune


def test_a_leader_sees_their_subtree_only(province: int, login_as) -> None:
    leader = login_as("leader")            # leader of D1
    assert leader.get("/units/D1/dashboard?year=2026").status_code == 200
    assert leader.get("/units/C11/dashboard?year=2026").status_code == 200
    for code in ("P1", "D2", "QD"):
        assert leader.get(f"/units/{code}/dashboard?year=2026").status_code == 404
    html = leader.get("/units/D1/dashboard?year=2026").get_data(as_text=True)
    assert 'href="/units/P1/dashboard' not in html                  # no link above them
    assert login_as("drafter").get("/units/D1/dashboard").status_code == 403


def test_unknown_year_or_plan_is_a_clear_404(province: int, login_as) -> None:
    client = login_as("platform")
    response = client.get("/units/P1/dashboard?year=1999")
    assert response.status_code == 404
    assert "Không có kỳ báo cáo" in response.get_data(as_text=True)
    assert client.get("/units/P1/dashboard?framework=999999").status_code == 404
    assert client.get("/units/P1/dashboard?year=abc").status_code == 200   # the default year
    assert client.get("/units/P1/dashboard/sources?year=2026").status_code == 404
    assert client.get("/units/P1/dashboard/sources?year=2026&indicator=X").status_code == 404


def test_sources_are_the_reports_counted(province: int, login_as) -> None:
    client = login_as("platform")
    html = client.get("/units/P1/dashboard/sources?year=2026&indicator=II.1.d"
                      ).get_data(as_text=True)
    units = re.findall(r"<td><code>([\w.]+)</code>", html)
    assert units == ["D1", "D2", "C11"]       # D2's 2025 stock still counts; no draft
    missing = client.get("/units/P1/dashboard/sources?year=2026&figure=missing"
                         ).get_data(as_text=True)
    assert re.findall(r"<td><code>([\w.]+)</code>", missing) == ["C12"]
    late = client.get("/units/P1/dashboard/sources?year=2026&figure=late").get_data(as_text=True)
    assert re.findall(r"<td><code>([\w.]+)</code>", late) == ["C11"]
    on_time = client.get("/units/P1/dashboard/sources?year=2026&figure=on_time"
                         ).get_data(as_text=True)
    assert sorted(re.findall(r"<td><code>([\w.]+)</code>", on_time)) == [
        "D1", "D2", "P1.SKHCN"]
    plans = client.get("/units/P1/dashboard/sources?year=2026&figure=plans_issued"
                       ).get_data(as_text=True)
    assert sorted(re.findall(r"<td><code>([\w.]+)</code>", plans)) == ["C11", "D1"]


def test_snapshot_beside_the_live_figures(province: int, login_as) -> None:
    with system_scope("test"):
        consolidation = launch(unit("P1"), framework(province), 2026, None)
        db.session.commit()
        run_consolidation(consolidation.id, consolidation.unit_id)
    b = board(province)
    assert b.snapshot is not None and not b.snapshot_stale
    assert {f.indicator.code: f.official for f in b.indicators}["II.1.d"]["value"] == 0.125
    with system_scope("test"):
        report = db.session.scalar(select(UnitReport).join(Unit).where(
            Unit.code == "C11", UnitReport.status == "submitted"))
        report.status = "accepted"
        db.session.commit()
    assert board(province).snapshot_stale
    html = login_as("platform").get("/units/P1/dashboard?year=2026").get_data(as_text=True)
    assert 'data-testid="snapshot-stale"' in html


def test_workbook_and_print_view(province: int, login_as) -> None:
    client = login_as("platform")
    response = client.get("/units/P1/dashboard.xlsx?year=2026")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    rows = {r[0]: r for r in book["Chỉ tiêu"].iter_rows(values_only=True) if r and r[0]}
    assert rows["II.1.d"][2] == 0.125 and rows["II.1.d"][3] == 15 and rows["II.1.d"][4] == 120
    units = {r[1]: r for r in book["Đơn vị"].iter_rows(min_row=2, values_only=True)}
    assert units["D1"][0] == 3 and units["D1"][3:7] == (3, 2, 1, 0)
    assert units["P1"][2] == "Tổng" and units["P1"][3:7] == (5, 4, 3, 1)
    years = list(book["Theo năm"].iter_rows(min_row=2, values_only=True))
    assert [y[:3] for y in years] == [(2025, 6, 1), (2026, 5, 4)]
    printed = client.get("/units/P1/dashboard/print?year=2026").get_data(as_text=True)
    assert "dashboard-print.css" in printed and "12,5 %" in printed


def test_indicator_code_is_matched_across_versions(province: int) -> None:
    """Reports filed on version 1 still count once the owner publishes version 2."""
    from portal.frameworks.service import new_draft, publish

    with system_scope("test"):
        draft = new_draft(framework(province), None)
        publish(draft, None)
        db.session.commit()
        assert db.session.scalar(select(Indicator.id).where(
            Indicator.version_id == draft.id, Indicator.code == "II.1.d")) is not None
    figures = {f.indicator.code: f for f in board(province).indicators}
    assert figures["II.1.d"].value == 0.125


def test_health(app: Flask) -> None:
    client = app.test_client()
    body = client.get("/health").get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    app.config["REDIS_URL"], saved = "redis://127.0.0.1:1/0", app.config.get("REDIS_URL")
    try:
        response = client.get("/health")   # nothing listens on port 1
    finally:
        app.config["REDIS_URL"] = saved
    assert response.status_code == 503 and response.get_json()["redis"] == "down"


# ---- targets compared at the level they belong to (issue 16, item 7) ----------------------

LEVELS = {
    # Plan 108's "a forum every year": the province's own target, given per year
    "II.1.b": {**PLAN_108_INDICATORS["II.1.b"], "targets": {2026: 1, 2027: 1}},
    # Plan 108's "≥ 10 programmes by 2030": the province's own, on a straight line
    "II.1.c": {**PLAN_108_INDICATORS["II.1.c"]},
    # the share of the units that held a class this year, against 80 %
    "II.1.d": {"kind": "count", "aggregation": "sum", "time_behaviour": "per_year",
               "target_scope": "share", "target_path": "yearly", "target_final": 0.8,
               "target_year": 2030, "reporting_kinds": ALL},
    "II.1.e": {"kind": "text", "aggregation": "none", "time_behaviour": "per_year",
               "reporting_kinds": ALL},
}


@pytest.fixture
def forums(world) -> int:
    """The districts hold 56 forums of their own, the province's department 2."""
    fid = make_framework("P1", text=AGGREGATE_PLAN, indicators=LEVELS)
    with system_scope("test data"):
        db.session.add(ReportingPeriod(framework_id=fid, owner_unit_id=unit("P1").id,
                                       year=2025, due_date=date(2025, 11, 30),
                                       cutoff_date=date(2025, 11, 15)))
        db.session.flush()
        unit("C21").valid_to = date(2026, 7, 1)
        file_report(fid, "D1", 2026, {"II.1.b": {"value": "20"}, "II.1.c": {"value": "5"},
                                      "II.1.d": {"value": "3"}}, "submitted", ON_TIME)
        file_report(fid, "D2", 2026, {"II.1.b": {"value": "36"}, "II.1.c": {"value": "7"},
                                      "II.1.d": {"value": "1"}}, "submitted", ON_TIME)
        file_report(fid, "P1.SKHCN", 2025, {"II.1.c": {"value": "1"}}, "accepted", ON_TIME)
        file_report(fid, "P1.SKHCN", 2026, {"II.1.b": {"value": "2"}, "II.1.c": {"value": "1"},
                                            "II.1.d": {"value": "2"}}, "submitted", ON_TIME)
        file_report(fid, "C11", 2026, {"II.1.d": {"value": "0"}}, "submitted", ON_TIME)
        db.session.commit()
    return fid


def test_the_province_s_own_target_is_compared_with_its_own_figure(forums: int) -> None:
    """58 forums in the province, 2 of them the province's own: 200 % of "a forum a year",
    not 5,800 %; the bar is capped and the target said exceeded."""
    figures = {f.indicator.code: f for f in board(forums).indicators}
    b = figures["II.1.b"]
    # every unit's forums as reported (58), but 2 of the province's own against 1
    assert (b.value, b.target_now, b.progress) == (58, 1, 2)      # was 58 → 5,800 %
    assert b.measured_value == 2
    assert b.bar == 1 and b.track == Track.EXCEEDED and b.exceeded
    assert b.trend == [(2025, None), (2026, 2)]


def test_a_province_s_straight_line_target_is_the_whole_number_due_by_the_year(
        forums: int) -> None:
    """≥ 10 programmes by 2030 from 0 in 2024: 4 due by 2026; the province's own 2 so far
    (the districts' 12 programmes are theirs)."""
    c = {f.indicator.code: f for f in board(forums).indicators}["II.1.c"]
    assert c.value == 14 and c.measured_value == 2 and c.target_now == 4
    assert c.progress == 0.5 and c.track == Track.BEHIND
    assert c.trend == [(2025, 1), (2026, 2)]
    assert {f.indicator.code: f for f in board(forums, year=2025).indicators}[
        "II.1.c"].target_now == 2                         # 10 / 6 = 1.67, rounded up


def test_the_owner_s_target_is_not_compared_one_level_down(forums: int) -> None:
    figures = {f.indicator.code: f for f in board(forums, "D1").indicators}
    assert figures["II.1.b"].value is None and figures["II.1.b"].track == Track.ELSEWHERE
    assert figures["II.1.b"].target_now is None and figures["II.1.b"].progress is None
    assert figures["II.1.c"].track == Track.ELSEWHERE


def test_a_share_of_units_target_at_every_level(forums: int) -> None:
    """Units expected in 2026: D1, C11, C12, D2, P1.SKHCN (C21 closed); D1, D2 and the
    department held a class: 60 % against 80 %. In D1: C11 none, C12 no report: 0 %."""
    d = {f.indicator.code: f for f in board(forums).indicators}["II.1.d"]
    assert d.value == 6                                    # the classes, summed as ever
    assert d.measured == {"value": 0.6, "numerator": 3, "denominator": 5}
    assert float(d.target_now) == 0.8 and d.progress == pytest.approx(0.75)
    assert d.track == Track.BEHIND
    below = {f.indicator.code: f for f in board(forums, "D1").indicators}["II.1.d"]
    assert below.measured == {"value": 0.0, "numerator": 0, "denominator": 2}
    assert below.progress == 0 and below.track == Track.BEHIND


def test_the_page_shows_the_target_it_compares_with(forums: int, login_as) -> None:
    client = login_as("platform")
    html = client.get("/units/P1/dashboard?year=2026").get_data(as_text=True)
    row = html[html.index('data-indicator="II.1.b"'):html.index('data-indicator="II.1.c"')]
    assert re.search(r'data-testid="value-II.1.b"[^>]*>58<', row)
    assert re.search(r'data-testid="compared-II.1.b">2 / 1<', row)
    assert re.search(r'data-testid="target-now-II.1.b">1<', row)
    assert "Vượt chỉ tiêu" in row and 'data-track="exceeded"' in row
    assert "5.800" not in html and "200 %" not in row
    assert 'class="chart-exceeded" x="0" y="2" width="120.0"' in row   # capped: the whole bar
    assert "so sánh: số của riêng Tỉnh Một (các sở, ban, ngành)" in row     # what is compared, said
    line = html[html.index('data-indicator="II.1.c"'):html.index('data-indicator="II.1.d"')]
    assert re.search(r'data-testid="target-now-II.1.c">4<', line)
    assert "3,3333" not in html and "3,3" not in line
    assert "đường thẳng" in line
    share = html[html.index('data-indicator="II.1.d"'):html.index('data-indicator="II.1.e"')]
    assert re.search(r'data-testid="compared-II.1.d">60 % / 80 % · 75 %<', share)
    d1 = client.get("/units/D1/dashboard?year=2026").get_data(as_text=True)
    row = d1[d1.index('data-indicator="II.1.b"'):d1.index('data-indicator="II.1.c"')]
    assert 'data-track="elsewhere"' in row and 'data-testid="compared-II.1.b"' not in row
    printed = client.get("/units/P1/dashboard/print?year=2026").get_data(as_text=True)
    assert "Vượt chỉ tiêu" in printed and "5.800" not in printed
    book = load_workbook(io.BytesIO(client.get("/units/P1/dashboard.xlsx?year=2026").data))
    rows = {r[0]: r for r in book["Chỉ tiêu"].iter_rows(values_only=True) if r and r[0]}
    assert rows["II.1.b"][7] == 2 and rows["II.1.b"][8] == "Vượt chỉ tiêu"
    assert rows["II.1.b"][10:12] == (2, 1) and rows["II.1.c"][11] == 4


def test_the_framework_owner_says_what_a_target_measures(world, login_as) -> None:
    """On the indicator form: the scope, the path and the baseline are saved, shown on the
    plan; a share of units over a cumulative count is refused with the reason."""
    from tests.conftest import csrf_token

    fid = make_framework("D1", published=False)
    with system_scope("test ids"):
        indicator_id = db.session.scalar(select(Indicator.id).where(
            Indicator.version_id == framework(fid).draft().id, Indicator.code == "II.1.b"))
    owner = login_as("consolidator")                      # of D1, the owner
    url = f"/frameworks/{fid}/draft/indicators/{indicator_id}"
    form = {"csrf_token": csrf_token(owner, url), "name": "Lớp tập huấn", "kind": "count",
            "aggregation": "sum", "time_behaviour": "cumulative", "unit_of_measure": "lớp",
            "target_final": "30", "target_year": "2030", "target_scope": "own",
            "target_path": "linear", "baseline": "6", "baseline_year": "2025",
            "reporting_kinds": ["district", "commune"]}
    page = owner.get(url).get_data(as_text=True)
    assert 'name="target_scope"' in page and "Theo đường thẳng từ mức cơ sở" in page
    refused = owner.post(url, data={**form, "target_scope": "share"})
    assert refused.status_code == 422
    assert "không thể đếm mỗi đơn vị một lần" in refused.get_data(as_text=True)
    refused = owner.post(url, data={**form, "baseline_year": "2031"})
    assert refused.status_code == 422 and "Năm cơ sở phải trước" in refused.get_data(
        as_text=True)
    assert owner.post(url, data=form).status_code == 302
    with system_scope("test"):
        saved = db.session.get(Indicator, indicator_id)
        assert (saved.target_scope, saved.target_path, saved.baseline, saved.baseline_year) \
            == ("own", "linear", 6, 2025)
    shown = owner.get(f"/frameworks/{fid}/draft").get_data(as_text=True)
    assert owner.get(url).status_code == 200 and 'value="6"' in owner.get(url).get_data(
        as_text=True)
    assert "Lớp tập huấn" in shown


def test_migration_0013_reads_existing_indicators_as_before(tmp_path) -> None:
    """Down to 0012 and up again with indicators and reports in the database (SQLite's
    foreign keys on): yes/no → share, others → sum; a cumulative count without yearly
    targets → a straight line, with them → as given; Plan 108's II.1.b and II.1.c → own.
    (On PostgreSQL: DATABASE_URL's database is the suite's; checked by hand, see the docs.)"""
    import flask_migrate
    from sqlalchemy import text

    from composition import create_app
    from portal.config import TestingConfig
    from portal.frameworks.framework import FrameworkVersion
    from tests.conftest import make_world

    # its own SQLite file for the app and the migrations alike: never the suite's database
    # (in CI MIGRATION_DATABASE_URL names the suite's PostgreSQL database)
    uri = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    other = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=uri, MIGRATION_DATABASE_URL=uri)
    with other.app_context():
        flask_migrate.upgrade()
        make_world()
        db.session.commit()
        settings = {**TARGETED, "II.1.b": {**TARGETED["II.1.b"], "target_scope": "share"}}
        fid = make_framework("P1", text=AGGREGATE_PLAN, indicators=settings)
        with system_scope("test"):
            file_report(fid, "D1", 2026, {"II.1.b": {"value": "2"}}, "submitted", ON_TIME)
            version = db.session.scalar(select(FrameworkVersion).where(
                FrameworkVersion.framework_id == fid))
            version.doc_number = "108/KH-UBND"
            db.session.commit()
        flask_migrate.downgrade(revision="0012_indicator_maximum")
        with db.engine.connect() as connection:
            columns = [r[1] for r in connection.execute(text("PRAGMA table_info(indicator)"))]
        assert "target_scope" not in columns and "baseline" not in columns
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT code, target_scope, target_path FROM indicator ORDER BY code")).all()
            values = connection.execute(text("SELECT count(*) FROM report_value")).scalar()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("II.1.a", "share", "yearly"), ("II.1.b", "own", "yearly"),
        ("II.1.c", "own", "linear"), ("II.1.d", "sum", "yearly"), ("II.1.e", "sum", "yearly")]
    assert values > 0
