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
    """The drafter hands the report to the head ("trình"), the head submits it, the
    reviewer level returns or accepts it and reopens an accepted one."""
    drafter, head, leader = login_as("drafter"), login_as("head"), login_as("leader")
    reviewer = login_as(province_reviewer)   # D1's report goes to the province
    base = f"/reports/{report_id}"
    found = rows(report_id)
    count = found["values"]["II.1.b"]
    assert post(drafter, f"{base}/values/{count.id}", version=str(count.version),
                value="3").status_code == 200
    # the head is never handed what cannot be submitted
    missing = post(drafter, f"{base}/transitions", action="hand_over")
    assert missing.status_code == 422 and "trạng thái" in missing.get_data(as_text=True)
    for task in found["tasks"]:
        assert post(drafter, f"{base}/tasks/{task.id}", version=str(task.version),
                    status="done_on_time", result="Xong").status_code == 200
    assert post(drafter, f"{base}/transitions", action="submit").status_code == 403
    assert post(drafter, f"{base}/transitions", action="hand_over").status_code == 302
    with system_scope("test"):
        assert load(report_id).status == "with_head"
    moment = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    with clock.frozen_at(moment):
        assert post(head, f"{base}/transitions", action="submit").status_code == 302
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
    with system_scope("test"):
        assert load(report_id).status == "returned"
    fresh = rows(report_id)["values"]["II.1.b"]
    assert post(drafter, f"{base}/values/{fresh.id}", version=str(fresh.version),
                value="5").status_code == 200
    assert post(drafter, f"{base}/transitions", action="hand_over").status_code == 302
    assert post(head, f"{base}/transitions", action="submit").status_code == 302
    page = reviewer.get(base).get_data(as_text=True)
    assert "Những gì thay đổi" in page and "II.1.b · value" in page
    assert post(reviewer, f"{base}/transitions", action="accept").status_code == 302
    # only the reviewer's level reopens an accepted report
    assert post(drafter, f"{base}/transitions", action="reopen", reason="x").status_code == 403
    assert post(reviewer, f"{base}/transitions", action="reopen",
                reason="Sửa số lớp").status_code == 302
    with system_scope("test"):
        assert load(report_id).status == "reopened"
    history = drafter.get(base).get_data(as_text=True)
    history = history[history.index("Lịch sử"):]
    assert [step in history for step in (
        "Bắt đầu lập báo cáo", "Trình lãnh đạo đơn vị", "Gửi báo cáo",
        "Cấp thẩm định trả lại để chỉnh sửa · Thiếu số liệu", "Đã được tiếp nhận",
        "Cấp thẩm định mở lại để sửa · Sửa số lớp")] == [True] * 6


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
    # transitions: the drafter hands it over, only the head submits
    transitions = url + "/transitions"
    head = {"Authorization": f"Bearer {token_for('head')}"}
    assert client.post(transitions, headers=reviewer, json={"action": "submit"}
                       ).status_code == 403
    for task in client.get(url, headers=drafter).get_json()["tasks"]:
        client.put(url, headers=drafter, json={"tasks": {task: {"status": "in_progress"}}})
    assert client.post(transitions, headers=drafter, json={"action": "submit"}
                       ).status_code == 403
    assert client.post(transitions, headers=drafter, json={"action": "hand_over"}
                       ).get_json()["status"] == "with_head"
    locked = client.put(url, headers=drafter, json={"narrative": {"results": "Sửa"}})
    assert locked.status_code == 422 and "trình lãnh đạo" in locked.get_json()["error"][
        "message"]
    assert client.post(transitions, headers=head, json={"action": "send_back"}
                       ).status_code == 422                        # a note is required
    assert client.post(transitions, headers=drafter, json={"action": "send_back",
                                                           "reason": "x"}).status_code == 403
    assert client.post(transitions, headers=head, json={"action": "submit"}
                       ).get_json()["status"] == "submitted"
    assert client.post(transitions, headers=reviewer, json={"action": "return"}
                       ).status_code == 422
    assert client.post(transitions, headers=reviewer, json={"action": "accept"}
                       ).get_json()["status"] == "accepted"
    assert client.post(transitions, headers=drafter, json={"action": "bogus"}
                       ).status_code == 400
    assert client.get("/api/v1/units/QD/reports/2026", headers=drafter).status_code == 404
    assert client.post("/api/v1/units/QD/reports/2026/transitions", headers=head,
                       json={"action": "submit"}).status_code == 404


