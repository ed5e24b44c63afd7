"""The command-line interface of ENGINEERING.md § Interfaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.accounts.service import find_user
from portal.extensions import db
from tenants.membership import Membership
from tenants.scoping import system_scope
from tenants.unit import Unit


def invoke(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_units_import_add_and_users(app: Flask, tmp_path: Path) -> None:
    csv = tmp_path / "units.csv"
    csv.write_text("code,name,type,level,parent_code\nP9,Tỉnh Chín,tỉnh,1,\n"
                   "D9,Huyện Chín,huyện,2,P9\n", encoding="utf-8")
    result = invoke(app, "units", "import", str(csv))
    assert result.exit_code == 0, result.output
    assert "imported 2 units" in result.output
    result = invoke(app, "units", "add", "P9.SKHCN", "Sở Khoa học và Công nghệ",
                    "--kind", "department", "--parent", "P9")
    assert result.exit_code == 0, result.output
    result = invoke(app, "users", "create", "canbo.p9", "--unit", "D9", "--role", "drafter",
                    "--password", "Mat-khau-2025")
    assert result.exit_code == 0, result.output
    # an existing account gets another membership
    result = invoke(app, "users", "create", "canbo.p9", "--unit", "P9", "--role", "leader")
    assert result.exit_code == 0, result.output
    with system_scope("test"):
        user = find_user("canbo.p9")
        roles = sorted(db.session.execute(
            select(Unit.code, Membership.role).join(Membership.unit)
            .where(Membership.user_id == user.id)).tuples().all())
    assert roles == [("D9", "drafter"), ("P9", "leader")]
    token = invoke(app, "users", "token", "canbo.p9").output.strip()
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["username"] == "canbo.p9"
    assert "revoked 1 tokens" in invoke(app, "users", "revoke-token", "canbo.p9").output
    assert invoke(app, "users", "create", "ops", "--platform-admin",
                  "--password", "Mat-khau-2025").exit_code == 0


@pytest.mark.parametrize(("args", "message"), [
    (("units", "add", "X", "Tên", "--kind", "district", "--parent", "NOPE"), "NOPE"),
    (("users", "create", "ai", "--unit", "NOPE", "--role", "drafter",
      "--password", "Mat-khau-2025"), "NOPE"),
    (("users", "create", "someone", "--password", "Mat-khau-2025"), "--unit"),
    (("users", "token", "ghost"), "ghost"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(app: Flask, args, message) -> None:
    result = invoke(app, *args)
    assert result.exit_code == 1
    assert message in result.output


def test_import_errors_name_rows_and_import_nothing(app: Flask, tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("code,name,type,level,parent_code\nP8,Tỉnh Tám,tỉnh,1,\n"
                   "D8,Huyện Tám,huyện,2,NOWHERE\n", encoding="utf-8")
    result = invoke(app, "units", "import", str(csv))
    assert result.exit_code == 1
    assert "dòng 3" in result.output and "NOWHERE" in result.output
    with system_scope("test"):
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


def test_legacy_demo_seed_is_idempotent(app: Flask) -> None:
    first = invoke(app, "demo", "seed", "--legacy")
    assert first.exit_code == 0, first.output
    assert "150 added" in first.output and "9 added" in first.output
    second = invoke(app, "demo", "seed", "--legacy")
    assert "0 added, 150 already present" in second.output
    assert "0 created" in second.output
    with system_scope("test"):
        communes = db.session.scalar(select(func.count()).select_from(Unit)
                                     .where(Unit.kind == "commune"))
        roles = set(db.session.scalars(select(Membership.role)))
    assert communes == 139
    assert roles == {"drafter", "head", "reviewer", "consolidator", "leader", "admin"}


def test_over_long_names_and_bad_emails_are_refused(app: Flask) -> None:
    result = invoke(app, "users", "create", "ten.dai", "--platform-admin",
                    "--password", "Mat-khau-2025", "--full-name", "Nguyễn " * 40)
    assert result.exit_code == 1 and "279" in result.output
    result = invoke(app, "users", "create", "thu.sai", "--platform-admin",
                    "--password", "Mat-khau-2025", "--email", "khong-phai-email")
    assert result.exit_code == 1 and "khong-phai-email" in result.output


def test_demo_reports_fill_the_province_once(app: Flask) -> None:
    from portal.reports.report import UnitReport

    invoke(app, "demo", "seed", "--legacy")
    first = invoke(app, "demo", "reports").output
    assert "demo reports 2025:" in first and "demo reports 2026:" in first
    with system_scope("test"):
        counted = db.session.scalar(select(func.count()).select_from(UnitReport))
    assert counted > 200
    again = invoke(app, "demo", "reports").output
    assert "demo plans: 0 issued" in again and "demo reports 2025: 0 filed" in again
    with system_scope("test"):
        assert db.session.scalar(select(func.count()).select_from(UnitReport)) == counted
