"""The administration in Vietnamese (issue 17, item 4): roles, unit kinds, memberships and
accounts by their names, yes and no in words, dates dd/mm/yyyy in Vietnam time, our own
wording where Flask-Admin's Vietnamese is wrong, the page's language, and links read at a
contrast of at least 4.5:1."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import clock
from portal.accounts.service import create_user, grant
from portal.extensions import db
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.conftest import PASSWORD, csrf_token

# Texts that give away a page in code, not in Vietnamese.
CODE_TEXTS = ("drafter @", "<User ", "&lt;User ", "&lt;Unit ", "Kỷ lục", "kỷ lục",
              "sản phẩm nào", ">commune<", ">district<", "True", "False")


@pytest.fixture
def canbo(world) -> int:
    """canbo.xa, drafter of commune C11 since 20:30 UTC on 1 March 2026 (03:30 on 2 March
    in Vietnam)."""
    with system_scope("test"), clock.frozen_at(datetime(2026, 3, 1, 20, 30, tzinfo=UTC)):
        user = create_user("canbo.xa", PASSWORD, full_name="Nguyễn Văn Xã")
        grant(user, db.session.scalar(select(Unit).where(Unit.code == "C11")), "drafter")
        db.session.commit()
        return user.id


def unit_id(code: str) -> int:
    with system_scope("test"):
        return db.session.scalar(select(Unit.id).where(Unit.code == code))


def text_of(html: str) -> str:
    """What a person reads: the page without its scripts (Flask-Admin's filter data)."""
    return re.sub(r"<script.*?</script>", "", html, flags=re.S)


@pytest.mark.parametrize(("role", "urls"), [
    ("platform", ["/admin/user_account/", "/admin/membership/", "/admin/unit/",
                  "/admin/api_token/", "/admin/audit_entry/", "/admin/user_account/new/",
                  "/admin/membership/new/"]),
    ("admin", ["/unit-admin/user_account/", "/unit-admin/membership/", "/unit-admin/unit/",
               "/unit-admin/user_account/new/", "/unit-admin/membership/new/",
               "/unit-admin/unit/new/"]),
])
def test_every_list_and_form_reads_in_vietnamese(login_as, canbo, role, urls) -> None:
    client = login_as(role)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = text_of(response.get_data(as_text=True))
        for code in CODE_TEXTS:
            assert code not in page, (url, code)


def test_memberships_accounts_and_units_by_their_names(login_as, canbo) -> None:
    admin = login_as("admin")
    accounts = text_of(admin.get("/unit-admin/user_account/").get_data(as_text=True))
    assert "Cán bộ soạn thảo · Xã Một Một" in accounts
    assert "Quản trị viên · Huyện Một" in accounts
    memberships = text_of(admin.get("/unit-admin/membership/").get_data(as_text=True))
    assert "Nguyễn Văn Xã (canbo.xa)" in memberships and "Xã Một Một (C11)" in memberships
    assert ">Cán bộ soạn thảo<" in memberships.replace("\n", "").replace("  ", "")
    units = text_of(admin.get("/unit-admin/unit/").get_data(as_text=True))
    assert "Cấp xã" in units and "Huyện Một (D1)" in units
    details = admin.get(f"/unit-admin/user_account/details/?id={canbo}").get_data(
        as_text=True)
    assert "Không" in details and "Có" in details             # booleans in words
    assert "argon2" not in details and "Session" not in details   # no hash, no counter
    # the filters offer the roles and kinds by their names
    assert "Cán bộ soạn thảo" in admin.get("/unit-admin/membership/").get_data(as_text=True)
    assert json.dumps("Cấp xã")[1:-1] in admin.get("/unit-admin/unit/").get_data(as_text=True)


def test_the_role_filter_filters(login_as, canbo) -> None:
    """The labelled filter still compares the stored value (flt0 = its first filter)."""
    page = login_as("platform").get("/admin/membership/?flt0_0=drafter").get_data(
        as_text=True)
    assert "canbo.xa" in page and "u.head" not in page


def test_times_in_vietnam_and_date_fields_as_people_write_them(login_as, canbo) -> None:
    operator = login_as("platform")
    memberships = operator.get("/admin/membership/").get_data(as_text=True)
    assert "02/03/2026 03:30" in memberships                # 20:30 UTC the day before
    c11 = unit_id("C11")
    token = csrf_token(operator, "/auth/password")
    response = operator.post(f"/admin/unit/edit/?id={c11}", data={
        "csrf_token": token, "name": "Xã Một Một", "admin_type": "xã",
        "valid_from": "01/07/2025", "valid_to": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with system_scope("test"):
        assert db.session.get(Unit, c11).valid_from == date(2025, 7, 1)
    form = operator.get(f"/admin/unit/edit/?id={c11}").get_data(as_text=True)
    assert 'value="01/07/2025"' in form and "2025-07-01" not in form
    assert 'placeholder="dd/mm/yyyy"' in form
    details = operator.get(f"/admin/unit/details/?id={c11}").get_data(as_text=True)
    assert "01/07/2025" in details


def test_our_wording_over_flask_admins(login_as, canbo) -> None:
    """Flask-Admin's Vietnamese says "Kỷ lục được tạo thành công" (a sports record)."""
    operator = login_as("platform")
    response = operator.post("/admin/membership/new/", follow_redirects=True, data={
        "csrf_token": csrf_token(operator, "/auth/password"), "user": str(canbo),
        "unit": str(unit_id("C12")),
        "role": "reviewer"})
    page = response.get_data(as_text=True)
    assert "Đã tạo xong." in page and "Kỷ lục" not in page
    listing = operator.get("/admin/membership/").get_data(as_text=True)
    assert json.dumps("Hãy chọn ít nhất một dòng.")[1:-1] in listing     # (a script's JSON)
    assert json.dumps("kỷ lục")[1:-1] not in listing and "kỷ lục" not in listing
    filters = operator.get("/admin/user_account/").get_data(as_text=True)   # as JSON
    assert json.dumps("để trống")[1:-1] in filters
    assert json.dumps("sản phẩm nào")[1:-1] not in filters


@pytest.mark.parametrize("url", ["/admin/", "/admin/user_account/", "/unit-admin/",
                                 "/unit-admin/unit/", "/unit-admin/import-accounts/"])
def test_the_administration_says_its_language(login_as, url) -> None:
    role = "platform" if url.startswith("/admin") else "admin"
    page = login_as(role).get(url).get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "css/admin.css" in page


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(front: tuple[float, float, float], back: tuple[float, float, float]) -> float:
    lighter, darker = sorted((_luminance(front), _luminance(back)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _hex(value: str) -> tuple[float, float, float]:
    return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_menu_and_sort_links_read_at_4_5_to_1() -> None:
    css = (Path(__file__).parents[1] / "portal/static/css/admin.css").read_text()
    menu = re.search(r"\.navbar-dark \.navbar-nav \.nav-link \{ color: rgba\(255, 255, 255, "
                     r"([.\d]+)\); \}", css)
    assert menu, "the menu's link colour"
    alpha, navbar = float(menu[1]), _hex("#343a40")             # Bootstrap's bg-dark
    blended = tuple(alpha * 255 + (1 - alpha) * c for c in navbar)
    assert _contrast(blended, navbar) >= 4.5  # type: ignore[arg-type]
    links = re.search(r"\.table thead th a, [^{]*\{ color: (#[0-9a-f]{6}); \}", css)
    assert links, "the sort links' colour"
    assert _contrast(_hex(links[1]), _hex("#ffffff")) >= 4.5
    assert _contrast(_hex(links[1]), _hex("#f2f2f2")) >= 4.5      # a striped row
