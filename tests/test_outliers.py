"""Outliers of yearly values and the value panel (issue 18, items 4 and 5; docs/outliers.md).

The arithmetic is checked against numbers worked out by hand; the rest through the pages a
drafter, a reviewer and the framework owner use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.accounts.service import create_user, grant
from portal.extensions import db
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.outliers.bounds import (
    NoSpread,
    TooFewUnits,
    generate,
    mad,
    median,
    outside_bounds,
    year_over_year,
)
from portal.outliers.rule import OutlierRule
from portal.outliers.service import OutlierError, generate_bounds, report_outliers, save_rule
from portal.plans.plan import PlanTarget
from portal.reports.report import ReportValue, UnitReport
from portal.reports.value_thread import ValueComment, ValueFollowUp
from tenants.scoping import system_scope
from tenants.tree import add_unit
from tenants.unit import Unit
from tests.builders import file_report, framework, hx_save, make_framework
from tests.conftest import PASSWORD, csrf_token, login

D = Decimal


# ---- the arithmetic, by hand ------------------------------------------------------------


def test_median_and_mad_by_hand() -> None:
    seven = [D(v) for v in (9, 2, 30, 4, 7, 4, 5)]
    # sorted 2 4 4 5 7 9 30: median 5; distances 3 1 1 0 2 4 25 → sorted 0 1 1 2 3 4 25: 2
    assert median(seven) == 5
    assert mad(seven) == 2
    four = [D(v) for v in (10, 1, 3, 2)]
    # sorted 1 2 3 10: median 2,5; distances 1,5 0,5 0,5 7,5 → median (0,5 + 1,5) / 2 = 1
    assert median(four) == D("2.5")
    assert mad(four) == 1


def test_generated_bounds_by_hand() -> None:
    seven = [D(v) for v in (9, 2, 30, 4, 7, 4, 5)]
    made = generate(seven, D(3), 5)
    # 5 ± 3 × 1,4826 × 2 = 5 ± 8,8956: the low bound is held at 0
    assert (made.low, made.high, made.median, made.mad, made.units) == (
        0, D("13.8956"), 5, 2, 7)
    assert outside_bounds(D(30), made.low, made.high)
    assert not outside_bounds(D(9), made.low, made.high)
    five = [D(v) for v in (10, 11, 12, 13, 14)]
    made = generate(five, D(3), 5)
    # 12 ± 3 × 1,4826 × 1 = 12 ± 4,4478
    assert (made.low, made.high) == (D("7.5522"), D("16.4478"))
    assert outside_bounds(D(7), made.low, made.high)
    assert not outside_bounds(D(8), made.low, made.high)


def test_no_bounds_from_too_few_units_or_no_spread() -> None:
    with pytest.raises(TooFewUnits):
        generate([D(1), D(2), D(3), D(4)], D(3), 5)
    with pytest.raises(NoSpread):   # three of five give 3: the MAD is 0
        generate([D(3), D(3), D(3), D(4), D(9)], D(3), 5)


def test_manual_bounds_with_one_side_only() -> None:
    assert outside_bounds(D(5), D(10), None)
    assert not outside_bounds(D(500), D(10), None)
    assert outside_bounds(D(21), None, D(20))
    assert not outside_bounds(D(20), None, D(20))   # the bound itself is inside


@pytest.mark.parametrize(("value", "last", "factor", "flagged"), [
    (10, 3, 3, True),       # 10 > 3 × 3
    (9, 3, 3, False),       # exactly × 3 is not more than × 3
    (1, 3, 3, False),       # exactly ÷ 3
    (D("0.9"), 3, 3, True),  # below 3 ÷ 3
    (0, 0, 3, False),       # 0 both years
    (5, 0, 3, True),        # from 0: no factor covers it
    (0, 5, 3, True),        # to 0
    (5, None, 3, False),    # no value last year: the rule does not apply
    (500, 1, None, False),  # no factor set
])
def test_year_over_year(value, last, factor, flagged) -> None:
    assert year_over_year(D(value), None if last is None else D(last),
                          None if factor is None else D(factor)) is flagged


# ---- the world: province P1's plan, reports of its units ------------------------------------


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _period(fid: int, year: int) -> ReportingPeriod:
    return db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == fid, ReportingPeriod.year == year))


def _report(fid: int, code: str, year: int) -> UnitReport:
    return db.session.scalar(select(UnitReport).where(
        UnitReport.unit_id == _unit(code).id,
        UnitReport.period_id == _period(fid, year).id))


def _value(report: UnitReport, code: str) -> ReportValue:
    return next(v for v in report.values
                if db.session.get(Indicator, v.indicator_id).code == code)


@pytest.fixture
def fid(world) -> int:
    """Province P1's small plan (II.1.a a ratio, II.1.b a count) with 2026 and 2027."""
    return make_framework("P1")


