"""Unit plans: creation from the framework, editing, conflicts, workflow, revisions,
the Word export and the coverage figures."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, date, datetime

import pytest
from docx import Document
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.plans.export import date_line
from portal.plans.history import PlanComment
from portal.plans.plan import PlanTask, UnitPlan
from portal.plans.service import coverage, diff, start_plan
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import clerk_issues, framework, make_framework
from tests.conftest import csrf_token
from tests.word_layout import check_layout, draft_marked, header_lines


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def load(plan_id: int) -> UnitPlan:
    return db.session.scalar(select(UnitPlan).where(UnitPlan.id == plan_id))


def first_task(plan_id: int) -> PlanTask:
    with system_scope("test"):
        return load(plan_id).revisions[-1].task_rows[0]


def save_task(client, plan_id: int, task_id: int, version: int, **values):
    token = csrf_token(client, f"/plans/{plan_id}")
    data = {"csrf_token": token, "version": str(version), "content": "Nhiệm vụ", **values}
    return client.post(f"/plans/{plan_id}/tasks/{task_id}", data=data,
                       headers={"HX-Request": "true"})


def errors_in(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    return {m[0]: m[1] for m in re.findall(
        r'id="error-task-\d+-(\w*)" hx-swap-oob="true">([^<]+)<', html)}


def test_a_plan_starts_from_the_framework(plan_id: int) -> None:
    with system_scope("test"):
        plan = load(plan_id)
        revision = plan.revisions[-1]
        from portal.frameworks.framework import FrameworkNode

        paths = [db.session.get(FrameworkNode, t.framework_node_id).path
                 for t in revision.task_rows]
        targets = sorted((t.year, t.indicator_id) for t in revision.target_rows)
    # Section III's tasks, then the district's own duties from Section V
    assert paths == ["III.1.a", "III.1.b", "V.1", "V.3"]
    assert revision.status == "draft" and revision.number == 1
    assert "Nâng cao nhận thức" in revision.purpose and revision.funding == "Ngân sách nhà nước."
    assert len(targets) == 4  # two numeric indicators × the periods 2026 and 2027


def test_task_validation_names_each_field(app: Flask, plan_id: int, login_as) -> None:
    client = login_as("drafter")
    task = first_task(plan_id)
    with system_scope("test"):
        outside = unit("QC").id
    response = save_task(client, plan_id, task.id, task.version, start_date="01/06/2026",
                         end_date="01/03/2026", budget="12 triệu", lead="Văn phòng",
                         coordinating=str(outside), not_applicable="on",
                         not_applicable_reason="")
    assert response.status_code == 200        # saved, but for the fields in error
    problems = errors_in(response)
    assert "trước ngày bắt đầu" in problems["end_date"]
    assert "không phải là số" in problems["budget"]
    assert "cùng tỉnh" in problems["coordinating"]
    assert "lý do" in problems["not_applicable_reason"]
    with system_scope("test"):
        saved = first_task(plan_id)
        assert saved.lead == "Văn phòng"        # the good field is not lost for the bad ones
        assert saved.end_date is None and saved.budget is None and not saved.not_applicable


def test_pasted_text_is_cleaned_and_numbers_read_both_ways(app: Flask, plan_id: int,
                                                           login_as) -> None:
    client = login_as("drafter")
    task = first_task(plan_id)
    pasted = unicodedata.normalize("NFD", "Tuyên truyền\u00ad Chỉ thị\u200b 38\x0b")
    response = save_task(client, plan_id, task.id, task.version, content=pasted,
                         budget="1,234,567", start_date="05/01/2026", end_date="31/12/2026")
    assert response.status_code == 200
    saved = first_task(plan_id)
    assert saved.content == "Tuyên truyền Chỉ thị 38"
    assert unicodedata.is_normalized("NFC", saved.content)
    assert saved.budget == 1234567 and saved.start_date == date(2026, 1, 5)
    again = save_task(client, plan_id, task.id, saved.version, content="x", budget="1.234.567")
    assert again.status_code == 200 and first_task(plan_id).budget == 1234567


def test_a_stale_save_is_refused_and_shows_the_other_change(app: Flask, plan_id: int,
                                                            login_as) -> None:
    drafter, head = login_as("drafter"), login_as("head")
    task = first_task(plan_id)
    seen = task.version                     # both opened the page at this version
    assert save_task(head, plan_id, task.id, seen, content="Bản của chủ tịch").status_code == 200
    response = save_task(drafter, plan_id, task.id, seen, content="Bản của cán bộ")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Bản của chủ tịch" in html and "Bản của cán bộ" in html
    assert first_task(plan_id).content == "Bản của chủ tịch"   # nothing overwritten
    # keeping one's own version is a deliberate second step
    kept = save_task(drafter, plan_id, task.id, seen, content="Bản của cán bộ",
                     force_version=str(first_task(plan_id).version))
    assert kept.status_code == 200 and first_task(plan_id).content == "Bản của cán bộ"


def test_sections_have_versions_of_their_own(app: Flask, plan_id: int, login_as) -> None:
    client = login_as("drafter")
    token = csrf_token(client, f"/plans/{plan_id}")
    url = f"/plans/{plan_id}/sections/"
    assert client.post(url + "purpose", data={"csrf_token": token, "version": "1",
                                              "text": "Mục đích"}).status_code == 200
    # another section, loaded at the same time, still saves
    assert client.post(url + "funding", data={"csrf_token": token, "version": "1",
                                              "text": "Ngân sách"}).status_code == 200
    # the same section with the old version does not
    assert client.post(url + "purpose", data={"csrf_token": token, "version": "1",
                                              "text": "Khác"}).status_code == 409
    assert client.post(url + "title", data={"csrf_token": token, "version": "1",
                                            "text": "  "}).status_code == 422


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/auth/password"), **data})


# The number and the date are the register's (portal.register): none is typed.
ISSUE = {"signing_formula": "TM.",
         "signing_body": "Ủy ban nhân dân", "signing_authority": "KT. Chủ tịch",
         "signer_title": "Phó Chủ tịch", "signer_name": "Trần Thị Bình",
         "place": "Văn Lâm", "recipients": "UBND tỉnh;\n- Sở Khoa học và Công nghệ;"}


def test_workflow_draft_submit_return_issue_amend(app: Flask, plan_id: int,
                                                  login_as) -> None:
    drafter, head, leader = login_as("drafter"), login_as("head"), login_as("leader")
    base = f"/plans/{plan_id}"
    assert post(head, base + "/issue", **ISSUE).status_code == 422       # not submitted yet
    assert post(leader, base + "/submit", confirm="1").status_code == 403
    assert post(drafter, base + "/submit", confirm="1").status_code == 302
    task = first_task(plan_id)
    assert save_task(drafter, plan_id, task.id, task.version).status_code == 422  # locked
    assert post(drafter, base + "/issue", **ISSUE).status_code == 403     # only the head
    refused = post(head, base + "/return", reason="")
    assert refused.status_code == 422 and "lý do" in refused.get_data(as_text=True)
    assert post(head, base + "/return", reason="Bổ sung kinh phí").status_code == 302
    assert post(drafter, base + "/submit", confirm="1").status_code == 302
    bad = post(head, base + "/issue", **{**ISSUE, "signer_name": ""})
    assert bad.status_code == 422
    assert post(head, base + "/issue", **ISSUE).status_code == 302   # approved
    with system_scope("test"):
        assert load(plan_id).revisions[-1].status == "approved"      # no number yet
    assert clerk_issues(login_as, plan_id) == "01/KH-UBND"           # the clerk's issue
    with system_scope("test"):
        issued = load(plan_id).revisions[-1]
        assert (issued.status, issued.doc_number) == ("issued", "01/KH-UBND")  # the first
    # amending makes revision 2, a draft; revision 1 stays issued and in force
    assert post(drafter, base + "/amend", from_revision="1").status_code == 302
    with system_scope("test"):
        statuses = [(r.number, r.status) for r in load(plan_id).revisions]
    assert statuses == [(1, "issued"), (2, "draft")]
    history = drafter.get(base + "/history").get_data(as_text=True)
    for word in ("bắt đầu", "trình", "trả lại", "ban hành", "Bổ sung kinh phí"):
        assert word in history, word


def test_differences_between_revisions(app: Flask, plan_id: int, login_as) -> None:
    drafter, head = login_as("drafter"), login_as("head")
    base = f"/plans/{plan_id}"
    post(drafter, base + "/submit", confirm="1")
    post(head, base + "/issue", **ISSUE)
    clerk_issues(login_as, plan_id)
    post(drafter, base + "/amend", from_revision="1")
    task = first_task(plan_id)
    save_task(drafter, plan_id, task.id, task.version, content="Tuyên truyền trên đài",
              budget="5.000.000")
    token = csrf_token(drafter, base)
    drafter.post(base + "/tasks", data={"csrf_token": token, "confirm": "add"})
    with system_scope("test"):
        plan = load(plan_id)
        changes = diff(plan.revisions[0], plan.revisions[1])
    kinds = sorted(c.kind for c in changes.tasks)
    assert kinds == ["added", "changed"]
    changed = next(c for c in changes.tasks if c.kind == "changed")
    assert "<ins>5.000.000</ins>" in str(changed.fields["budget"])
    page = drafter.get(base + "/history?from=1&to=2").get_data(as_text=True)
    assert "<ins>" in page and "5.000.000" in page


def test_reviewers_comment_and_drafters_resolve(app: Flask, plan_id: int, login_as,
                                                province_reviewer: str) -> None:
    drafter, leader = login_as("drafter"), login_as("leader")
    reviewer = login_as(province_reviewer)   # D1's plan is reviewed by the province
    base = f"/plans/{plan_id}"
    assert post(leader, base + "/comments", body="Góp ý").status_code == 403
    assert post(reviewer, base + "/comments", body="").status_code == 422
    task_key = first_task(plan_id).key
    assert post(reviewer, base + "/comments", body="Làm rõ kinh phí",
                task_key=task_key).status_code == 302
    page = drafter.get(base).get_data(as_text=True)
    assert "Làm rõ kinh phí" in page
    comment_id = re.search(r"/comments/(\d+)/resolve", page).group(1)
    assert post(reviewer, f"{base}/comments/{comment_id}/resolve").status_code == 403
    assert post(drafter, f"{base}/comments/{comment_id}/resolve").status_code == 302
    assert "Đã xử lý" in drafter.get(base).get_data(as_text=True)


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 1, 5), "Hưng Yên, ngày 05 tháng 01 năm 2026"),
    (date(2026, 2, 28), "Hưng Yên, ngày 28 tháng 02 năm 2026"),
    (date(2026, 3, 9), "Hưng Yên, ngày 09 tháng 3 năm 2026"),
    (date(2026, 11, 30), "Hưng Yên, ngày 30 tháng 11 năm 2026"),
])
def test_the_date_line_of_decree_30(day: date, expected: str) -> None:
    assert date_line("Hưng Yên", day) == expected


def docx_text(data: bytes) -> tuple[Document, list[str]]:
    document = Document(io.BytesIO(data))
    return document, [p.text for p in document.paragraphs]


def test_word_export_of_an_issued_plan(app: Flask, plan_id: int, login_as) -> None:
    drafter, head = login_as("drafter"), login_as("head")
    base = f"/plans/{plan_id}"
    task = first_task(plan_id)
    save_task(drafter, plan_id, task.id, task.version, lead="Phòng Kinh tế",
              start_date="01/02/2026", end_date="30/11/2026", budget="15.000.000",
              funding_source="Ngân sách huyện", outputs="Báo cáo")
    draft = drafter.get(base + "/export.docx")
    assert draft.status_code == 200
    document, _ = docx_text(draft.data)
    assert draft_marked(document)
    check_layout(document)
    post(drafter, base + "/submit", confirm="1")
    post(head, base + "/issue", **ISSUE)
    with clock.frozen_at(datetime(2026, 1, 5, 3, 0, tzinfo=UTC)):   # the register dates it
        clerk_issues(login_as, plan_id)
    response = drafter.get(base + "/export.docx")
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "01-KH-UBND" in response.headers["Content-Disposition"]
    document, paragraphs = docx_text(response.data)
    section = document.sections[0]
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    assert round(section.page_width.mm) == 210 and round(section.top_margin.mm) == 20
    assert not draft_marked(document)                                 # no DỰ THẢO any more
    check_layout(document)
    left, right = header_lines(document)
    assert left == ["ỦY BAN NHÂN DÂN", "HUYỆN MỘT", "Số: 01/KH-UBND"]
    assert right == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "Văn Lâm, ngày 05 tháng 01 năm 2026"]
    assert document.tables[0].rows[0].cells[1].paragraphs[-1].runs[0].italic
    assert "KẾ HOẠCH" in paragraphs and "I. MỤC ĐÍCH, YÊU CẦU" in paragraphs
    tasks = next(t for t in document.tables if t.rows[0].cells[1].text == "Nội dung nhiệm vụ")
    assert [c.text for c in tasks.rows[0].cells] == ["STT", "Nội dung nhiệm vụ", "Chủ trì",
                                                      "Phối hợp", "Thời gian", "Sản phẩm",
                                                      "Kinh phí (đồng)"]
    row = [c.text for c in tasks.rows[1].cells]
    assert row[0] == "1" and row[2] == "Phòng Kinh tế" and row[4] == "01/02/2026 – 30/11/2026"
    assert row[6] == "15.000.000 (Ngân sách huyện)"
    signature = [p.text for p in document.tables[-1].rows[0].cells[1].paragraphs if p.text]
    assert signature == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                         "Trần Thị Bình"]
    recipients = [p.text for p in document.tables[-1].rows[0].cells[0].paragraphs]
    assert recipients == ["Nơi nhận:", "- UBND tỉnh;", "- Sở Khoa học và Công nghệ;",
                          "- Lưu: VT."]
    fonts = {r.font.name for p in document.paragraphs for r in p.runs}
    assert fonts == {"Times New Roman"}
    assert drafter.get(base + "/print").status_code == 200


def test_coverage_counts_units_tasks_and_reasons(app: Flask, world, login_as) -> None:
    fid = make_framework("P1")
    with system_scope("test"):
        fw = framework(fid)
        for code in ("D1", "D2", "C11"):
            start_plan(unit(code), fw, None)
        db.session.commit()
    # D1 and C11 issue their plans; C11 finds III.1.b not applicable
    for code in ("D1", "C11"):
        with system_scope("test"):
            plan = db.session.scalar(select(UnitPlan).join(Unit, Unit.id == UnitPlan.unit_id)
                                     .where(Unit.code == code))
            revision = plan.revisions[-1]
            if code == "C11":
                task = revision.task_rows[1]
                task.not_applicable, task.not_applicable_reason = True, "Xã không có chợ"
            revision.status = "issued"
            db.session.commit()
    with system_scope("test"):
        rows, expected, without = coverage(framework(fid))
        by_path = {r.node.path: r for r in rows}
        ids = {code: unit(code).id for code in ("D1", "D2", "C11", "C12", "C21", "P1.SKHCN")}
        communes, _exp, _without = coverage(framework(fid), {"commune"})
    assert len(by_path["III.1.a"].implementing) == 2
    assert by_path["III.1.b"].implementing == [ids["D1"]]
    assert by_path["III.1.b"].not_applicable == [(ids["C11"], "Xã không có chợ")]
    assert sorted(expected) == sorted(ids.values())
    assert sorted(without) == sorted([ids["D2"], ids["C12"], ids["C21"], ids["P1.SKHCN"]])
    assert {r.node.path: len(r.implementing) for r in communes}["III.1.a"] == 1
    # the page and the workbook say the same (the platform operator owns every framework)
    operator = login_as("platform")
    page = operator.get(f"/frameworks/{fid}/coverage").get_data(as_text=True)
    assert "2 trên 6 đơn vị đã ban hành kế hoạch" in page
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(operator.get(f"/frameworks/{fid}/coverage.xlsx").data))
    sheet = book["Độ bao phủ"]
    rows_xlsx = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows_xlsx["III.1.b"][2] == 1 and rows_xlsx["III.1.b"][4] == 1
    assert "Xã không có chợ" in rows_xlsx["III.1.b"][5]
    assert book["Chưa có kế hoạch"].max_row == 1 + 4


def test_plan_api(app: Flask, plan_id: int, token_for) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token_for('leader')}"}
    listing = client.get("/api/v1/units/D1/plans", headers=headers).get_json()["plans"]
    assert [(p["id"], p["revision"], p["status"], p["in_force"]) for p in listing] == [
        (plan_id, 1, "draft", None)]
    body = client.get(f"/api/v1/plans/{plan_id}", headers=headers).get_json()
    assert body["unit"] == "D1" and body["revisions"][0]["tasks"][0]["framework_item"] == \
        "III.1.a"
    document = client.get(f"/api/v1/plans/{plan_id}/export.docx", headers=headers)
    assert document.status_code == 200 and document.data[:2] == b"PK"
    other = {"Authorization": f"Bearer {token_for('drafter')}"}
    assert client.get("/api/v1/units/C11/plans", headers=other).status_code == 404


def test_the_word_export_opens_in_libreoffice(app: Flask, plan_id: int, login_as,
                                              tmp_path) -> None:
    import os
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed; scripts/setup.sh --browser installs it")
        pytest.skip("LibreOffice is not installed (scripts/setup.sh --browser installs it)")
    drafter, head = login_as("drafter"), login_as("head")
    post(drafter, f"/plans/{plan_id}/submit", confirm="1")
    post(head, f"/plans/{plan_id}/issue", **ISSUE)
    clerk_issues(login_as, plan_id)
    document = tmp_path / "plan.docx"
    document.write_bytes(drafter.get(f"/plans/{plan_id}/export.docx").data)
    result = subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(document)],
        capture_output=True, timeout=180, check=False)
    pdf = tmp_path / "plan.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000


def test_a_reviewer_never_reviews_their_own_units_plan(app: Flask, plan_id: int, login_as,
                                                       province_reviewer: str) -> None:
    """The reviewer of a plan is the level that receives it: D1's own reviewer and
    consolidator may not comment on D1's plan (nor are they offered to), yet they review
    the plans of D1's communes; the province's reviewer reviews D1's."""
    fid = load_framework_id(plan_id)
    with system_scope("test"):
        commune_plan = start_plan(unit("C11"), framework(fid), None).id
        db.session.commit()
    for role in ("reviewer", "consolidator"):
        own = login_as(role)
        page = own.get(f"/plans/{plan_id}").get_data(as_text=True)
        assert f'action="/plans/{plan_id}/comments"' not in page
        assert post(own, f"/plans/{plan_id}/comments", body="Góp ý").status_code == 403
        assert post(own, f"/plans/{commune_plan}/comments", body="Góp ý xã").status_code == 302
    above = login_as(province_reviewer)
    assert f'action="/plans/{plan_id}/comments"' in above.get(
        f"/plans/{plan_id}").get_data(as_text=True)
    assert post(above, f"/plans/{plan_id}/comments", body="Góp ý tỉnh").status_code == 302
    with system_scope("test"):
        assert list(db.session.scalars(select(PlanComment.body).where(
            PlanComment.plan_id == plan_id))) == ["Góp ý tỉnh"]


def load_framework_id(plan_id: int) -> int:
    with system_scope("test"):
        return load(plan_id).framework_id
