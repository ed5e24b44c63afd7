"""Yearly reports: values within their kinds, task statuses, the review workflow, the
lock date, the real submission time, what changed between submissions, the API."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.reports.report import UnitReport
from portal.reports.service import ReportError, save_value
from tenants.scoping import system_scope
from tests.conftest import csrf_token


def load(report_id: int) -> UnitReport:
    return db.session.scalar(select(UnitReport).where(UnitReport.id == report_id))


def rows(report_id: int) -> dict[str, object]:
    """The report's value rows by indicator code, and its tasks."""
    with system_scope("test"):
        report = load(report_id)
        codes = dict(db.session.execute(select(Indicator.id, Indicator.code)).tuples().all())
        return {"values": {codes[v.indicator_id]: v for v in report.values},
                "tasks": list(report.tasks), "report": report}


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/auth/password"), **data})


def test_a_report_opens_with_the_units_indicators_and_plan_tasks(report_id: int) -> None:
    found = rows(report_id)
    assert sorted(found["values"]) == ["II.1.a", "II.1.b"]      # both reported by districts
    assert [t.content[:20] for t in found["tasks"]] == [
        "Tổ chức tuyên truyền", "Tổ chức diễn đàn đối", "Các sở, ban, ngành, ",
        "Tổ chức thực hiện./."]
    assert found["report"].status == "draft"


def test_values_are_read_within_their_kind(report_id: int) -> None:
    found = rows(report_id)
    with system_scope("test"):
        report = load(report_id)
        ratio, count = found["values"]["II.1.a"], found["values"]["II.1.b"]
        for data, field, fragment in (
                ({"numerator": "12", "denominator": "10"}, "numerator", "không được vượt"),
                ({"numerator": "3"}, "denominator", "tổng số"),
                ({"value": "-2"}, "value", "không được âm"),
                ({"value": "12%"}, "value", "phần trăm"),
                ({"value": "3,5"}, "value", "số nguyên")):
            target = ratio if "numerator" in data else count
            with pytest.raises(ReportError) as caught:
                save_value(target, report, data, check_version=False)
            assert fragment in caught.value.problems[field], (data, caught.value.problems)
        # a count has no decimals, so "1.234" and "1,234" are both one thousand two hundred…
        save_value(count, report, {"value": "1.234"}, check_version=False)
        assert count.value == 1234
        save_value(count, report, {"value": "1,234"}, check_version=False)
        assert count.value == 1234
        save_value(ratio, report, {"numerator": "10", "denominator": "90"}, check_version=False)
        assert (ratio.numerator, ratio.denominator) == (10, 90)


def test_the_review_workflow(app: Flask, report_id: int, login_as,
                             province_reviewer: str) -> None:
    drafter, leader = login_as("drafter"), login_as("leader")
    reviewer = login_as(province_reviewer)   # D1's report goes to the province
    base = f"/reports/{report_id}"
    found = rows(report_id)
    count = found["values"]["II.1.b"]
    assert post(drafter, f"{base}/values/{count.id}", version=str(count.version),
                value="3").status_code == 200
    missing = post(drafter, f"{base}/transitions", action="submit")
    assert missing.status_code == 422 and "trạng thái" in missing.get_data(as_text=True)
    for task in found["tasks"]:
        assert post(drafter, f"{base}/tasks/{task.id}", version=str(task.version),
                    status="done_on_time", result="Xong").status_code == 200
    moment = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    with clock.frozen_at(moment):
        assert post(drafter, f"{base}/transitions", action="submit").status_code == 302
    with system_scope("test"):
        report = load(report_id)
        assert report.status == "submitted"
        assert report.submitted_at.replace(tzinfo=UTC) == moment  # the real submission time
    # locked for the unit
    fresh = rows(report_id)["values"]["II.1.b"]
    assert post(drafter, f"{base}/values/{fresh.id}", version=str(fresh.version),
                value="4").status_code == 422
    # the reviewer level decides; a return needs a reason
    assert post(leader, f"{base}/transitions", action="accept").status_code == 403
    assert post(reviewer, f"{base}/transitions", action="return", reason="").status_code == 422
    assert post(reviewer, f"{base}/transitions", action="return",
                reason="Thiếu số liệu").status_code == 302
    fresh = rows(report_id)["values"]["II.1.b"]
    assert post(drafter, f"{base}/values/{fresh.id}", version=str(fresh.version),
                value="5").status_code == 200
    assert post(drafter, f"{base}/transitions", action="submit").status_code == 302
    page = reviewer.get(base).get_data(as_text=True)
    assert "Những gì thay đổi" in page and "II.1.b · value" in page
    assert post(reviewer, f"{base}/transitions", action="accept").status_code == 302
    # only the reviewer's level reopens an accepted report
    assert post(drafter, f"{base}/transitions", action="reopen", reason="x").status_code == 403
    assert post(reviewer, f"{base}/transitions", action="reopen",
                reason="Sửa số lớp").status_code == 302
    with system_scope("test"):
        assert load(report_id).status == "draft"


