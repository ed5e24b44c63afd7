"""One wrong field never loses the good ones (issue 16, item 6): a task card of a plan and
a value or task card of a report save every valid field and return the others' problems;
fields that only make sense together are refused together. And the autosave answer only
names slots the page has (no htmx ``oobErrorNoTarget``); each card is a fieldset whose
legend names the task or the indicator, each field tied to its message."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.plans.plan import PlanTask, UnitPlan
from portal.plans.service import save_task
from portal.reports.report import ReportValue, UnitReport
from portal.reports.service import (
    ReportError,
    open_report,
    save_task_status,
    save_value,
    save_value_fields,
)
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import AGGREGATE_PLAN, AGGREGATE_SETTINGS, make_framework
from tests.conftest import csrf_token

HX = {"HX-Request": "true"}
GOOD = {"content": "Tuyên truyền Chỉ thị 38", "lead": "Văn phòng", "start_date": "01/02/2026",
        "end_date": "30/11/2026", "outputs": "Báo cáo", "budget": "12.500.000",
        "funding_source": "Ngân sách xã", "not_applicable": "", "not_applicable_reason": ""}


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def first_task(plan_id: int) -> PlanTask:
    plan = db.session.scalar(select(UnitPlan).where(UnitPlan.id == plan_id))
    return plan.revisions[-1].task_rows[0]


def saved_task(plan_id: int, **values: str) -> tuple[PlanTask, dict[str, str]]:
    """Save the first task with GOOD changed by ``values``: the task and the problems."""
    task = first_task(plan_id)
    problems = save_task(task, task.revision, {**GOOD, **values}, [], task.version)
    db.session.commit()
    return first_task(plan_id), problems


# ---- the plan's task card: each kind of field on its own -------------------------------------


@pytest.mark.parametrize(("wrong", "refused", "fragment"), [
    ({"start_date": "31/02/2026"}, "start_date", "không phải là ngày"),
    ({"content": "x" * 20_001}, "content", "Tối đa"),
    ({"content": "   "}, "content", "mô tả"),
    ({"lead": "x" * 201}, "lead", "Tối đa"),
    ({"budget": "12 triệu"}, "budget", "không phải là số"),
    ({"budget": "1e309"}, "budget", ""),
    ({"not_applicable": "on"}, "not_applicable_reason", "lý do"),
])
def test_a_wrong_task_field_keeps_the_others(app: Flask, plan_id: int, wrong, refused,
                                             fragment) -> None:
    with system_scope("test"):
        before = first_task(plan_id)
        kept = getattr(before, refused) if hasattr(before, refused) else None
        version = before.version
        task, problems = saved_task(plan_id, **wrong)
        assert refused in problems and fragment in problems[refused], problems
        for name in ("lead", "outputs", "funding_source", "content"):
            if name not in problems:
                assert getattr(task, name) == GOOD[name], name   # the good fields are saved
        if refused in ("content", "lead", "budget"):
            assert getattr(task, refused) == kept            # the wrong one keeps what it had
        assert task.version == version + 1


def test_an_unknown_coordinating_unit_keeps_the_others(app: Flask, plan_id: int) -> None:
    with system_scope("test"):
        task = first_task(plan_id)
        outside = unit("QC").id      # another province's unit
        problems = save_task(task, task.revision, GOOD, [outside], task.version)
        db.session.commit()
        task = first_task(plan_id)
        assert "cùng tỉnh" in problems["coordinating"] and task.coordinating == []
        assert task.lead == "Văn phòng" and task.budget == 12_500_000


def test_dates_are_saved_together_or_not_at_all(app: Flask, plan_id: int) -> None:
    """The end may not precede the start: a wrong end refuses the start as well (and says
    so beside it), so the stored pair is never one the person did not mean."""
    with system_scope("test"):
        task, problems = saved_task(plan_id)
        assert (task.start_date, task.end_date) == (date(2026, 2, 1), date(2026, 11, 30))
        task, problems = saved_task(plan_id, start_date="01/03/2026", end_date="01/01/2026")
        assert "trước ngày bắt đầu" in problems["end_date"]
        assert "Bắt đầu" not in problems["start_date"] and "Kết thúc" in problems["start_date"]
        assert (task.start_date, task.end_date) == (date(2026, 2, 1), date(2026, 11, 30))
        task, problems = saved_task(plan_id, start_date="05/02/2026", end_date="31/02/2026")
        assert set(problems) == {"start_date", "end_date"}
        assert task.start_date == date(2026, 2, 1)          # not saved alone


def test_not_applicable_and_its_reason_are_saved_together(app: Flask, plan_id: int) -> None:
    with system_scope("test"):
        task, problems = saved_task(plan_id, not_applicable="on")
        assert set(problems) == {"not_applicable", "not_applicable_reason"}
        assert task.not_applicable is False and task.lead == "Văn phòng"
        task, problems = saved_task(plan_id, not_applicable="on",
                                    not_applicable_reason="Xã không có chợ")
        assert problems == {} and task.not_applicable
        assert task.not_applicable_reason == "Xã không có chợ"


# ---- the plan's task card on the web ------------------------------------------------------------


def post_task(client, plan_id: int, task: PlanTask, **values: str):
    token = csrf_token(client, f"/plans/{plan_id}")
    return client.post(f"/plans/{plan_id}/tasks/{task.id}", headers=HX,
                       data={"csrf_token": token, "version": str(task.version), **GOOD,
                             **values})


def messages(response) -> dict[str, str]:
    """The field messages of an autosave answer, by field (empty: the field is fine)."""
    return dict(re.findall(r'<div class="field-error" id="error-[a-z]+-\d+-(\w*)" '
                           r'hx-swap-oob="true">([^<]*)<', response.get_data(as_text=True)))


def test_a_bad_deadline_saves_the_rest_and_says_so(app: Flask, plan_id: int,
                                                   login_as) -> None:
    """Issue 16 item 6: "31/02/2026" in a task card used to lose every other field."""
    client = login_as("drafter")
    with system_scope("test"):
        task = first_task(plan_id)
        version = task.version
    response = post_task(client, plan_id, task, end_date="31/02/2026", lead="Phòng Kinh tế")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = messages(response)
    assert "không phải là ngày" in found["end_date"] and found["lead"] == ""
    assert "Đã lưu, trừ 2 ô có lỗi" in html     # the end, and the start saved with it
    assert f'id="version-task-{task.id}" value="{version + 1}"' in html
    with system_scope("test"):
        again = first_task(plan_id)
        assert again.lead == "Phòng Kinh tế" and again.budget == 12_500_000
        assert again.end_date is None                 # the wrong one: not saved
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert 'value="Phòng Kinh tế"' in page           # a reload shows what was saved


def test_a_locked_plan_still_refuses_the_whole_save(app: Flask, plan_id: int,
                                                    login_as) -> None:
    client = login_as("drafter")
    with system_scope("test"):
        task = first_task(plan_id)
        task.revision.status = "submitted"
        db.session.commit()
        task = first_task(plan_id)
    response = post_task(client, plan_id, task, lead="Khác")
    assert response.status_code == 422
    assert "không còn là dự thảo" in response.get_data(as_text=True)
    with system_scope("test"):
        assert first_task(plan_id).lead == ""


# ---- reports: a value's fields, a task's status and result --------------------------------------


@pytest.fixture
def kinds_report(world) -> int:
    """District D1's 2026 report on a plan with an indicator of each kind."""
    fid = make_framework("P1", text=AGGREGATE_PLAN, indicators=AGGREGATE_SETTINGS)
    with system_scope("test"):
        period = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == fid, ReportingPeriod.year == 2026))
        report = open_report(unit("D1"), period, None)
        db.session.commit()
        return report.id


