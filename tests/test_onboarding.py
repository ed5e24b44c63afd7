"""Bulk onboarding: accounts from CSV (UTF-8, BOM, Windows-1258) or Excel, every problem
listed before anything is written, then all or nothing; units from the official lists."""

from __future__ import annotations

import base64
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.accounts.onboarding import create_accounts, read_accounts
from portal.accounts.service import AccountError, create_user, find_user
from portal.accounts.user import User
from portal.extensions import db
from portal.spreadsheets import TableError, read_table
from tenants.scoping import system_scope
from tenants.unit import Unit, UnitClosure
from tests.builders import cp1258
from tests.conftest import csrf_token

GOOD = ("username,full_name,email,unit_code,role\n"
        "canbo.mot,Nguyễn Văn Một,mot@example.org,C11,drafter\n"
        "lanhdao.hai,Trần Thị Hai,,D1,leader\n")




def d1_subtree():
    d1 = select(Unit.id).where(Unit.code == "D1").scalar_subquery()
    return select(UnitClosure.descendant_id).where(UnitClosure.ancestor_id == d1)


def test_encodings_and_excel_read_the_same(world) -> None:
    aliases = {"họ và tên": "full_name"}
    utf8 = read_table("a.csv", ("\ufeff" + "họ và tên\nNguyễn Văn Một\n").encode(), aliases)
    # Windows-1258 keeps tone marks as combining characters: ê + combining tilde
    windows = read_table("a.csv", cp1258("Họ và tên\nNguyễn Văn Một\n"), aliases)
    assert utf8.rows[0][1]["full_name"] == windows.rows[0][1]["full_name"] == "Nguyễn Văn Một"
    assert windows.notes and not utf8.notes
    book = Workbook()
    book.active.append(["Họ và tên"])
    book.active.append(["Nguyễn Văn Một"])
    data = io.BytesIO()
    book.save(data)
    excel = read_table("a.xlsx", data.getvalue(), aliases)
    assert excel.rows[0][1]["full_name"] == "Nguyễn Văn Một"
    semicolons = read_table("a.csv", "họ và tên;x\nMột;2\n".encode(), aliases)
    assert semicolons.rows[0][1] == {"full_name": "Một", "x": "2"}
    with pytest.raises(TableError):
        read_table("a.csv", b"", aliases)
    with pytest.raises(TableError):
        read_table("a.xlsx", b"PK\x03\x04 not really a workbook", aliases)


def test_every_problem_is_listed_and_nothing_written(world) -> None:
    with system_scope("test"):
        create_user("da.co", "Mat-khau-2025")
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(User))
        data = ("Tên đăng nhập,Họ và tên,Thư điện tử,Mã đơn vị,Vai trò\n"
                "trung.ten,A,,C11,drafter\n"
                "trung.ten,B,,C12,drafter\n"
                "da.co,C,,C11,drafter\n"
                "khong.co.don.vi,D,,X999,drafter\n"
                "don.vi.ngoai,E,,D2,drafter\n"
                "vai.tro.sai,F,khong-phai-email,C11,superuser\n"
                "A B,G,,C11,head\n"
                "hop.le,H,h@example.org,C12,head\n").encode()
        result = read_accounts("a.csv", data, d1_subtree())
        problems = {r.line: " ".join(r.problems) for r in result.rows}
        assert not result.ok
        assert "2, 3" in problems[2] and "2, 3" in problems[3]      # the duplicate's lines
        assert "da.co" in problems[4]                                # taken already
        assert "X999" in problems[5] and "D2" in problems[6]   # unknown and outside alike
        assert "superuser" in problems[7] and "khong-phai-email" in problems[7]
        assert "a b" in problems[8]
        assert problems[9] == ""
        assert all(problems[line] for line in range(2, 9))
        with pytest.raises(AccountError):
            create_accounts(result)
        assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_a_good_file_creates_every_account(world) -> None:
    with system_scope("test"):
        result = read_accounts("a.csv", GOOD.encode(), d1_subtree())
        assert result.ok
        handed = create_accounts(result)
        db.session.commit()
        assert [h.username for h in handed] == ["canbo.mot", "lanhdao.hai"]
        user = find_user("lanhdao.hai")
        assert user.must_change_password
        assert [(m.unit.code, m.role) for m in user.memberships] == [("D1", "leader")]