def test_submitting_while_an_autosave_lands(app: Flask, report_id: int, login_as,
                                            monkeypatch) -> None:
    """Leaving a text field saves it; a click on "submit" can arrive while that save is
    committed. The submission then acts on the report as it is now, not a 500. (The head
    drafts and submits it himself here.)"""
    from sqlalchemy import update

    import portal.reports.service as service

    head = login_as("head")
    base = f"/reports/{report_id}"
    for task in rows(report_id)["tasks"]:
        post(head, f"{base}/tasks/{task.id}", version=str(task.version),
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
    response = post(head, f"{base}/transitions", action="submit")
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


def _tasks_given(report_id: int) -> None:
    from portal.reports.service import save_task_status

    with system_scope("test"):
        report = load(report_id)
        for task in report.tasks:
            save_task_status(task, report, "in_progress", "", check_version=False)
        db.session.commit()


def _take(report_id: int, action: str, reason: str = "") -> None:
    """A step of the loop through the service, as its role would take it."""
    from portal.reports.service import run_transition

    with system_scope("test"):
        run_transition(load(report_id), action, None, reason)
        db.session.commit()


def top_of(page: str) -> str:
    """The report page above its indicators: the title, the status and its notices."""
    return page[:page.index('id="values"')]


def test_a_returned_report_says_so_at_the_top(app: Flask, report_id: int, login_as,
                                              province_reviewer: str) -> None:
    """Issue 16: a returned report showed "Đang soạn", its reason buried in the history.
    It shows "Bị trả lại", the reviewer's reason, who and when, at the top."""
    _tasks_given(report_id)
    _take(report_id, "submit")
    reviewer = login_as(province_reviewer)
    with clock.frozen_at(datetime(2026, 11, 25, 2, 30, tzinfo=UTC)):
        assert post(reviewer, f"/reports/{report_id}/transitions", action="return",
                    reason="Thiếu số lớp tập huấn").status_code == 302
    top = top_of(login_as("drafter").get(f"/reports/{report_id}").get_data(as_text=True))
    assert 'data-testid="report-status">Bị trả lại</strong>' in top
    assert "Đang soạn" not in top
    notice = top[top.index('data-testid="notice-returned"'):]
    assert "Lý do: Thiếu số lớp tập huấn" in notice
    assert "Người duyệt của tỉnh trả lại lúc 25/11/2026 09:30." in notice   # Vietnam time
    listed = login_as("drafter").get("/units/D1/reports").get_data(as_text=True)
    assert "Bị trả lại</a>" in listed


def test_a_reopened_report_says_so_at_the_top(app: Flask, report_id: int, login_as,
                                              province_reviewer: str) -> None:
    _tasks_given(report_id)
    _take(report_id, "submit")
    _take(report_id, "accept")
    assert post(login_as(province_reviewer), f"/reports/{report_id}/transitions",
                action="reopen", reason="Sửa số liệu kinh phí").status_code == 302
    top = top_of(login_as("head").get(f"/reports/{report_id}").get_data(as_text=True))
    assert 'data-testid="report-status">Được mở lại để sửa</strong>' in top
    notice = top[top.index('data-testid="notice-reopened"'):]
    assert "Lý do: Sửa số liệu kinh phí" in notice and "Người duyệt của tỉnh mở lại" in notice
    with system_scope("test"):
        assert load(report_id).status == "reopened"
    # …and it is written again, then submitted again
    count = rows(report_id)["values"]["II.1.b"]
    assert post(login_as("drafter"), f"/reports/{report_id}/values/{count.id}",
                version=str(count.version), value="7").status_code == 200


def test_a_report_with_the_head_is_locked_for_everyone(app: Flask, report_id: int,
                                                       login_as) -> None:
    """Handed over, nothing is changed — not by the drafter, not by the head — until the
    head submits it or sends it back."""
    from portal.reports.evidence import EvidenceError, add_evidence
    from portal.reports.service import save_narrative

    _tasks_given(report_id)
    drafter, head = login_as("drafter"), login_as("head")
    with clock.frozen_at(datetime(2026, 11, 18, 1, 0, tzinfo=UTC)):
        assert post(drafter, f"/reports/{report_id}/transitions",
                    action="hand_over").status_code == 302
    count = rows(report_id)["values"]["II.1.b"]
    for person in (drafter, head):
        refused = post(person, f"/reports/{report_id}/values/{count.id}",
                       version=str(count.version), value="3")
        assert refused.status_code == 422
        assert "đã trình lãnh đạo đơn vị và đã khóa" in refused.get_data(as_text=True)
    with system_scope("test"), pytest.raises(ReportError):
        save_narrative(load(report_id), "results", "x", check_version=False)
    with system_scope("test"), pytest.raises((ReportError, EvidenceError)):
        add_evidence(load(report_id), "a.pdf", b"%PDF-1.4 x", None)
    page = drafter.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Người drafter đã trình lãnh đạo lúc 18/11/2026 08:00; chờ lãnh đạo gửi báo cáo." \
        in top_of(page)
    assert 'value="submit"' not in page and 'value="hand_over"' not in page
    offered = head.get(f"/reports/{report_id}").get_data(as_text=True)
    assert 'value="submit"' in offered and 'value="send_back"' in offered
    assert "Ghi chú cho người soạn" in offered


def test_each_person_is_offered_their_own_step(app: Flask, report_id: int, login_as) -> None:
    """A drafter hands the report over ("Trình lãnh đạo"); the head who writes it himself
    submits it ("Gửi báo cáo") and has nobody to hand it to; a drafter may not submit."""
    page = f"/reports/{report_id}"
    drafter = login_as("drafter").get(page).get_data(as_text=True)
    assert "Trình lãnh đạo</button>" in drafter and 'value="submit"' not in drafter
    head = login_as("head").get(page).get_data(as_text=True)
    assert "Gửi báo cáo</button>" in head and 'value="hand_over"' not in head
    _tasks_given(report_id)
    refused = post(login_as("drafter"), f"{page}/transitions", action="submit")
    assert refused.status_code == 403
    with system_scope("test"):
        assert load(report_id).status == "draft"
    assert post(login_as("head"), f"{page}/transitions", action="submit").status_code == 302


def test_the_head_sends_it_back_with_a_note(app: Flask, report_id: int, login_as,
                                            province_reviewer: str) -> None:
    """The head sends a report back with a note (required); it returns to the status it
    was handed over from — a draft stays a draft, a returned report stays returned with the
    reviewer's reason still shown — and the drafter reads the head's note at the top."""
    _tasks_given(report_id)
    drafter, head = login_as("drafter"), login_as("head")
    base = f"/reports/{report_id}/transitions"
    assert post(drafter, base, action="hand_over").status_code == 302
    assert post(drafter, base, action="send_back", reason="x").status_code == 403
    empty = post(head, base, action="send_back", reason="  ")
    assert empty.status_code == 422
    assert "người soạn cần sửa những gì" in empty.get_data(as_text=True)
    assert post(head, base, action="send_back",
                reason="Bổ sung kết quả tuyên truyền").status_code == 302
    with system_scope("test"):
        assert load(report_id).status == "draft"
    page = drafter.get(f"/reports/{report_id}").get_data(as_text=True)
    notice = top_of(page)[top_of(page).index('data-testid="notice-sent_back"'):]
    assert "Lãnh đạo trả lại: Bổ sung kết quả tuyên truyền" in notice
    assert "Người head trả lại lúc" in notice
    assert "Lãnh đạo trả lại cho người soạn · Bổ sung kết quả tuyên truyền" in page  # history
    # a report the reviewer returned, handed over and sent back, is still returned
    _take(report_id, "submit")
    _take(report_id, "return", "Thiếu minh chứng")
    assert post(drafter, base, action="hand_over").status_code == 302
    with_head = top_of(head.get(f"/reports/{report_id}").get_data(as_text=True))
    assert "Lý do: Thiếu minh chứng" in with_head and 'data-testid="notice-with_head"' in \
        with_head
    assert post(head, base, action="send_back", reason="Kèm biên bản").status_code == 302
    with system_scope("test"):
        assert load(report_id).status == "returned"
    top = top_of(drafter.get(f"/reports/{report_id}").get_data(as_text=True))
    assert "Lý do: Thiếu minh chứng" in top and "Lãnh đạo trả lại: Kèm biên bản" in top


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
                       ).get_json()["status"] == "reopened"


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
                                  ).get_json()["status"] == "reopened"


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