def values_of(report_id: int) -> tuple[UnitReport, dict[str, ReportValue]]:
    report = db.session.get(UnitReport, report_id)
    codes = dict(db.session.execute(select(Indicator.id, Indicator.code)).tuples().all())
    return report, {codes[v.indicator_id]: v for v in report.values}


def test_a_bad_total_does_not_lose_the_note(app: Flask, kinds_report: int) -> None:
    with system_scope("test"):
        report, rows = values_of(kinds_report)
        ratio = rows["II.1.d"]
        read = save_value_fields(ratio, report, {"numerator": "3", "denominator": "abc",
                                                 "note": "Theo sổ theo dõi"}, ratio.version)
        db.session.commit()
        assert set(read.not_saved) == {"numerator", "denominator"}   # saved together
        assert "Tổng số" in read.not_saved["numerator"]             # it says which it waits for
        report, rows = values_of(kinds_report)
        ratio = rows["II.1.d"]
        assert ratio.note == "Theo sổ theo dõi" and ratio.denominator is None


@pytest.mark.parametrize(("code", "data", "refused"), [
    ("II.1.b", {"value": "3,5"}, "value"),                              # a count: whole
    ("II.1.d", {"numerator": "12", "denominator": "10"}, "numerator"),  # part over total
    ("II.1.d", {"numerator": "3"}, "denominator"),                      # a part needs a total
    ("II.1.a", {"yes_no": "perhaps"}, "yes_no"),
    ("II.1.e", {"text": "x" * 20_001}, "text"),
    ("II.1.b", {"value": "4", "note": "x" * 4_001}, "note"),
])
def test_a_wrong_value_field_keeps_the_note_or_the_figure(app: Flask, kinds_report: int, code,
                                                          data, refused) -> None:
    with system_scope("test"):
        report, rows = values_of(kinds_report)
        row = rows[code]
        given = {"note": "Ghi chú", **data}
        read = save_value_fields(row, report, given, row.version)
        db.session.commit()
        assert refused in read.not_saved, read.not_saved
        row = values_of(kinds_report)[1][code]
        if refused != "note":
            assert row.note == "Ghi chú"
        else:
            assert row.value == 4 and row.note == ""
        with pytest.raises(ReportError):     # the API's PUT stays all or nothing
            save_value(row, report, given, check_version=False)