def test_the_tenant_admin_imports_through_the_web(login_as) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/auth/password")
    bad = admin.post("/unit-admin/import-accounts/", data={
        "csrf_token": token, "file": (io.BytesIO(
            (GOOD + "ngoai,Ngoài,,QD,drafter\n").encode()), "tai-khoan.csv")})
    assert bad.status_code == 422
    assert "QD" in bad.get_data(as_text=True)
    with system_scope("test"):
        assert find_user("canbo.mot") is None
    preview = admin.post("/unit-admin/import-accounts/", data={
        "csrf_token": token, "file": (io.BytesIO(GOOD.encode()), "tai-khoan.csv")})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    carried = re.search(r'name="carried" value="([^"]+)"', html).group(1)
    with system_scope("test"):
        assert find_user("canbo.mot") is None          # a preview writes nothing
    done = admin.post("/unit-admin/import-accounts/", data={
        "csrf_token": token, "carried": carried, "filename": "tai-khoan.csv",
        "confirm": "yes"})
    assert done.status_code == 200
    assert 'data-testid="temporary-passwords"' in done.get_data(as_text=True)
    with system_scope("test"):
        assert find_user("canbo.mot") is not None and find_user("lanhdao.hai") is not None
    # the same file again: every row is now taken, nothing changes
    again = admin.post("/unit-admin/import-accounts/", data={
        "csrf_token": token, "carried": carried, "filename": "tai-khoan.csv",
        "confirm": "yes"})
    assert again.status_code == 422
    assert len(re.findall(r'<tr class="table-danger">', again.get_data(as_text=True))) == 2


