"""Text lengths (issue 14, finding 6): every text people type has a maximum
(portal/limits.py), refused by the domain with a field problem — on the pages and in the
API alike — and request bodies have a size per kind of request (portal/request_limits.py).

Expectations: a text at its maximum is saved; one character more is a problem naming the
field, in Vietnamese, and that text is not saved (a 422 where it is the form's one field
or in the API; in a card of several fields, a 200 that saved the others); a 19 MB
narrative is a 413 before anything reads it.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from portal import limits
from portal.extensions import db
from portal.frameworks.framework import FrameworkNode
from portal.plans.plan import PlanRevision, PlanTask
from portal.reports.report import ReportTask, UnitReport
from tenants.scoping import system_scope
from tests.builders import hx_save
from tests.conftest import csrf_token

# Vietnamese with diacritics: a letter with a mark is 2-3 bytes, 6-9 once percent-encoded
WORDS = "Kết quả thực hiện kế hoạch tiêu chuẩn đo lường chất lượng. "


def text_of(length: int) -> str:
    """``length`` characters of Vietnamese, ending in a letter (the save trims spaces)."""
    return (WORDS * (length // len(WORDS) + 1))[:length - 1] + "."


def too_long(limit: int) -> str:
    def grouped(n: int) -> str:
        return f"{n:,}".replace(",", ".")

    return (f"Tối đa {grouped(limit)} ký tự; văn bản này có {grouped(limit + 1)} ký tự. Hãy "
            "rút gọn, hoặc đưa phần chi tiết vào tệp đính kèm.")


def test_the_maxima_are_one_table() -> None:
    assert limits.MAXIMA == {"narrative": 50_000, "long_text": 20_000, "note": 4_000,
                             "title": 1_000, "name": 300, "short": 200, "code": 60,
                             "place": 100}


def test_a_report_narrative_through_the_api(app: Flask, token_for, report_id: int) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token_for('drafter')}"}
    refused = client.put("/api/v1/units/D1/reports/2026", headers=headers, json={
        "narrative": {"results": text_of(limits.NARRATIVE + 1)}})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {   # the API names a field by its path
        "narrative.results.results": too_long(limits.NARRATIVE)}
    with system_scope("test"):
        assert db.session.get(UnitReport, report_id).results == ""
    saved = client.put("/api/v1/units/D1/reports/2026", headers=headers, json={
        "narrative": {"results": text_of(limits.NARRATIVE)}})
    assert saved.status_code == 200
    assert len(saved.get_json()["narrative"]["results"]) == limits.NARRATIVE
    # the penetration test's 19 MB narrative: refused before anything reads it
    huge = client.put("/api/v1/units/D1/reports/2026", headers=headers, json={
        "narrative": {"results": "x" * (19 * 1024 * 1024)}})
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "too_large"


def test_report_texts_on_the_page(login_as, targets) -> None:
    officer = login_as("drafter")
    report_id = targets["own"]["report_id"]
    token = csrf_token(officer, f"/reports/{report_id}")
    page = officer.get(f"/reports/{report_id}").get_data(as_text=True)
    url = f"/reports/{report_id}/narrative/difficulties"
    refused = hx_save(officer, url, token, page, "version-narrative-difficulties",
                      text=text_of(limits.NARRATIVE + 1))
    assert refused.status_code == 422
    assert too_long(limits.NARRATIVE) in refused.get_data(as_text=True)
    # a section at its maximum, in Vietnamese (about 130 KB once percent-encoded), saves
    saved = hx_save(officer, url, token, page, "version-narrative-difficulties",
                    text=text_of(limits.NARRATIVE))
    assert saved.status_code == 200
    rtask = targets["own"]["report_task_id"]
    result = hx_save(officer, f"/reports/{report_id}/tasks/{rtask}", token, page,
                     f"version-rtask-{rtask}", status="in_progress",
                     result=text_of(limits.LONG_TEXT + 1))
    assert result.status_code == 200          # the status saved, the result refused
    assert too_long(limits.LONG_TEXT) in result.get_data(as_text=True)
    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        assert len(report.difficulties) == limits.NARRATIVE
        assert all(len(t.result) == 0 for t in report.tasks)
        assert db.session.get(ReportTask, rtask).status == "in_progress"


def test_plan_texts_on_the_page(login_as, targets) -> None:
    officer = login_as("drafter")
    plan_id = targets["own"]["plan_id"]
    token = csrf_token(officer, f"/plans/{plan_id}")
    page = officer.get(f"/plans/{plan_id}").get_data(as_text=True)
    section = hx_save(officer, f"/plans/{plan_id}/sections/purpose", token, page,
                      "version-section-purpose", text=text_of(limits.NARRATIVE + 1))
    assert section.status_code == 422
    assert too_long(limits.NARRATIVE) in section.get_data(as_text=True)
    task_id = targets["own"]["task_id"]
    task = hx_save(officer, f"/plans/{plan_id}/tasks/{task_id}", token, page,
                   f"version-task-{task_id}", content="Tập huấn", lead="x" * 201,
                   outputs=text_of(limits.LONG_TEXT + 1))
    assert task.status_code == 200            # the content saved, the two long texts not
    html = task.get_data(as_text=True)
    assert too_long(limits.SHORT) in html and too_long(limits.LONG_TEXT) in html
    with system_scope("test"):
        stored = db.session.get(PlanTask, task_id)
        assert stored.content == "Tập huấn" and len(stored.outputs) <= limits.LONG_TEXT
        assert len(stored.lead) <= limits.SHORT
        revision = db.session.get(PlanRevision, stored.revision_id)
        assert len(revision.purpose) <= limits.NARRATIVE


@pytest.mark.parametrize(("field", "limit"), [("title", limits.TITLE),
                                              ("text", limits.LONG_TEXT)])
def test_a_framework_item_on_the_page(login_as, targets, field: str, limit: int) -> None:
    owner = login_as("platform")                    # the operator owns every framework
    fid, node_id = targets["own"]["framework_id"], targets["own"]["node_id"]
    token = csrf_token(owner, f"/frameworks/{fid}/draft")
    with system_scope("test"):
        node = db.session.get(FrameworkNode, node_id)
        values = {"title": node.title, "text": node.text, "kind": node.kind}
    response = owner.post(f"/frameworks/{fid}/draft/nodes/{node_id}", data={
        "csrf_token": token, **values, field: text_of(limit + 1)})
    assert response.status_code == 422
    assert too_long(limit) in response.get_data(as_text=True)
    with system_scope("test"):
        assert getattr(db.session.get(FrameworkNode, node_id), field) == values[field]


def test_a_form_over_4_mb_is_refused_before_it_is_read(login_as, targets) -> None:
    officer = login_as("drafter")
    report_id = targets["own"]["report_id"]
    token = csrf_token(officer, f"/reports/{report_id}")
    response = officer.post(f"/reports/{report_id}/narrative/results", data={
        "csrf_token": token, "version": "1", "text": "x" * (19 * 1024 * 1024)})
    assert response.status_code == 413
    with system_scope("test"):
        assert db.session.scalar(select(UnitReport.results).where(
            UnitReport.id == report_id)) == ""


def test_an_import_confirmation_carrying_its_file_back_is_read(login_as) -> None:
    """The confirmation form carries the previewed file (up to 2 MB) back, base64-encoded:
    the 4 MB limit on forms leaves it room (a limit under ~700 KB would refuse this one)."""
    import base64

    admin = login_as("admin")
    token = csrf_token(admin, "/auth/password")
    rows = "".join(f"can.bo{i},Cán bộ phụ trách tiêu chuẩn đo lường chất lượng số {i},,"
                   "NOWHERE,drafter\n" for i in range(4_900))
    data = ("username,full_name,email,unit_code,role\n" + rows).encode()
    assert 500_000 < len(base64.b64encode(data)) < 2 * 1024 * 1024
    response = admin.post("/unit-admin/import-accounts/", data={
        "csrf_token": token, "carried": base64.b64encode(data).decode(),
        "filename": "tai-khoan.csv", "confirm": "yes"})
    assert response.status_code == 422            # read, and every row's problem shown
    assert "NOWHERE" in response.get_data(as_text=True)
