"""Every time a person reads is Vietnam time, dd/mm/yyyy HH:MM, through one conversion,
and every "now" comes from ``portal.clock``: with the clock frozen at 01:00 UTC, the pages,
the history, the audit log and its CSV, the administration lists and exports, the Word and
Excel exports and the reminder e-mail all read 08:00 (Hà Nội), never 01:00."""

from __future__ import annotations

import csv
import email
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from docx import Document
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.plans.plan import UnitPlan
from portal.reports.consolidation import launch, run_consolidation
from portal.reports.report import UnitReport
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import exported, framework
from tests.conftest import csrf_token

MOMENT = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)     # 08:00 on 02/12/2026 in Hà Nội
SHOWN = "02/12/2026 08:00"
UTC_CLOCK = "01:00"


def test_the_one_conversion() -> None:
    assert clock.shown(MOMENT) == SHOWN
    assert clock.shown(datetime(2026, 12, 2, 1, 0)) == SHOWN          # SQLite: naive is UTC
    assert clock.shown(datetime(2026, 12, 1, 17, 30, tzinfo=UTC)) == "02/12/2026 00:30"
    assert clock.shown(date(2026, 11, 30)) == "30/11/2026"           # a date stays a date
    assert clock.shown(None) == ""
    assert clock.shown_day(datetime(2026, 12, 1, 17, 30, tzinfo=UTC)) == "02/12/2026"
    assert clock.shown_day(date(2026, 11, 30)) == "30/11/2026"


def test_the_audit_logs_iso_text_reads_as_vietnam_time() -> None:
    from portal.audit.service import shown_value

    assert shown_value("2026-12-02T01:00:00+00:00") == SHOWN
    assert shown_value("2026-12-02T01:00:00.123456") == SHOWN             # SQLite: naive
    assert shown_value("2026-11-30") == "30/11/2026"
    for kept in ("2026", "II.1.a", "2026-13-45", "Mục đích", 3, None):
        assert shown_value(kept) == kept


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/auth/password"), **data})


