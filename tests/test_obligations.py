"""Reporting obligations (issue 21 item 5): who reports to whom, by which date; reporting
rate and timeliness per obligation, computed here by hand.

Two worlds: the test world's province P1 under its plan (the default obligation: its
districts, communes and departments to DOST by the period's 30/11), and a ministry "N" of
kind nation above three provinces under a national plan whose obligation (provinces to
the ministry) is due 15/12 — while the period's own due date stays 30/11.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from portal.dashboard.service import build, reporting_sources
from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.reports.aggregate import compute
from portal.reports.obligation import ReportObligation
from portal.reports.obligations import (
    DEFAULT_NAME,
    ObligationError,
    obligations_of,
    save_obligation,
    terms_of,
)
from portal.reports.worklist import worklist
from tenants.access import Reach
from tenants.scoping import system_scope
from tenants.tree import add_unit
from tenants.unit import Unit
from tests.builders import INDICATORS, file_status, framework, make_framework

# Vietnam is UTC+7: 17:00 UTC is midnight.
DEC_5 = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)         # after 30/11, before 15/12
DEC_15_LAST = datetime(2026, 12, 15, 16, 30, tzinfo=UTC)  # 23:30 on 15/12 in Vietnam
DEC_16 = datetime(2026, 12, 15, 17, 30, tzinfo=UTC)      # 00:30 on 16/12 in Vietnam
NOV_20 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NOV_28 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _period(fid: int, year: int = 2026) -> ReportingPeriod:
    return db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == fid, ReportingPeriod.year == year))


@pytest.fixture
def nation(world) -> int:
    """The ministry N above provinces NP1, NP2, NP3, each with a commune; the national
    plan (indicators reported by provinces) with its obligation due 15/12/2026. Its id."""
    with system_scope("test data"):
        add_unit("N", "Bộ Khoa học và Công nghệ", "nation", None)
        add_unit("N.VP", "Văn phòng Bộ", "office", "N")
        for n in (1, 2, 3):
            add_unit(f"NP{n}", f"Tỉnh Quốc {n}", "province", "N")
            add_unit(f"NP{n}.X", f"Xã Quốc {n}", "commune", f"NP{n}")
        db.session.commit()
    fid = make_framework("N", indicators={
        code: {**settings, "reporting_kinds": "province"}
        for code, settings in INDICATORS.items()})
    with system_scope("test data"):
        fw = framework(fid)
        (default,) = obligations_of(fid)
        save_obligation(fw, {"name": "Báo cáo Bộ", "receiver": "N",
                             f"due_{_period(fid).id}": "15/12/2026"}, ["province"], default)
        file_status(fid, "NP1", 2026, "submitted", DEC_5)          # on time: by 15/12
        file_status(fid, "NP2", 2026, "accepted", DEC_15_LAST)     # on time, last minute
        db.session.commit()
    return fid


def test_national_obligation_judges_timeliness_by_its_own_due_date(nation: int) -> None:
    """3 provinces expected, 2 submitted, both by 15/12 — though after the period's 30/11:
    rate 2/3, timeliness 2/3 (by the period's date it would be 0/3). Communes below the
    provinces are not expected by the national obligation."""
    with system_scope("test"):
        live = compute(_unit("N"), framework(nation), [2026])
        ((terms, figures),) = live.by_obligation(2026)
        assert terms.kinds == {"province"} and terms.due_for(_period(nation)) == \
            date(2026, 12, 15)
        assert figures["expected"] == 3 and figures["submitted"] == 2
        assert figures["on_time"] == 2
        assert figures["rate"] == pytest.approx(2 / 3)
        assert figures["timeliness"] == pytest.approx(2 / 3)
        assert live.reporting(2026) == figures
        file_status(nation, "NP3", 2026, "submitted", DEC_16)      # 00:30 on 16/12: late
        again = compute(_unit("N"), framework(nation), [2026]).reporting(2026)
        assert (again["submitted"], again["on_time"]) == (3, 2)
        assert again["rate"] == 1 and again["timeliness"] == pytest.approx(2 / 3)


def test_two_obligations_of_one_plan_each_by_its_due_date(province: int) -> None:
    """The dashboard's province: D1 (20/11), D2 (23:30 on 30/11), C11 (00:30 on 1/12) and
    DOST (20/11) submitted, C12 has a draft, C21 closed before the cut-off. DOST's own
    report becomes due 15/11 under an obligation of the departments: late.
    Default (districts, communes): expected 4, submitted 3, on time 2 → 3/4, 2/4.
    Departments: expected 1, submitted 1, on time 0 → 1, 0. Together: 4/5, 2/5."""
    with system_scope("test"):
        fw = framework(province)
        before = compute(_unit("P1"), fw, [2026]).reporting(2026)
        assert (before["expected"], before["submitted"], before["on_time"]) == (5, 4, 3)
        save_obligation(fw, {"name": "Sở, ngành báo cáo", "receiver": "P1.SKHCN",
                             f"due_{_period(province).id}": "15/11/2026"}, ["department"])
        live = compute(_unit("P1"), fw, [2026])
        rows = {t.name: r for t, r in live.by_obligation(2026)}
        assert set(rows) == {DEFAULT_NAME, "Sở, ngành báo cáo"}
        default, departments = rows[DEFAULT_NAME], rows["Sở, ngành báo cáo"]
        assert (default["expected"], default["submitted"], default["on_time"]) == (4, 3, 2)
        assert default["rate"] == 0.75 and default["timeliness"] == 0.5
        assert (departments["expected"], departments["submitted"],
                departments["on_time"]) == (1, 1, 0)
        assert departments["rate"] == 1 and departments["timeliness"] == 0
        total = live.reporting(2026)
        assert (total["expected"], total["submitted"], total["on_time"]) == (5, 4, 2)
        assert total["timeliness"] == 0.4
        board = build(_unit("P1"), province, 2026)
        assert board.reporting == total
        assert board.due_dates == [date(2026, 11, 15), date(2026, 11, 30)]
        # where the number comes from: the late reports are C11's and DOST's
        late = reporting_sources(_unit("P1"), fw, _period(province), "late", 1)
        assert sorted(r["code"] for r in late.rows) == ["C11", "P1.SKHCN"]


def test_worklist_shows_the_obligations_due_date_and_judges_late_by_it(
        nation: int, province: int) -> None:
    with system_scope("test"):
        save_obligation(framework(province), {
            "name": "Sở, ngành báo cáo", "receiver": "P1.SKHCN",
            f"due_{_period(province).id}": "15/11/2026"}, ["department"])
        rows = {r.unit_code: r for r in worklist(Reach(platform_admin=True), "submitted",
                                                 None).rows}
    assert rows["NP1"].due_date == date(2026, 12, 15) and not rows["NP1"].late
    assert rows["NP1"].obligation == "Báo cáo Bộ"
    assert rows["P1.SKHCN"].due_date == date(2026, 11, 15) and rows["P1.SKHCN"].late
    assert rows["D1"].due_date == date(2026, 11, 30) and not rows["D1"].late
    assert rows["C11"].due_date == date(2026, 11, 30) and rows["C11"].late


def test_pages_show_the_obligations(app: Flask, nation: int, login_as,
                                    province_reviewer: str) -> None:
    client = login_as("platform")
    html = client.get("/units/N/dashboard?year=2026").get_data(as_text=True)
    assert 'data-testid="obligations"' in html and "Báo cáo Bộ" in html
    assert "15/12/2026" in html and "Bộ Khoa học và Công nghệ" in html
    listing = client.get(f"/frameworks/{nation}/obligations").get_data(as_text=True)
    assert "Báo cáo Bộ" in listing and "15/12/2026" in listing
    worklist_page = client.get("/review").get_data(as_text=True)
    assert "15/12/2026" in worklist_page
    with system_scope("test"):
        period_id = _period(nation).id
    missing = client.get(f"/units/N/missing?period_id={period_id}").get_data(as_text=True)
    assert 'data-testid="missing-NP3"' in missing and 'data-testid="due-province"' in missing
    assert "chưa gửi báo cáo (hạn 15/12/2026)." in missing


def test_refusals_in_vietnamese(app: Flask, province: int) -> None:
    with app.test_request_context(headers={"Accept-Language": "vi"}), \
            system_scope("test"):
        fw = framework(province)
        period = _period(province)
        with pytest.raises(ObligationError) as refused:
            save_obligation(fw, {"name": "Không nơi nhận", "receiver": ""}, ["department"])
        assert refused.value.problems["receiver"] == "Chọn đơn vị nhận báo cáo."
        with pytest.raises(ObligationError) as refused:
            save_obligation(fw, {"name": "Ngoài kỳ", "receiver": "P1.SKHCN",
                                 f"due_{period.id}": "10/11/2026"}, ["department"])
        assert refused.value.problems[f"due_{period.id}"] == (
            "Hạn gửi báo cáo năm 2026 (10/11/2026) nằm ngoài kỳ báo cáo: phải từ ngày chốt số liệu "
            "(15/11/2026) đến 31/12/2026.")
        with pytest.raises(ObligationError) as refused:
            save_obligation(fw, {"name": "Năm sau", "receiver": "P1.SKHCN",
                                 f"due_{period.id}": "15/01/2027"}, ["department"])
        assert "nằm ngoài kỳ báo cáo" in refused.value.problems[f"due_{period.id}"]
        with pytest.raises(ObligationError) as refused:
            save_obligation(fw, {"name": "Tỉnh khác", "receiver": "Q1"}, ["department"])
        assert refused.value.problems["receiver"] == (
            "Đơn vị nhận báo cáo Q1 không phải đơn vị chủ quản khung kế hoạch hay một đơn "
            "vị trực thuộc.")
        with pytest.raises(ObligationError) as refused:
            save_obligation(fw, {"name": "Trùng", "receiver": "P1.SKHCN"}, [])
        assert refused.value.problems["kinds"].startswith(
            "Nghĩa vụ “Báo cáo hằng năm” đã bao gồm")
        save_obligation(fw, {"name": "Cấp xã", "receiver": "P1.SKHCN"}, ["commune"])
        with pytest.raises(ObligationError) as refused:
            save_obligation(fw, {"name": "Lại cấp xã", "receiver": "P1.SKHCN"},
                            ["commune", "bogus"])
        assert refused.value.problems["kinds"] == "Loại đơn vị không hợp lệ: bogus."
        with pytest.raises(ObligationError) as refused:
            save_obligation(fw, {"name": "", "receiver": "P1.SKHCN"}, ["commune"])
        assert refused.value.problems["name"] == "Nhập tên nghĩa vụ báo cáo."
        assert refused.value.problems["kinds"] == (
            "Đơn vị thuộc loại “Cấp xã” đã báo cáo theo nghĩa vụ “Cấp xã”: mỗi đơn vị chỉ "
            "báo cáo một lần mỗi kỳ.")
        # nothing refused was kept
        assert [o.name for o in obligations_of(province)] == [DEFAULT_NAME, "Cấp xã"]


def test_the_default_obligation_is_seeded_and_keeps_the_periods_date(province: int) -> None:
    with system_scope("test"):
        (default,) = db.session.scalars(select(ReportObligation).where(
            ReportObligation.framework_id == province)).all()
        assert default.receiver_unit_id == _unit("P1.SKHCN").id and default.kind_list == []
        (terms,) = terms_of(framework(province))
        assert terms.kinds == {"department", "district", "commune"}
        assert terms.due_for(_period(province)) == date(2026, 11, 30)


def test_a_plan_without_obligations_keeps_todays_figures(province: int) -> None:
    with system_scope("test"):
        fw = framework(province)
        stored = compute(_unit("P1"), fw, [2026]).reporting(2026)
        for obligation in obligations_of(province):
            db.session.delete(obligation)
        db.session.flush()
        (implicit,) = terms_of(fw)
        assert implicit.obligation_id is None
        assert compute(_unit("P1"), fw, [2026]).reporting(2026) == stored


def test_form_saves_and_refuses(app: Flask, province: int, login_as) -> None:
    client = login_as("platform")
    page = client.get(f"/frameworks/{province}/obligations")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    with system_scope("test"):
        period_id = _period(province).id
    refused = client.post(f"/frameworks/{province}/obligations", data={
        "csrf_token": token, "name": "Sở, ngành", "receiver": "",
        "kinds": "department"})
    assert refused.status_code == 422
    saved = client.post(f"/frameworks/{province}/obligations", data={
        "csrf_token": token, "name": "Sở, ngành", "receiver": "P1.SKHCN",
        "kinds": ["department"], f"due_{period_id}": "20/11/2026"})
    assert saved.status_code == 302
    with system_scope("test"):
        added = obligations_of(province)[-1]
        assert (added.name, added.kind_list) == ("Sở, ngành", ["department"])
        assert [(d.period_id, d.due_date) for d in added.dues] == [
            (period_id, date(2026, 11, 20))]


def test_reminders_follow_each_obligations_due_date(world) -> None:
    """Districts answer to an obligation due 10/12/2026, communes to the default (the
    period's 30/11). On 3/12 district D1's people are told their report is due in 7 days,
    on 10/12; D1's reviewers are told its communes C11 and C12 are overdue."""
    from portal.notifications.notification import Notification
    from portal.notifications.reminders import send_reminders

    fid = make_framework("P1")
    with system_scope("test"):
        save_obligation(framework(fid), {"name": "Cấp huyện", "receiver": "P1.SKHCN",
                                         f"due_{_period(fid).id}": "10/12/2026"},
                        ["district"])
        db.session.commit()
    send_reminders(date(2026, 12, 3))
    with system_scope("test"):
        rows = db.session.execute(select(Notification.step, Notification.title, Unit.code)
                                  .join(Unit, Unit.id == Notification.unit_id)).all()
    steps = sorted({(step, code) for step, _title, code in rows})
    assert steps == [("7", "D1"), ("overdue", "D1")]
    due_soon = {title for step, title, _code in rows if step == "7"}
    assert due_soon and all("10/12/2026" in t for t in due_soon)
    overdue = {title for step, title, _code in rows if step == "overdue"}
    assert overdue and all(t.startswith("2 ") and "30/11/2026" in t for t in overdue)


def test_the_home_page_counts_days_to_the_obligations_date(app: Flask, nation: int) -> None:
    """On 10/12/2026 province NP3's report to the ministry has 5 days left (due 15/12),
    though the period's own date (30/11) is past."""
    from portal import clock
    from portal.todo import own_work
    from tenants.membership import Role

    with app.test_request_context(), \
            clock.frozen_at(datetime(2026, 12, 10, 3, 0, tzinfo=UTC)), system_scope("test"):
        unit = _unit("NP3")
        items = own_work(unit, Reach(user_id=None, roles={unit.id: frozenset({Role.DRAFTER})}))
        assert items[0].text == "Báo cáo năm 2026: còn 5 ngày" and items[0].tone == "warning"


def test_the_api_gives_each_obligations_rate_and_timeliness(app: Flask, nation: int) -> None:
    """The ministry's aggregate through the API, by hand: the national obligation
    (provinces to N by 15/12/2026) expects NP1, NP2 and NP3; NP1 (05/12) and NP2 (23:30
    on 15/12, accepted) submitted on time: 3 expected, 2 submitted, 2 on time, 1
    accepted → rate 2/3, timeliness 2/3. By child: NP1 1/1 on time, NP3 0/1, the
    ministry's office N.VP is expected by no obligation. The totals' keys are those of
    before; a unit the caller may not see is a 404."""
    from portal.accounts.service import create_user, grant, issue_token

    with system_scope("test data"):
        leader = create_user("u.n.leader", "Mat-khau-dai-2026")
        grant(leader, _unit("N"), "leader")
        outsider = create_user("u.np1.leader", "Mat-khau-dai-2026")
        grant(outsider, _unit("NP1"), "leader")
        tokens = {"N": issue_token(leader), "NP1": issue_token(outsider)}
        db.session.commit()
    client = app.test_client()

    def get(path: str, who: str = "N"):
        return client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})

    body = get("/api/v1/units/N/aggregates?year=2026").get_json()
    assert set(body) == {"unit", "year", "indicators", "reporting", "children",
                         "obligations"}
    assert body["reporting"] == {"expected": 3, "submitted": 2, "on_time": 2, "accepted": 1,
                                 "rate": pytest.approx(2 / 3),
                                 "timeliness": pytest.approx(2 / 3)}
    (obligation,) = body["obligations"]
    assert obligation == {
        "obligation": obligation["obligation"], "name": "Báo cáo Bộ",
        "reporters": ["province"], "receiver": "N",
        "receiver_name": "Bộ Khoa học và Công nghệ", "due_date": "2026-12-15",
        "expected": 3, "submitted": 2, "on_time": 2, "accepted": 1,
        "rate": pytest.approx(2 / 3), "timeliness": pytest.approx(2 / 3)}
    with system_scope("test"):
        assert obligation["obligation"] == db.session.scalar(select(ReportObligation.id).where(
            ReportObligation.framework_id == nation))
    children = {c["unit"]: c for c in body["children"]}
    assert set(children) == {"N.VP", "NP1", "NP2", "NP3"}
    for child in children.values():
        assert set(child) == {"unit", "indicators", "reporting", "obligations"}
    figures = {code: {k: c["obligations"][0][k] for k in
                      ("expected", "submitted", "on_time", "rate", "timeliness")}
               for code, c in children.items()}
    assert figures == {
        "N.VP": {"expected": 0, "submitted": 0, "on_time": 0, "rate": None,
                 "timeliness": None},
        "NP1": {"expected": 1, "submitted": 1, "on_time": 1, "rate": 1.0, "timeliness": 1.0},
        "NP2": {"expected": 1, "submitted": 1, "on_time": 1, "rate": 1.0, "timeliness": 1.0},
        "NP3": {"expected": 1, "submitted": 0, "on_time": 0, "rate": 0.0,
                "timeliness": 0.0}}
    # NP3 submits at 00:30 on 16/12: submitted, but late by the obligation's date
    with system_scope("test data"):
        file_status(nation, "NP3", 2026, "submitted", DEC_16)
        db.session.commit()
    late = get("/api/v1/units/N/aggregates?year=2026").get_json()["obligations"][0]
    assert (late["submitted"], late["on_time"], late["rate"]) == (3, 2, 1.0)
    # isolation: the ministry is not NP1's leader's to see, nor a sibling province
    for code in ("N", "NP2"):
        response = get(f"/api/v1/units/{code}/aggregates?year=2026", "NP1")
        assert response.status_code == 404, code