@pytest.fixture
def owner(world) -> str:
    """A consolidator of province P1, who maintains its frameworks."""
    with system_scope("test data"):
        grant(create_user("u.p1.owner", PASSWORD, full_name="Chủ trì tỉnh"), _unit("P1"),
              "consolidator")
        db.session.commit()
    return "u.p1.owner"


def _rule(fid: int, **data: str) -> int:
    with system_scope("test rule"):
        rule = save_rule(framework(fid), {"indicator_code": "II.1.b", **data}, None)
        db.session.commit()
        return rule.id


def _client(app: Flask, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _save(client, report_id: int, value_id: int, **fields: str):
    """An autosave of a value as the page sends it (with the version the page shows)."""
    page = client.get(f"/reports/{report_id}").get_data(as_text=True)
    return hx_save(client, f"/reports/{report_id}/values/{value_id}",
                   csrf_token(client, "/auth/password"), page, f"version-value-{value_id}",
                   **fields)


@pytest.fixture
def d1(world, fid) -> tuple[int, int]:
    """District D1's 2026 report on P1's plan (its plan issued, own target 12 for II.1.b
    in 2026) and the id of its II.1.b value."""
    from portal.plans.service import start_plan
    from portal.reports.service import open_report

    with system_scope("test data"):
        plan = start_plan(_unit("D1"), framework(fid), None)
        revision = plan.revisions[-1]
        revision.status = "issued"
        count = db.session.scalar(select(Indicator.id).where(
            Indicator.code == "II.1.b", Indicator.version_id ==
            framework(fid).published().id))
        for target in db.session.scalars(select(PlanTarget).where(
                PlanTarget.revision_id == revision.id, PlanTarget.indicator_id == count,
                PlanTarget.year == 2026)):
            target.value = D(12)
        report = open_report(_unit("D1"), _period(fid, 2026), None)
        db.session.commit()
        return report.id, _value(report, "II.1.b").id


# ---- the soft warning, the flag and the reviewer's list -------------------------------------


def test_a_value_outside_manual_bounds_is_saved_with_a_warning_and_flagged(
        app: Flask, world, fid, d1, province_reviewer) -> None:
    _rule(fid, high="20")
    report_id, value_id = d1
    drafter = _client(app, world.usernames["drafter"])
    answer = _save(drafter, report_id, value_id, value="50", note="")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f'id="outlier-value-{value_id}" hx-swap-oob="true"' in body
    assert "Giá trị bất thường, vẫn đã được lưu" in body
    assert "50 nằm ngoài khoảng thường gặp tối đa 20, do cơ quan chủ trì kế hoạch đặt" in body
    with system_scope("test"):
        assert db.session.get(ReportValue, value_id).value == 50          # saved all the same
        mark = db.session.scalar(select(ValueFollowUp).where(ValueFollowUp.value_id == value_id))
        assert (mark.flagged, mark.automatic) == (True, True)
    # the drafter's page says it again; the reviewer's report page lists the value
    assert "Giá trị bất thường" in drafter.get(f"/reports/{report_id}").get_data(as_text=True)
    reviewer = _client(app, world.usernames[province_reviewer])
    page = reviewer.get(f"/reports/{report_id}").get_data(as_text=True)
    assert 'data-testid="follow-ups"' in page and "Số liệu cần theo dõi" in page
    assert f"/reports/{report_id}/values/{value_id}/panel" in page
    # back within the bounds: no warning, the automatic mark is cleared
    body = _save(drafter, report_id, value_id, value="15", note="").get_data(as_text=True)
    assert "Giá trị bất thường" not in body
    with system_scope("test"):
        assert not db.session.scalar(select(ValueFollowUp.flagged).where(
            ValueFollowUp.value_id == value_id))
    assert 'data-testid="follow-ups"' not in reviewer.get(
        f"/reports/{report_id}").get_data(as_text=True)


def test_a_rule_for_one_kind_of_unit_takes_the_place_of_the_general_one(world, fid) -> None:
    _rule(fid, high="100")
    _rule(fid, unit_kind="district", high="20")
    with system_scope("test data"):
        file_report(fid, "D1", 2026, {"II.1.b": {"value": "50"}}, "draft", None)
        file_report(fid, "C11", 2026, {"II.1.b": {"value": "50"}}, "draft", None)
        file_report(fid, "C12", 2026, {"II.1.b": {"value": "150"}}, "draft", None)
        district, commune, other = (_report(fid, c, 2026) for c in ("D1", "C11", "C12"))
        assert list(report_outliers(district).warnings.values()) == [
            ["50 nằm ngoài khoảng thường gặp tối đa 20, do cơ quan chủ trì kế hoạch đặt."]]
        assert report_outliers(commune).warnings == {}                 # within 100
        assert len(report_outliers(other).warnings) == 1                # above 100


def test_generated_bounds_from_the_units_of_the_same_kind(world, fid) -> None:
    """Seven communes reported 2, 4, 4, 5, 7, 9, 30 (by hand above: 0 to 13,8956); the
    districts' values and a draft are not counted."""
    rule_id = _rule(fid, unit_kind="commune", k="3", min_units="5")
    with system_scope("test data"):
        for code, parent in (("C13", "D1"), ("C14", "D1"), ("C22", "D2"), ("C23", "D2")):
            add_unit(code, f"Xã {code}", "commune", parent)
        for code, value in (("C11", 2), ("C12", 4), ("C13", 4), ("C14", 5), ("C21", 7),
                            ("C22", 9), ("C23", 30)):
            file_report(fid, code, 2026, {"II.1.b": {"value": str(value)}}, "submitted",
                        datetime(2026, 11, 20, tzinfo=UTC))
        file_report(fid, "D1", 2026, {"II.1.b": {"value": "1000"}}, "submitted", None)
        file_report(fid, "D2", 2026, {"II.1.b": {"value": "900"}}, "accepted", None)
        add_unit("C24", "Xã C24", "commune", "D2")
        file_report(fid, "C24", 2026, {"II.1.b": {"value": "500"}}, "draft", None)
        rule = db.session.get(OutlierRule, rule_id)
        generate_bounds(rule, _period(fid, 2026), None)
        assert (rule.method, rule.low, rule.high, rule.basis_median, rule.basis_mad,
                rule.basis_units, rule.basis_year) == (
            "generated", 0, D("13.8956"), 5, 2, 7, 2026)
        warned = report_outliers(_report(fid, "C23", 2026)).warnings
        assert list(warned.values()) == [[
            "30 nằm ngoài khoảng thường gặp từ 0 đến 13,8956: trung vị 5 ± 3 × 1,4826 × MAD 2 "
            "của 7 đơn vị năm 2026."]]
        assert report_outliers(_report(fid, "C22", 2026)).warnings == {}
        # the rule's form sends the generated bounds back as shown: they stay generated
        same = {"indicator_code": "II.1.b", "unit_kind": "commune", "low": "0",
                "high": "13,8956", "yoy_factor": "3"}
        save_rule(framework(fid), same, None)
        assert (rule.method, rule.basis_units, rule.yoy_factor) == ("generated", 7, 3)
        save_rule(framework(fid), {**same, "high": "15"}, None)   # the owner's own now
        assert (rule.method, rule.high, rule.basis_units) == ("manual", 15, None)
        # a district rule would be generated from two districts only: refused, said why
        district = db.session.get(OutlierRule, _rule(fid, unit_kind="district"))
        with pytest.raises(OutlierError) as caught:
            generate_bounds(district, _period(fid, 2026), None)
        assert caught.value.problems["period_id"] == (
            "Chỉ có 2 đơn vị báo cáo số liệu năm 2026; cần ít nhất 5 đơn vị để tính ngưỡng.")


def test_year_over_year_against_the_units_own_last_year(world, fid) -> None:
    _rule(fid, yoy_factor="3")
    _rule(fid, indicator_code="II.1.a", yoy_factor="3")
    with system_scope("test data"):
        file_report(fid, "D1", 2026, {"II.1.b": {"value": "0"},
                                      "II.1.a": {"numerator": "10", "denominator": "100"}},
                    "accepted", None)
        file_report(fid, "D2", 2026, {"II.1.b": {"value": "6"}}, "accepted", None)
        file_report(fid, "D1", 2027, {"II.1.b": {"value": "4"},
                                      "II.1.a": {"numerator": "35", "denominator": "100"}},
                    "draft", None)
        file_report(fid, "D2", 2027, {"II.1.b": {"value": "18"}}, "draft", None)
        file_report(fid, "C11", 2027, {"II.1.b": {"value": "400"}}, "draft", None)
        said = report_outliers(_report(fid, "D1", 2027)).warnings
        assert sorted(w for found in said.values() for w in found) == [
            "35 % lớn hơn 3 lần giá trị năm trước (10 %).",      # 0,35 > 3 × 0,1
            "Năm trước là 0; năm nay là 4."]
        assert report_outliers(_report(fid, "D2", 2027)).warnings == {}   # exactly × 3
        assert report_outliers(_report(fid, "C11", 2027)).warnings == {}  # no 2026 report


def test_the_owner_sets_rules_on_the_page_with_clear_refusals(app: Flask, world, fid,
                                                               owner) -> None:
    client = _client(app, owner)
    token = csrf_token(client, "/auth/password")
    page = client.get(f"/frameworks/{fid}/outliers").get_data(as_text=True)
    assert "trung vị ± k × 1,4826 × MAD" in page                        # the rule, stated
    refused = client.post(f"/frameworks/{fid}/outliers", data={
        "csrf_token": token, "indicator_code": "II.1.b", "low": "30", "high": "20"})
    assert refused.status_code == 422
    assert "Ngưỡng dưới không được lớn hơn ngưỡng trên." in refused.get_data(as_text=True)
    refused = client.post(f"/frameworks/{fid}/outliers", data={
        "csrf_token": token, "indicator_code": "II.1.b", "yoy_factor": "1"})
    assert "Hệ số phải lớn hơn 1" in refused.get_data(as_text=True)
    with system_scope("test"):
        assert not db.session.scalars(select(OutlierRule)).all()         # nothing written
    saved = client.post(f"/frameworks/{fid}/outliers", data={
        "csrf_token": token, "indicator_code": "II.1.a", "unit_kind": "commune",
        "low": "20", "high": "90,5", "yoy_factor": "3"})
    assert saved.status_code == 303
    with system_scope("test"):
        rule = db.session.scalar(select(OutlierRule))
        assert (rule.unit_kind, rule.low, rule.high, rule.yoy_factor) == (
            "commune", D("0.2"), D("0.905"), 3)                        # a ratio: per cent
    page = client.get(f"/frameworks/{fid}/outliers").get_data(as_text=True)
    assert "khoảng thường gặp từ 20 % đến 90,5 %" in page
    generated = client.post(f"/frameworks/{fid}/outliers", data={
        "csrf_token": token, "action": "generate", "rule_id": str(rule.id),
        "period_id": str(_period_id(fid, 2026))})
    assert generated.status_code == 422                                 # no commune reported
    assert "Chỉ có 0 đơn vị" in generated.get_data(as_text=True)


def _period_id(fid: int, year: int) -> int:
    with system_scope("test"):
        return _period(fid, year).id


# ---- the value panel -----------------------------------------------------------------------


def test_the_panel_shows_last_year_the_target_and_the_history(
        app: Flask, world, fid, d1) -> None:
    report_id, value_id = d1
    with system_scope("test data"):
        file_report(fid, "D1", 2027, {}, "draft", None)   # (not the year before: ignored)
        db.session.add(ReportingPeriod(framework_id=fid, owner_unit_id=_unit("P1").id,
                                       year=2025, due_date=datetime(2025, 11, 30).date(),
                                       cutoff_date=datetime(2025, 11, 15).date()))
        db.session.flush()
        file_report(fid, "D1", 2025, {"II.1.b": {"value": "1234"}}, "accepted", None)
        db.session.commit()
    drafter = _client(app, world.usernames["drafter"])
    with clock.frozen_at(datetime(2026, 11, 20, 3, 0, tzinfo=UTC)):      # 10:00 in Vietnam
        assert _save(drafter, report_id, value_id, value="3", note="").status_code == 200
    with clock.frozen_at(datetime(2026, 11, 21, 16, 30, tzinfo=UTC)):    # 23:30 in Vietnam
        assert _save(drafter, report_id, value_id, value="5", note="").status_code == 200
    page = drafter.get(f"/reports/{report_id}/values/{value_id}/panel").get_data(as_text=True)
    assert 'data-testid="panel-last-year">1.234<' in page
    assert 'data-testid="panel-target">12<' in page
    history = page[page.index('data-testid="panel-history"'):]
    assert "20/11/2026 10:00</td><td>Người drafter</td><td>Giá trị</td>" in history
    assert '<td class="conflict-theirs">—</td><td>3</td>' in history
    assert "21/11/2026 23:30</td><td>Người drafter</td><td>Giá trị</td>" in history
    assert '<td class="conflict-theirs">3</td><td>5</td>' in history
    # and from the report page, each value links to its panel
    assert f'href="/reports/{report_id}/values/{value_id}/panel"' in drafter.get(
        f"/reports/{report_id}").get_data(as_text=True)


def test_the_unit_and_its_reviewer_talk_and_no_one_else(app: Flask, world, d1,
                                                         province_reviewer) -> None:
    report_id, value_id = d1
    url = f"/reports/{report_id}/values/{value_id}"
    drafter = _client(app, world.usernames["drafter"])
    said = drafter.post(url + "/comments", data={
        "csrf_token": csrf_token(drafter, "/auth/password"), "body": "Số liệu đã kiểm tra."})
    assert said.status_code == 303
    reviewer = _client(app, world.usernames[province_reviewer])
    token = csrf_token(reviewer, "/auth/password")
    assert reviewer.post(url + "/comments", data={
        "csrf_token": token, "body": "Đề nghị gửi kèm minh chứng."}).status_code == 303
    empty = reviewer.post(url + "/comments", data={"csrf_token": token, "body": "  "})
    assert empty.status_code == 422
    assert "Hãy nhập nội dung trao đổi." in empty.get_data(as_text=True)
    # the district's own reviewer and leader read the value but are not a side of it
    for role in ("reviewer", "leader"):
        other = _client(app, world.usernames[role])
        assert other.get(url + "/panel").status_code == 200
        assert other.post(url + "/comments", data={
            "csrf_token": csrf_token(other, "/auth/password"), "body": "x"}).status_code == 403
    panel = drafter.get(url + "/panel").get_data(as_text=True)
    comments = panel[panel.index('data-testid="panel-comments"'):]
    assert comments.index("Số liệu đã kiểm tra.") < comments.index("Đề nghị gửi kèm minh chứng.")
    assert "Người duyệt của tỉnh · cán bộ thẩm định" in comments
    with system_scope("test"):
        assert [c.side for c in db.session.scalars(select(ValueComment).order_by(
            ValueComment.id))] == ["unit", "reviewer"]
        # each message is told to the other side, never to its author
        from portal.accounts.user import User
        from portal.notifications.notification import Notification

        told = [(db.session.get(User, n.user_id).username, n.link, n.body)
                for n in db.session.scalars(select(Notification).where(
                    Notification.kind == "comment").order_by(Notification.id))]
    panel_link = f"{url}/panel#comments"
    assert [(who, link) for who, link, _body in told] == [
        (world.usernames[province_reviewer], panel_link),
        (world.usernames["drafter"], panel_link), (world.usernames["head"], panel_link)]
    assert told[0][2].startswith("Số liệu đã kiểm tra.")
    assert told[1][2].startswith("Đề nghị gửi kèm minh chứng.")
    inbox = drafter.get("/notifications").get_data(as_text=True)
    assert "Trao đổi về chỉ tiêu" in inbox and panel_link in inbox


def test_the_reviewer_sets_and_clears_the_follow_up_mark(app: Flask, world, fid, d1,
                                                         province_reviewer) -> None:
    _rule(fid, high="20")
    report_id, value_id = d1
    url = f"/reports/{report_id}/values/{value_id}"
    drafter = _client(app, world.usernames["drafter"])
    assert drafter.post(url + "/follow-up", data={
        "csrf_token": csrf_token(drafter, "/auth/password"), "flagged": "1"}).status_code == 403
    reviewer = _client(app, world.usernames[province_reviewer])
    token = csrf_token(reviewer, "/auth/password")
    assert reviewer.post(url + "/follow-up", data={"csrf_token": token}).status_code == 422
    assert reviewer.post(url + "/follow-up", data={
        "csrf_token": token, "flagged": "1", "reason": "Số lớp quá thấp"}).status_code == 303
    listing = reviewer.get("/units/P1/follow-ups").get_data(as_text=True)
    assert "Huyện Một" in listing and "do cán bộ thẩm định đánh dấu: Số lớp quá thấp" in listing
    assert drafter.get("/units/D1/follow-ups").status_code == 403
    # an outlier flags it automatically; the reviewer clears it; a save that does not change
    # the figure leaves the reviewer's decision, a new outlying figure flags it again
    _save(drafter, report_id, value_id, value="50", note="")
    assert reviewer.post(url + "/follow-up", data={
        "csrf_token": token, "flagged": "0"}).status_code == 303

    def mark() -> tuple[bool, bool]:
        with system_scope("test"):
            found = db.session.scalar(select(ValueFollowUp).where(
                ValueFollowUp.value_id == value_id))
            return found.flagged, found.automatic

    assert mark() == (False, False)
    body = _save(drafter, report_id, value_id, value="50", note="đã kiểm tra").get_data(
        as_text=True)
    assert "Giá trị bất thường" in body and mark() == (False, False)
    _save(drafter, report_id, value_id, value="60", note="đã kiểm tra")
    assert mark() == (True, True)
    assert "Không có số liệu nào cần theo dõi." not in reviewer.get(
        "/units/P1/follow-ups").get_data(as_text=True)


def test_another_units_value_is_not_found(app: Flask, world, fid, d1) -> None:
    report_id, _own_value = d1
    with system_scope("test data"):
        file_report(fid, "D2", 2026, {"II.1.b": {"value": "3"}}, "draft", None)
        other = _report(fid, "D2", 2026)
        other_id, other_value = other.id, _value(other, "II.1.b").id
        db.session.commit()
    drafter = _client(app, world.usernames["drafter"])
    token = csrf_token(drafter, "/auth/password")
    assert drafter.get(f"/reports/{other_id}/values/{other_value}/panel").status_code == 404
    # another report's value under one's own report is not found either
    assert drafter.get(f"/reports/{report_id}/values/{other_value}/panel").status_code == 404
    assert drafter.post(f"/reports/{other_id}/values/{other_value}/comments", data={
        "csrf_token": token, "body": "x"}).status_code == 404
    assert drafter.post(f"/reports/{report_id}/values/{other_value}/comments", data={
        "csrf_token": token, "body": "x"}).status_code == 404
    with system_scope("test"):
        assert not db.session.scalars(select(ValueComment)).all()


def test_an_outlier_sent_through_the_api_is_kept_and_marked(app: Flask, world, fid, d1,
                                                             token_for) -> None:
    _rule(fid, high="20")
    _report_id, value_id = d1
    answer = app.test_client().put(
        "/api/v1/units/D1/reports/2026", json={"values": {"II.1.b": {"value": 50}}},
        headers={"Authorization": f"Bearer {token_for('drafter')}"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["values"]["II.1.b"]["value"] == 50
    with system_scope("test"):
        mark = db.session.scalar(select(ValueFollowUp).where(ValueFollowUp.value_id == value_id))
        assert mark is not None and mark.flagged and mark.automatic