def test_a_forged_status_does_not_lose_the_result(app: Flask, report_id: int) -> None:
    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        task = report.tasks[0]
        problems = save_task_status(task, report, "finished?", "Đã tổ chức 3 lớp",
                                    task.version, whole=False)
        db.session.commit()
        task = db.session.get(UnitReport, report_id).tasks[0]
        assert "status" in problems and task.result == "Đã tổ chức 3 lớp"
        assert task.status is None
        with pytest.raises(ReportError):
            save_task_status(task, report, "finished?", "x", check_version=False)


def test_a_report_value_answer_marks_only_the_wrong_field(app: Flask, kinds_report: int,
                                                          login_as) -> None:
    client = login_as("drafter")
    with system_scope("test"):
        ratio = values_of(kinds_report)[1]["II.1.d"]
    token = csrf_token(client, f"/reports/{kinds_report}")
    response = client.post(f"/reports/{kinds_report}/values/{ratio.id}", headers=HX, data={
        "csrf_token": token, "version": str(ratio.version), "numerator": "3",
        "denominator": "0,5", "note": "Theo sổ"})
    assert response.status_code == 200
    found = messages(response)
    assert found["denominator"] and found["note"] == ""
    assert set(found) == {"numerator", "denominator", "note", ""}   # the slots of this form
    page = client.get(f"/reports/{kinds_report}").get_data(as_text=True)
    assert 'value="Theo sổ"' in page


# ---- every slot an answer names is in the page (no oobErrorNoTarget) ---------------------------


def oob_ids(html: str) -> set[str]:
    return set(re.findall(r'id="([^"]+)"[^>]*hx-swap-oob', html))


