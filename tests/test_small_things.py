"""Issue 17 item 6: small things that tell people the product is unfinished — the sign-in
request in English, no favicon, a report offered for a year not yet begun, a list of the
units that have not reported said to come "from the submitted reports"."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.reports.report import UnitReport
from tenants.scoping import system_scope
from tests.builders import make_framework
from tests.conftest import csrf_token


def test_signing_in_is_asked_for_in_vietnamese(app: Flask, world) -> None:
    client = app.test_client()
    response = client.get("/units/D1")
    assert response.status_code == 302 and "/auth/login" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "Please log in" not in page
    assert "Vui lòng đăng nhập để mở trang này." in page
    assert 'class="alert alert-info"' in page


def test_every_page_names_a_favicon_that_is_served(app: Flask, login_as) -> None:
    pages = [(app.test_client(), "/auth/login"), (login_as("drafter"), "/units/D1"),
             (login_as("platform"), "/admin/"), (login_as("admin"), "/unit-admin/")]
    for client, path in pages:
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
        assert found, path
        with client.get(found.group(1)) as icon:
            assert icon.status_code == 200 and icon.mimetype == "image/svg+xml", path
            assert b"<svg" in icon.get_data()


def period_ids(page: str) -> list[str]:
    return re.findall(r'name="period_id" value="(\d+)">\s*<button[^>]*>Lập báo cáo', page)


def test_a_year_not_yet_begun_is_not_offered(app: Flask, world) -> None:
    """Plan P1 has periods 2026 and 2027: in 2026 only 2026 can be started; 2027 says
    when it opens, and a hand-made request for it is refused with the reason."""
    make_framework("P1")
    client = app.test_client()
    from tests.conftest import login
    login(client, world.usernames["drafter"])
    with clock.frozen_at(datetime(2026, 6, 1, 2, 0, tzinfo=UTC)):
        page = client.get("/units/D1/reports").get_data(as_text=True)
        row_2027 = re.search(r"<tr data-period=\"2027\".*?</tr>", page, re.S).group(0)
        assert "Lập báo cáo" not in row_2027 and "Mở từ 01/01/2027" in row_2027
        assert len(period_ids(page)) == 1                    # 2026, and only it
        id_2027 = re.search(r'data-period="2027" data-period-id="(\d+)"', page).group(1)
        token = csrf_token(client, "/units/D1/reports")
        response = client.post("/units/D1/reports", data={"csrf_token": token,
                                                          "period_id": id_2027})
        assert response.status_code == 303
        shown = client.get(response.location).get_data(as_text=True)
        assert "Kỳ báo cáo năm 2027 bắt đầu từ 01/01/2027" in shown
        with system_scope("test"):
            assert db.session.scalar(select(func.count(UnitReport.id))) == 0
    with clock.frozen_at(datetime(2027, 1, 2, 2, 0, tzinfo=UTC)):
        page = client.get("/units/D1/reports").get_data(as_text=True)
        assert len(period_ids(page)) == 2


def test_the_units_not_reported_are_not_said_to_come_from_reports(province: int,
                                                                  login_as) -> None:
    client = login_as("platform")
    missing = client.get("/units/P1/dashboard/sources?year=2026&figure=missing"
                         ).get_data(as_text=True)
    assert "từ các báo cáo đã gửi" not in missing
    assert "1 đơn vị thuộc Tỉnh Một" in missing
    values = client.get("/units/P1/dashboard/sources?year=2026&indicator=II.1.d"
                        ).get_data(as_text=True)
    assert "từ các báo cáo đã gửi hoặc đã tiếp nhận" in values


def test_the_api_starts_no_report_before_its_year(app: Flask, world, token_for) -> None:
    make_framework("P1")
    client = app.test_client()
    drafter = {"Authorization": f"Bearer {token_for('drafter')}"}
    with clock.frozen_at(datetime(2026, 6, 1, 2, 0, tzinfo=UTC)):
        refused = client.put("/api/v1/units/D1/reports/2027", headers=drafter,
                             json={"narrative": {"results": "Sớm quá"}})
        assert refused.status_code == 422, refused.get_json()
        assert "01/01/2027" in refused.get_json()["error"]["message"]
        with system_scope("test"):
            assert db.session.scalar(select(func.count(UnitReport.id))) == 0
        started = client.put("/api/v1/units/D1/reports/2026", headers=drafter,
                             json={"narrative": {"results": "Đúng kỳ"}})
        assert started.status_code == 200, started.get_json()