def test_the_lock_date_stops_drafting(app: Flask, report_id: int, login_as) -> None:
    with system_scope("test"):
        period = db.session.get(ReportingPeriod, load(report_id).period_id)
        period.lock_date = date(2026, 12, 15)
        db.session.commit()
    drafter = login_as("drafter")
    count = rows(report_id)["values"]["II.1.b"]
    with clock.frozen_at(datetime(2026, 12, 16, 2, 0, tzinfo=UTC)):
        refused = post(drafter, f"/reports/{report_id}/values/{count.id}",
                       version=str(count.version), value="3")
        assert refused.status_code == 422
        assert "khóa sổ" in refused.get_data(as_text=True)
    with clock.frozen_at(datetime(2026, 12, 14, 2, 0, tzinfo=UTC)):
        assert post(drafter, f"/reports/{report_id}/values/{count.id}",
                    version=str(count.version), value="3").status_code == 200


def test_report_api(app: Flask, report_id: int, token_for,
                    province_reviewer: str) -> None:
    client = app.test_client()
    drafter = {"Authorization": f"Bearer {token_for('drafter')}"}
    reviewer = {"Authorization": f"Bearer {token_for(province_reviewer)}"}
    url = "/api/v1/units/D1/reports/2026"
    body = client.get(url, headers=drafter).get_json()
    assert body["status"] == "draft" and set(body["values"]) == {"II.1.a", "II.1.b"}
    task_id = next(iter(body["tasks"]))
    answer = client.put(url, headers=drafter, json={
        "values": {"II.1.a": {"numerator": 10, "denominator": 10}, "II.1.b": {"value": 3}},
        "tasks": {task_id: {"status": "done_late", "result": "Muộn 1 tháng"}},
        "narrative": {"results": "Đã hoàn thành"}})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["values"]["II.1.a"]["numerator"] == 10 and body["values"]["II.1.b"]["value"] == 3
    assert body["tasks"][task_id]["status"] == "done_late"
    # a PUT replaces what it names and leaves the rest
    body = client.put(url, headers=drafter, json={"narrative": {"proposals": "Thêm kinh phí"}}
                      ).get_json()
    assert body["narrative"] == {"results": "Đã hoàn thành", "difficulties": "",
                                 "proposals": "Thêm kinh phí"}
    assert body["values"]["II.1.b"]["value"] == 3
    # all or nothing: one bad value and nothing of the body is kept
    refused = client.put(url, headers=drafter, json={
        "values": {"II.1.b": {"value": 7}, "II.1.a": {"numerator": 11, "denominator": 10}}})
    assert refused.status_code == 422
    assert "values.II.1.a.numerator" in refused.get_json()["error"]["fields"]
    assert client.get(url, headers=drafter).get_json()["values"]["II.1.b"]["value"] == 3
    # transitions
    transitions = url + "/transitions"
    assert client.post(transitions, headers=reviewer, json={"action": "submit"}
                       ).status_code == 403
    for task in client.get(url, headers=drafter).get_json()["tasks"]:
        client.put(url, headers=drafter, json={"tasks": {task: {"status": "in_progress"}}})
    assert client.post(transitions, headers=drafter, json={"action": "submit"}
                       ).get_json()["status"] == "submitted"
    assert client.post(transitions, headers=reviewer, json={"action": "return"}
                       ).status_code == 422
    assert client.post(transitions, headers=reviewer, json={"action": "accept"}
                       ).get_json()["status"] == "accepted"
    assert client.get("/api/v1/units/QD/reports/2026", headers=drafter).status_code == 404


def test_submitting_while_an_autosave_lands(app: Flask, report_id: int, login_as,
                                            monkeypatch) -> None:
    """Leaving a text field saves it; a click on "submit" can arrive while that save is
    committed. The submission then acts on the report as it is now, not a 500."""
    from sqlalchemy import update

    import portal.reports.service as service

    drafter = login_as("drafter")
    base = f"/reports/{report_id}"
    for task in rows(report_id)["tasks"]:
        post(drafter, f"{base}/tasks/{task.id}", version=str(task.version),
             status="done_on_time", result="Xong")
    real_submit, calls = service.submit, []

    def submit_after_an_autosave(report, user_id):
        calls.append(report.version)
        if len(calls) == 1:   # another request bumps the row's version meanwhile
            db.session.execute(update(UnitReport.__table__).where(
                UnitReport.__table__.c.id == report.id).values(
                version=UnitReport.__table__.c.version + 1))
        return real_submit(report, user_id)

    monkeypatch.setattr(service, "submit", submit_after_an_autosave)
    response = post(drafter, f"{base}/transitions", action="submit")
    assert response.status_code == 302
    assert len(calls) == 2            # the first attempt met the bumped row; once more
    with system_scope("test"):
        assert load(report_id).status == "submitted"