def test_migration_0014_gives_returned_and_reopened_reports_their_status(tmp_path) -> None:
    """Reports written before the loop had statuses of its own: a draft whose latest step
    is a return becomes "returned", a reopening "reopened"; other drafts and submitted
    reports stay. Downgrading makes returned, reopened and handed-over reports drafts.
    (Its own SQLite file, never the suite's database, as in test_dashboard. The rows are
    written through today's models at the newest revision, then the schema goes down to
    0013 and up to 0014 alone: the models need not match the schema of 0013.)"""
    import flask_migrate
    from sqlalchemy import text

    from composition import create_app
    from portal.config import TestingConfig
    from portal.reports.report import ReportTransition
    from portal.reports.service import open_report
    from tenants.unit import Unit
    from tests.builders import make_framework
    from tests.conftest import make_world

    uri = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    other = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=uri, MIGRATION_DATABASE_URL=uri)
    # unit -> (its status before the loop, its steps in order)
    before = {"D1": ("draft", ["create", "submit", "return"]),
              "C11": ("draft", ["create", "submit", "accept", "reopen"]),
              "C12": ("draft", ["create"]),
              "D2": ("submitted", ["create", "submit", "return", "submit"])}
    with other.app_context():
        flask_migrate.upgrade()
        make_world()
        fid = make_framework("P1")
        with system_scope("test"):
            period = db.session.scalar(select(ReportingPeriod).where(
                ReportingPeriod.framework_id == fid, ReportingPeriod.year == 2026))
            for code, (status, steps) in before.items():
                unit = db.session.scalar(select(Unit).where(Unit.code == code))
                report = open_report(unit, period, None)
                report.status = status
                for action in steps[1:]:
                    db.session.add(ReportTransition(
                        report_id=report.id, unit_id=unit.id, action=action,
                        from_status="x", to_status="x", at=clock.now()))
            db.session.commit()

        def statuses() -> dict[str, str]:
            with db.engine.connect() as connection:
                return dict(connection.execute(text(
                    "SELECT unit.code, unit_report.status FROM unit_report "
                    "JOIN unit ON unit.id = unit_report.unit_id")).tuples().all())

        flask_migrate.downgrade(revision="0013_indicator_targets")
        flask_migrate.upgrade(revision="0014_report_loop")
        upgraded = statuses()
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE unit_report SET status = 'with_head' WHERE "
                                    "unit_id = (SELECT id FROM unit WHERE code = 'C12')"))
        flask_migrate.downgrade(revision="0013_indicator_targets")
        downgraded = statuses()
        db.engine.dispose()
    assert upgraded == {"D1": "returned", "C11": "reopened", "C12": "draft", "D2": "submitted"}
    assert downgraded == {"D1": "draft", "C11": "draft", "C12": "draft", "D2": "submitted"}
