"""Pages: language, breadcrumb, children, search."""

from __future__ import annotations

from flask import Flask

from tests.conftest import csrf_token


def test_vietnamese_by_default_english_on_request(app: Flask, login_as) -> None:
    client = login_as("leader")
    page = client.get("/units/D1").get_data(as_text=True)
    assert 'lang="vi"' in page and "Đơn vị trực thuộc" in page
    token = csrf_token(client, "/units/D1")
    response = client.post("/auth/language", data={"lang": "en", "next": "/units/D1",
                                                   "csrf_token": token})
    assert response.location == "/units/D1"
    page = client.get("/units/D1").get_data(as_text=True)
    assert 'lang="en"' in page and "Units directly below" in page
    # an unknown language or an outside address changes nothing
    response = client.post("/auth/language", data={"lang": "fr", "next": "https://x.example",
                                                   "csrf_token": token})
    assert response.location == "/"
    assert 'lang="en"' in client.get("/units/D1").get_data(as_text=True)


def test_leader_sees_breadcrumb_and_children(app: Flask, login_as) -> None:
    page = login_as("leader").get("/units/C11").get_data(as_text=True)
    # ancestors outside the leader's reach are named, not linked
    assert "Tỉnh Một" in page and 'href="/units/P1"' not in page
    assert 'href="/units/D1">Huyện Một</a>' in page
    district = login_as("leader").get("/units/D1").get_data(as_text=True)
    assert 'href="/units/C11"' in district and 'href="/units/C12"' in district


def test_drafter_sees_no_children(app: Flask, login_as) -> None:
    page = login_as("drafter").get("/units/D1").get_data(as_text=True)
    assert "Huyện Một" in page and 'href="/units/C11"' not in page
    assert "Đơn vị trực thuộc" not in page


def test_subtree_search_ignores_accents_and_stays_inside(app: Flask, login_as) -> None:
    client = login_as("leader")
    found = client.get("/units/D1/search?q=an thi", headers={"HX-Request": "true"})
    assert found.status_code == 200 and "Xã Ân Thi Một" in found.get_data(as_text=True)
    assert "HX-Request" in found.headers.get("Vary", "")
    outside = client.get("/units/D1/search?q=hai").get_data(as_text=True)
    assert "Xã Hai Một" not in outside and "Không có đơn vị" in outside


def test_platform_operator_home_lists_provinces(app: Flask, login_as) -> None:
    page = login_as("platform").get("/").get_data(as_text=True)
    assert "Tỉnh Một" in page and "Tỉnh Khác" in page


def test_account_without_roles_is_told_so(app: Flask, login_as) -> None:
    page = login_as("nobody").get("/").get_data(as_text=True)
    assert "chưa được phân vai trò" in page