def _submitted(report_id: int) -> None:
    from portal.reports.service import save_task_status, submit

    with system_scope("test"):
        report = load(report_id)
        for task in report.tasks:
            save_task_status(task, report, "in_progress", "", check_version=False)
        submit(report, None)
        db.session.commit()


def test_a_reviewer_never_reviews_their_own_units_report(
        app: Flask, report_id: int, login_as, token_for, province_reviewer: str) -> None:
    """The reviewer of a report is the level that receives it (PRODUCT.md): D1's own
    reviewer and consolidator neither accept, return nor reopen D1's report, in the pages
    or the API, and are not offered to; the province's reviewer does."""
    _submitted(report_id)
    client = app.test_client()
    api = "/api/v1/units/D1/reports/2026/transitions"
    page = f"/reports/{report_id}"
    for role in ("reviewer", "consolidator"):
        own, headers = login_as(role), {"Authorization": f"Bearer {token_for(role)}"}
        assert 'value="accept"' not in own.get(page).get_data(as_text=True)
        for action in ("accept", "return"):
            assert post(own, f"{page}/transitions", action=action,
                        reason="Thiếu").status_code == 403
            assert client.post(api, headers=headers,
                               json={"action": action, "reason": "Thiếu"}).status_code == 403
    above = login_as(province_reviewer)
    assert 'value="accept"' in above.get(page).get_data(as_text=True)
    assert post(above, f"{page}/transitions", action="accept").status_code == 302
    with system_scope("test"):
        assert load(report_id).status == "accepted"
    for role in ("reviewer", "consolidator"):
        own, headers = login_as(role), {"Authorization": f"Bearer {token_for(role)}"}
        assert post(own, f"{page}/transitions", action="reopen", reason="x").status_code == 403
        assert client.post(api, headers=headers,
                           json={"action": "reopen", "reason": "x"}).status_code == 403
    with system_scope("test"):
        assert load(report_id).status == "accepted"
    headers = {"Authorization": f"Bearer {token_for(province_reviewer)}"}
    assert client.post(api, headers=headers, json={"action": "reopen", "reason": "Sửa"}
                       ).get_json()["status"] == "draft"


def test_a_districts_reviewer_reviews_its_communes_report(
        app: Flask, report_id: int, login_as, token_for) -> None:
    """…while D1's reviewer is the level that receives the reports of D1's communes."""
    from portal.reports.service import open_report, submit
    from tenants.unit import Unit

    with system_scope("test"):
        commune = db.session.scalar(select(Unit).where(Unit.code == "C11"))
        report = open_report(commune, db.session.get(ReportingPeriod, load(report_id).period_id),
                             None)
        submit(report, None)          # a commune without a plan has no task to give
        db.session.commit()
        commune_report = report.id
    reviewer = login_as("reviewer")
    assert post(reviewer, f"/reports/{commune_report}/transitions",
                action="accept").status_code == 302
    headers = {"Authorization": f"Bearer {token_for('reviewer')}"}
    assert app.test_client().post("/api/v1/units/C11/reports/2026/transitions",
                                  headers=headers, json={"action": "reopen", "reason": "Sửa"}
                                  ).get_json()["status"] == "draft"


def test_a_report_conflict_names_the_fields_as_the_form_does(
        app: Flask, report_id: int, login_as) -> None:
    """A 409 on a report shows the report's own labels (the indicator's numerator label,
    the narrative's heading), not the raw keys ``numerator`` or ``results``."""
    drafter = login_as("drafter")
    ratio = rows(report_id)["values"]["II.1.a"]
    base = f"/reports/{report_id}"
    assert post(drafter, f"{base}/values/{ratio.id}", version=str(ratio.version),
                numerator="3", denominator="10").status_code == 200
    stale = post(drafter, f"{base}/values/{ratio.id}", version=str(ratio.version),
                 numerator="5", denominator="10")
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert '<th class="small">Đã đào tạo</th>' in html          # the indicator's label
    assert '<th class="small">numerator</th>' not in html
    with system_scope("test"):
        version = load(report_id).section_version("results")
    assert post(drafter, f"{base}/narrative/results", version=str(version),
                text="Đã làm").status_code == 200
    stale = post(drafter, f"{base}/narrative/results", version=str(version), text="Khác")
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert '<th class="small">Kết quả đạt được</th>' in html
    assert '<th class="small">results</th>' not in html
