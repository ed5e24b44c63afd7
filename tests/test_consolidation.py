"""Consolidation: background job, idempotent, immutable snapshots, staleness, Redis down."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.reports.consolidation import (
    Consolidation,
    RunStatus,
    is_stale,
    launch,
    run_consolidation,
)
from portal.reports.report import UnitReport
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import exported, framework, province_framework_id
from tests.conftest import csrf_token
from tests.word_layout import check_layout, draft_marked


def submit(report_id: int) -> None:
    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        report.status = "submitted"
        report.first_submitted_at = report.submitted_at = datetime(2026, 11, 20, tzinfo=UTC)
        db.session.commit()


def start(fid: int, code: str = "P1") -> int:
    with system_scope("test"):
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        row = launch(unit, framework(fid), 2026, None)
        db.session.commit()
        return row.id


def load(consolidation_id: int) -> Consolidation:
    return db.session.get(Consolidation, consolidation_id)


def root_of(consolidation_id: int) -> int:
    with system_scope("test"):
        return load(consolidation_id).unit_id


def done_count() -> int:
    with system_scope("test"):
        return db.session.scalar(select(func.count()).select_from(Consolidation).where(
            Consolidation.status == RunStatus.DONE.value))


def test_a_consolidation_runs_and_keeps_its_snapshot(app: Flask, report_id: int,
                                                     login_as, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)   # the embedded mode: in-process
    submit(report_id)
    admin = login_as("admin")                              # admins cannot consolidate
    token = csrf_token(admin, "/units/D1/reports")
    assert admin.post("/units/D1/consolidations", data={"csrf_token": token}).status_code \
        == 403
    leader = login_as("leader")
    page = leader.get("/units/D1/reports").get_data(as_text=True)
    period_id = re.search(r'name="period_id" value="(\d+)"', page).group(1)
    token = csrf_token(leader, "/units/D1/reports")
    response = leader.post("/units/D1/consolidations",
                           data={"csrf_token": token, "period_id": period_id})
    assert response.status_code == 302
    shown = leader.get(response.location).get_data(as_text=True)
    assert "0 trên 2 đơn vị đã báo cáo" in shown          # below D1: C11 and C12, no report yet
    consolidation_id = int(response.location.rsplit("/", 1)[1])
    with system_scope("test"):
        row = load(consolidation_id)
        assert row.status == "done" and row.number == 1 and row.progress == 100
        assert row.result["reporting"]["expected"] == 2
        assert row.inputs == {}                          # D1's own report is not below D1


def test_a_second_launch_joins_the_running_one(report_id: int) -> None:
    fid = province_framework_id(report_id)
    first = start(fid)
    assert start(fid) == first                           # queued: joined, not duplicated
    run_consolidation(first, root_of(first))
    assert start(fid) != first                           # done: a new snapshot


def test_running_the_job_twice_leaves_one_complete_snapshot(report_id: int) -> None:
    submit(report_id)
    fid = province_framework_id(report_id)
    consolidation_id = start(fid)
    root = root_of(consolidation_id)
    assert run_consolidation(consolidation_id, root) == "done"
    with system_scope("test"):
        result = load(consolidation_id).result
    assert run_consolidation(consolidation_id, root) == "nothing to do"
    assert done_count() == 1
    with system_scope("test"):
        assert load(consolidation_id).result == result
        assert result["reporting"]["submitted"] == 1
        assert result["narrative"] == {"results": [], "difficulties": [], "proposals": []}


def test_a_snapshot_goes_stale_when_a_report_changes(report_id: int) -> None:
    submit(report_id)
    fid = province_framework_id(report_id)
    consolidation_id = start(fid)
    run_consolidation(consolidation_id, root_of(consolidation_id))
    with system_scope("test"):
        assert not is_stale(load(consolidation_id))
        report = db.session.get(UnitReport, report_id)
        report.status = "accepted"
        db.session.commit()
        assert is_stale(load(consolidation_id))


def test_redis_down_refuses_clearly_and_submissions_still_work(app: Flask, report_id: int,
                                                                login_as, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")   # nobody there
    leader = login_as("leader")
    page = leader.get("/units/D1/reports").get_data(as_text=True)
    period_id = re.search(r'name="period_id" value="(\d+)"', page).group(1)
    token = csrf_token(leader, "/units/D1/reports")
    response = leader.post("/units/D1/consolidations",
                           data={"csrf_token": token, "period_id": period_id},
                           follow_redirects=True)
    assert "không thể bắt đầu lúc này" in response.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.scalar(select(func.count()).select_from(Consolidation)) == 0
    # the unit's work does not depend on Redis
    drafter = login_as("drafter")
    token = csrf_token(drafter, f"/reports/{report_id}")
    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        tasks = [(t.id, t.version) for t in report.tasks]
    for task_id, version in tasks:
        drafter.post(f"/reports/{report_id}/tasks/{task_id}", data={
            "csrf_token": token, "version": str(version), "status": "in_progress"})
    assert drafter.post(f"/reports/{report_id}/transitions", data={
        "csrf_token": token, "action": "hand_over"}).status_code == 302
    head = login_as("head")
    assert head.post(f"/reports/{report_id}/transitions", data={
        "csrf_token": csrf_token(head, f"/reports/{report_id}"),
        "action": "submit"}).status_code == 302
    api = app.test_client()
    from portal.accounts.service import find_user, issue_token

    with system_scope("test"):
        token_value = issue_token(find_user("u.leader"))
        db.session.commit()
    answer = api.post("/api/v1/units/D1/consolidations", json={"year": 2026},
                      headers={"Authorization": f"Bearer {token_value}"})
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "queue_unavailable"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (CI sets REDIS_URL)")
def test_a_real_rq_worker_runs_the_job(app: Flask, report_id: int, token_for) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    submit(report_id)
    connection = Redis.from_url(os.environ["REDIS_URL"])
    connection.flushdb()
    headers = {"Authorization": f"Bearer {token_for('leader')}"}
    client = app.test_client()
    queued = client.post("/api/v1/units/D1/consolidations", json={"year": 2026},
                         headers=headers)
    assert queued.status_code == 202 and queued.get_json()["status"] == "queued"
    consolidation_id = queued.get_json()["id"]
    queue = Queue("consolidation", connection=connection)
    assert len(queue.job_ids) == 1                 # one job, named after this row alone
    assert queue.job_ids[0].startswith(f"consolidation-{consolidation_id}-")
    SimpleWorker([queue], connection=connection).work(burst=True)
    body = client.get(f"/api/v1/consolidations/{consolidation_id}", headers=headers).get_json()
    assert body["status"] == "done" and body["progress"] == 100
    assert body["result"]["reporting"]["expected"] == 2
    connection.close()


def test_the_snapshot_exports_to_word_and_excel(app: Flask, report_id: int, login_as) -> None:
    import io

    from docx import Document
    from openpyxl import load_workbook

    from portal.frameworks.indicator import Indicator
    from portal.reports.report import ReportValue

    with system_scope("test"):     # D1 reports 3 of 4 for the ratio II.1.a
        value = db.session.scalar(select(ReportValue).join(
            Indicator, Indicator.id == ReportValue.indicator_id).where(
            ReportValue.report_id == report_id, Indicator.code == "II.1.a"))
        value.numerator, value.denominator = 3, 4
        db.session.commit()
    submit(report_id)
    fid = province_framework_id(report_id)
    consolidation_id = start(fid)
    run_consolidation(consolidation_id, root_of(consolidation_id))
    leader = login_as("leader")   # the leader of D1 is not the province's leader: 404
    assert leader.get(f"/consolidations/{consolidation_id}/report.docx").status_code == 404
    operator = login_as("platform")
    document = Document(io.BytesIO(exported(operator, consolidation_id, "docx").data))
    check_layout(document)                 # Decree 30's rules, page numbers, whole words
    assert draft_marked(document)          # a snapshot is a draft until it is signed
    texts = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in texts and "Kết quả thực hiện Kế hoạch số 12/KH-UBND năm 2026" in texts
    assert any(t.startswith("Có 1/6 đơn vị gửi báo cáo") for t in texts)
    annex = document.tables[-1]
    assert annex.rows[0].cells[0].text == "Đơn vị" and len(annex.rows) == 1 + 3
    signature = next(t for t in document.tables if t.rows[0].cells[0].text.startswith("Nơi nhận"))
    recipients, signer = signature.rows[0].cells
    # the province's report is its Department of Science and Technology's, to the
    # province's people's committee (tests/test_consolidation_exports.py: the texts)
    assert "Kính gửi: Ủy ban nhân dân tỉnh Một." in texts
    assert "- Như trên;" in recipients.text and "- Lưu: VT." in recipients.text
    assert "GIÁM ĐỐC" in signer.text and "(Họ và tên)" in signer.text
    book = load_workbook(io.BytesIO(exported(operator, consolidation_id, "xlsx").data))
    assert book.sheetnames == ["Tổng hợp", "II_1_a", "II_1_b", "Dự báo"]   # docs/progress.md
    summary = book["Tổng hợp"]
    assert [c.value for c in summary[4]][:3] == [6, 1, 1]
    ratio = book["II_1_a"]
    rows = [[c.value for c in row] for row in ratio.iter_rows()]
    while any(row and row[-1] is None for row in rows):    # drop the empty cells at the end
        rows = [row[:-1] if row and row[-1] is None else row for row in rows]
    assert rows[1] == ["Đơn vị", "Đã đào tạo", "Tổng số", "Tỷ lệ"]   # the indicator's labels
    assert rows[2] == ["Toàn đơn vị", 3, 4, 0.75]
    start_of_units = rows.index(["Theo từng đơn vị đã báo cáo"])
    assert rows[start_of_units + 1] == ["Mã đơn vị", "Đơn vị", "Đã đào tạo", "Tổng số",
                                        "Tỷ lệ"]
    assert rows[start_of_units + 2:] == [["D1", "Huyện Một", 3, 4, 0.75]]


def test_starting_commits_then_queues_and_undoes_when_the_queue_is_down(
        app: Flask, report_id: int, monkeypatch) -> None:
    """consolidation.start — the one way the page and the API start one: without Redis the
    job runs at once on the committed row; with Redis unreachable the row is deleted again
    and QueueUnavailable (a ConsolidationError) says why."""
    from portal.reports.consolidation import ConsolidationError, QueueUnavailable
    from portal.reports.consolidation import start as start_consolidation

    fid = province_framework_id(report_id)
    monkeypatch.setitem(app.config, "REDIS_URL", None)          # the embedded default
    with system_scope("test"):
        province = db.session.scalar(select(Unit).where(Unit.code == "P1"))
        done = start_consolidation(province, framework(fid), 2026, None)
        assert load(done).status == RunStatus.DONE.value       # ran in-process, committed
        monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nobody there
        province = db.session.scalar(select(Unit).where(Unit.code == "P1"))  # a new request
        with pytest.raises(QueueUnavailable) as refused:
            start_consolidation(province, framework(fid), 2026, None)
        assert isinstance(refused.value, ConsolidationError)
        assert "không thể bắt đầu lúc này" in refused.value.messages[0]
        assert db.session.scalar(select(func.count()).select_from(Consolidation)) == 1