def test_the_operator_imports_units_after_a_dry_run(login_as) -> None:
    operator = login_as("platform")
    token = csrf_token(operator, "/auth/password")
    csv_data = ("code,name,type,level,parent_code\n"
                "D9,Huyện Chín,huyện,2,\n"
                "C91,Xã Chín Một,xã,3,D9\n").encode()
    preview = operator.post("/admin/import-units/", data={
        "csrf_token": token, "under": "P1",
        "file": (io.BytesIO(csv_data), "units.csv")})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert 'data-testid="units-preview"' in html and " 2 " in html
    with system_scope("test"):
        assert db.session.scalar(select(Unit).where(Unit.code == "D9")) is None
    carried = re.search(r'name="carried" value="([^"]+)"', html).group(1)
    operator.post("/admin/import-units/", data={
        "csrf_token": token, "under": "P1", "carried": carried, "confirm": "yes"})
    with system_scope("test"):
        d9 = db.session.scalar(select(Unit).where(Unit.code == "D9"))
        assert d9 is not None and d9.parent.code == "P1"
    broken = operator.post("/admin/import-units/", data={
        "csrf_token": token, "file": (io.BytesIO(b"code,name\nX,Y\n"), "units.csv")})
    assert broken.status_code == 422
    assert login_as("admin").get("/admin/import-units/").status_code == 403


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
def test_the_downloaded_template_imports_as_filled_in(login_as, extension) -> None:
    """Download the template, write a second person below its example row, import it."""
    from openpyxl import load_workbook

    admin = login_as("admin")
    page = admin.get("/unit-admin/import-accounts/").get_data(as_text=True)
    assert f'href="/unit-admin/import-accounts/template.{extension}"' in page
    response = admin.get(f"/unit-admin/import-accounts/template.{extension}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    person = ["tran.thi.b", "Trần Thị B", "", "C11", "Thủ trưởng đơn vị"]
    if extension == "xlsx":
        book = load_workbook(io.BytesIO(response.data))
        rows = [list(r) for r in book.active.iter_rows(values_only=True)]
        book.active.append(person)
        filled = io.BytesIO()
        book.save(filled)
        data = filled.getvalue()
    else:
        text = response.data.decode("utf-8-sig")
        rows = [line.split(",") for line in text.splitlines()]
        data = (text + ",".join(person) + "\r\n").encode("utf-8-sig")
    assert rows[0] == ["tên đăng nhập", "họ và tên", "thư điện tử", "mã đơn vị", "vai trò"]
    assert rows[1][3] in ("C11", "C12", "D1")                        # a unit of D1
    token = csrf_token(admin, "/auth/password")
    preview = admin.post("/unit-admin/import-accounts/", data={
        "csrf_token": token, "file": (io.BytesIO(data), f"mau.{extension}")})
    assert preview.status_code == 200, preview.get_data(as_text=True)[-3000:]
    carried = re.search(r'name="carried" value="([^"]+)"',
                        preview.get_data(as_text=True)).group(1)
    done = admin.post("/unit-admin/import-accounts/", data={
        "csrf_token": token, "carried": carried, "filename": f"mau.{extension}",
        "confirm": "yes"})
    assert done.status_code == 200
    with system_scope("test"):
        assert [(m.unit.code, m.role) for m in find_user("tran.thi.b").memberships] == [
            ("C11", "head")]
        assert [m.role for m in find_user("nguyen.van.a").memberships] == ["drafter"]


def test_the_unit_template_imports(login_as) -> None:
    operator = login_as("platform")
    assert 'href="/admin/import-units/template.csv"' in operator.get(
        "/admin/import-units/").get_data(as_text=True)
    template = operator.get("/admin/import-units/template.csv")
    assert template.status_code == 200
    assert operator.get("/admin/import-units/template.xlsx").status_code == 404
    preview = operator.post("/admin/import-units/", data={
        "csrf_token": csrf_token(operator, "/auth/password"), "under": "P1",
        "file": (io.BytesIO(template.data), "mau.csv")})
    assert preview.status_code == 200
    assert 'data-testid="units-preview"' in preview.get_data(as_text=True)


def test_the_handover_sheet_shows_each_password_once(login_as) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/auth/password")
    preview = admin.post("/unit-admin/import-accounts/", data={
        "csrf_token": token, "file": (io.BytesIO(GOOD.encode()), "tai-khoan.csv")})
    carried = re.search(r'name="carried" value="([^"]+)"',
                        preview.get_data(as_text=True)).group(1)
    done = admin.post("/unit-admin/import-accounts/", data={
        "csrf_token": token, "carried": carried, "filename": "tai-khoan.csv",
        "confirm": "yes"})
    sheet = done.get_data(as_text=True)
    assert done.headers["Cache-Control"] == "no-store"
    passwords = re.findall(r'class="handover-password">([^<]+)<', sheet)
    assert len(passwords) == 2 and all(p.startswith("Tm-") for p in passwords)
    assert sheet.count('class="handover-slip"') == 2
    assert "Nguyễn Văn Một" in sheet and "Xã Một Một" in sheet and "Huyện Một" in sheet
    assert "style=" not in sheet and "onclick" not in sheet           # CSP: none inline
    download = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', sheet)[1]
    listed = base64.b64decode(download).decode("utf-8-sig")
    assert all(p in listed for p in passwords) and "canbo.mot" in listed
    with system_scope("test"):     # only the hashes are kept
        assert all(p not in (find_user("canbo.mot").password_hash or "") for p in passwords)
    again = admin.get("/unit-admin/import-accounts/").get_data(as_text=True)
    assert not any(p in again for p in passwords)
    assert 'class="handover-slip"' not in again
