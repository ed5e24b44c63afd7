"""Bulk onboarding: accounts from CSV (UTF-8, BOM, Windows-1258) or Excel, every problem
listed before anything is written, then all or nothing; units from the official lists."""

from __future__ import annotations

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