def read_mail(folder: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        found.append((message["To"],
                      message.get_payload(decode=True).decode().replace("\r\n", "\n")))
    return found


@pytest.fixture
def frozen():
    """The clock at 01:00 UTC; requested before the data fixtures, it covers them too."""
    with clock.frozen_at(MOMENT):
        yield MOMENT


def _ids(report_id: int) -> tuple[int, int, dict[str, object]]:
    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        plan_id = db.session.scalar(select(UnitPlan.id).where(
            UnitPlan.unit_id == report.unit_id))
        codes = dict(db.session.execute(select(Indicator.id, Indicator.code)).tuples().all())
        values = {codes[v.indicator_id]: v for v in report.values}
        return plan_id, report.period_id, {"values": values, "tasks": list(report.tasks)}


def _in_both(text: str, expected: str) -> None:
    assert expected in text, expected
    assert UTC_CLOCK not in text


def test_a_frozen_clock_reads_08_00_everywhere(frozen, app: Flask, report_id: int, login_as,
                                               tmp_path: Path, monkeypatch) -> None:
    """Frozen first: the fixtures' accounts, plan and report are made at 08:00 too."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path / "mail"))
    drafter, admin, platform = login_as("drafter"), login_as("admin"), login_as("platform")
    plan_id, period_id, rows = _ids(report_id)

    # the plan: an amendment starts (history), a section is saved ("saved at")
    assert post(drafter, f"/plans/{plan_id}/amend", from_revision="1").status_code == 302
    token = csrf_token(drafter, f"/plans/{plan_id}")
    saved = drafter.post(f"/plans/{plan_id}/sections/purpose", headers={"HX-Request": "true"},
                         data={"csrf_token": token, "version": "1", "text": "Mục đích"})
    assert saved.status_code == 200
    _in_both(saved.get_data(as_text=True), f"Đã lưu lúc {SHOWN}")
    history = drafter.get(f"/plans/{plan_id}/history").get_data(as_text=True)
    _in_both(history, f'<tr><td class="small">{SHOWN}</td><td>Người drafter</td>')

    # the report: submitted now
    base = f"/reports/{report_id}"
    count = rows["values"]["II.1.b"]
    assert post(drafter, f"{base}/values/{count.id}", version=str(count.version),
                value="3").status_code == 200
    for task in rows["tasks"]:
        assert post(drafter, f"{base}/tasks/{task.id}", version=str(task.version),
                    status="done_on_time", result="Xong").status_code == 200
    assert post(drafter, f"{base}/transitions", action="hand_over").status_code == 302
    handed = drafter.get(base).get_data(as_text=True)
    _in_both(handed, f"Người drafter đã trình lãnh đạo lúc {SHOWN}")
    assert post(login_as("head"), f"{base}/transitions", action="submit").status_code == 302
    page = drafter.get(base).get_data(as_text=True)
    _in_both(page, f"gửi lúc {SHOWN}")
    assert f"<li>{SHOWN} · Người drafter · Trình lãnh đạo đơn vị</li>" in page
    assert f"<li>{SHOWN} · Người head · Gửi báo cáo</li>" in page
    assert "hạn gửi 30/11/2026" in page                                     # a date stays a date
    listed = drafter.get("/units/D1/reports").get_data(as_text=True)
    assert "Đã gửi</a> · gửi ngày 02/12/2026" in listed              # the day, in Vietnam

    board = login_as("leader").get("/units/D1/dashboard?year=2026").get_data(as_text=True)
    _in_both(board, f"số liệu trực tiếp lúc {SHOWN}")

    # the consolidation, its page, its Word and Excel exports
    with system_scope("test"):
        fid = db.session.get(ReportingPeriod, period_id).framework_id
        province = db.session.scalar(select(Unit).where(Unit.code == "P1"))
        row = launch(province, framework(fid), 2026, None)
        db.session.commit()
        consolidation_id, root = row.id, row.unit_id
    assert run_consolidation(consolidation_id, root) == "done"
    shown = platform.get(f"/consolidations/{consolidation_id}").get_data(as_text=True)
    _in_both(shown, f"Lập lúc {SHOWN}; bản tổng hợp không thay đổi.")
    document = Document(io.BytesIO(exported(platform, consolidation_id, "docx").data))
    texts = [p.text for p in document.paragraphs]
    assert f"(Số liệu tổng hợp lúc {SHOWN})" in texts
    assert not [t for t in texts if UTC_CLOCK in t]
    book = load_workbook(io.BytesIO(exported(platform, consolidation_id, "xlsx").data))
    assert [c.value for c in book["Tổng hợp"][2]][:2] == ["Số liệu tổng hợp lúc", SHOWN]

    # the audit log: the unit's page and its CSV
    audit = admin.get("/units/D1/audit").get_data(as_text=True)
    _in_both(audit, f'<td class="text-nowrap small">{SHOWN}</td>')
    audit = admin.get("/units/D1/audit.csv").get_data(as_text=True).lstrip("\ufeff")
    lines = list(csv.reader(io.StringIO(audit)))
    assert lines[0][:2] == ["id", "at"] and len(lines) > 1
    assert {line[1] for line in lines[1:]} == {SHOWN}
    assert UTC_CLOCK not in audit

    # administration: a membership granted now, the audit log list and its export
    from portal.accounts.service import find_user, grant

    with system_scope("test"):
        grant(find_user("u.nobody"), db.session.scalar(select(Unit).where(Unit.code == "C11")),
              "drafter")
        db.session.commit()
    memberships = admin.get("/unit-admin/membership/").get_data(as_text=True)
    assert memberships.count(SHOWN) == 8 and UTC_CLOCK not in memberships   # 7 roles + 1
    audit_list = platform.get("/admin/audit_entry/").get_data(as_text=True)
    cells = re.findall(r'<td class="col-at">\s*([^<]*?)\s*</td>', audit_list)
    assert cells and set(cells) == {SHOWN} and UTC_CLOCK not in audit_list
    admin_csv = platform.get("/admin/audit_entry/export/csv/",
                             buffered=True).get_data(as_text=True)   # a streamed body
    table = list(csv.reader(io.StringIO(admin_csv.lstrip("\ufeff"))))
    assert table[0][0] == "Thời điểm" and len(table) > 1
    assert {line[0] for line in table[1:]} == {SHOWN}
    assert UTC_CLOCK not in admin_csv

    # the reminder e-mail (D1 submitted; its communes are overdue: its reviewer is told)
    from portal.notifications.reminders import send_reminders

    with system_scope("test"):
        find_user("u.reviewer").email = "reviewer@example.vn"
        db.session.commit()
    assert send_reminders(clock.today()).emails == 1
    [(to, body)] = read_mail(tmp_path / "mail")
    assert to == "reviewer@example.vn"
    _in_both(body, f"\n\nTính đến {SHOWN}.\n\n")