def test_the_answers_name_only_slots_the_page_has(app: Flask, kinds_report: int,
                                                  report_id: int, plan_id: int,
                                                  login_as) -> None:
    """htmx logs ``oobErrorNoTarget`` for an out-of-band element whose id is not in the page:
    a count's answer used to carry the messages of a ratio's, a yes/no's and a text's
    fields, and no form had the slot of its general message."""
    client = login_as("drafter")
    token = csrf_token(client, "/auth/password")
    posts: list[tuple[str, str, dict[str, str]]] = []
    with system_scope("test"):
        for row in values_of(kinds_report)[0].values:
            posts.append((f"/reports/{kinds_report}", f"/reports/{kinds_report}/values/{row.id}",
                          {"version": str(row.version), "note": "x"}))
        report = db.session.get(UnitReport, report_id)
        task = report.tasks[0]
        posts.append((f"/reports/{report_id}", f"/reports/{report_id}/tasks/{task.id}",
                      {"version": str(task.version), "status": "in_progress"}))
        posts.append((f"/reports/{report_id}", f"/reports/{report_id}/narrative/results",
                      {"version": "1", "text": "x"}))
        plan = db.session.scalar(select(UnitPlan).where(UnitPlan.id == plan_id))
        revision = plan.revisions[-1]
        own = PlanTask(revision_id=revision.id, unit_id=revision.unit_id, key="own",
                       position=99, content="Nhiệm vụ riêng")
        db.session.add(own)
        db.session.commit()
        for task in (revision.task_rows[0], own):
            posts.append((f"/plans/{plan_id}", f"/plans/{plan_id}/tasks/{task.id}",
                          {"version": str(task.version), **GOOD, "end_date": "x"}))
        posts.append((f"/plans/{plan_id}", f"/plans/{plan_id}/sections/purpose",
                      {"version": "1", "text": "x"}))
        target = revision.target_rows[0]
        posts.append((f"/plans/{plan_id}", f"/plans/{plan_id}/targets/{target.id}",
                      {"value": "x"}))
    for page_url, url, data in posts:
        page = client.get(page_url).get_data(as_text=True)
        response = client.post(url, headers=HX, data={"csrf_token": token, **data})
        assert response.status_code in (200, 422), (url, response.status_code)
        sent = oob_ids(response.get_data(as_text=True))
        missing = {i for i in sent if f'id="{i}"' not in page}
        assert sent and not missing, (url, missing)


# ---- accessibility of the cards, in the rendered page -------------------------------------------


def test_cards_are_fieldsets_named_by_their_task_or_indicator(app: Flask, kinds_report: int,
                                                              plan_id: int, login_as) -> None:
    client = login_as("drafter")
    page = client.get(f"/reports/{kinds_report}").get_data(as_text=True)
    with system_scope("test"):
        rows = values_of(kinds_report)[1]
        tasks = first_task(plan_id).revision.task_rows
    for code, row in rows.items():
        form = page[page.index(f'id="value-{row.id}"'):]
        form = form[:form.index("</form>")]
        assert re.search(rf'<legend[^>]*><code id="ref-value-{row.id}">{re.escape(code)}</code>',
                         form)
        fields = re.findall(r'<(?:input|select|textarea) class="form-[^"]*" id="[^"]+" '
                            r'name="(\w+)" aria-labelledby="label-[^"]+ ref-value-\d+" '
                            r'aria-describedby="error-value-\d+-(\w+)"', form)
        assert fields and all(name == slot for name, slot in fields), (code, fields)
        assert "note" in dict(fields)
        assert form.count('role="status"') == 1 and 'aria-live="polite"' in form
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    for number, task in enumerate(tasks, start=1):
        assert f'<span id="ref-task-{task.id}">Nhiệm vụ {number}</span>' in page
        assert f'aria-labelledby="label-lead-{task.id} ref-task-{task.id}"' in page
        assert f'aria-describedby="error-task-{task.id}-end_date hint-end-{task.id}"' in page
    assert page.count('role="status" aria-live="polite"') >= len(tasks)


def test_the_status_is_one_live_region_whose_content_is_replaced(app: Flask, plan_id: int,
                                                                 login_as) -> None:
    """A new live region each answer is often not read at all: the answer is the content
    of the region that stays (hx-swap innerHTML), and carries no region of its own."""
    client = login_as("drafter")
    with system_scope("test"):
        task = first_task(plan_id)
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert re.search(rf'hx-target="#status-task-{task.id}" hx-swap="innerHTML"', page)
    html = post_task(client, plan_id, task).get_data(as_text=True)
    assert 'role="status"' not in html and f'id="status-task-{task.id}"' not in html
    assert "Đã lưu lúc" in html


def test_the_focus_ring_is_two_pixels_and_three_to_one(app: Flask) -> None:
    """WCAG 1.4.11: the ring on fields and buttons is at least 3:1 against the page."""
    css = Path(app.static_folder or "", "css", "portal.css").read_text()
    colour = re.search(r":root \{ --portal-focus: (#[0-9a-f]{6}); \}", css)[1]
    rule = re.search(r"\.form-control:focus, [^{]*\.btn:focus-visible[^{]*\{([^}]*)\}", css)[1]
    assert "outline: 2px solid var(--portal-focus)" in rule

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for background in ("#ffffff", "#f6f7f9"):   # a card, the page
        ratio = (luminance(background) + 0.05) / (luminance(colour) + 0.05)
        assert ratio >= 3, (background, ratio)
