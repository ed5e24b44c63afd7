"""A unit's own report as the document it signs: Word in the Decree 30 format and a print
view, the head as signer, the indicator values and task statuses as annexes on landscape
pages, "DỰ THẢO" until it is submitted. And the width estimate the layout relies on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx.enum.section import WD_ORIENT
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.accounts.user import User
from portal.documents import fitted_widths, text_width, unbroken_width
from portal.extensions import db
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.reports.report import UnitReport
from portal.reports.report_document import number, report_document
from portal.reports.service import accept, open_report, save_task_status, save_value, submit
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import make_framework
from tests.word_layout import (
    check_layout,
    draft_marked,
    header_lines,
    open_docx,
    pdf_text,
    sections_of_tables,
)

HEAD = "Nguyễn Văn An"
SUBMITTED_AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)     # 20/11/2026 in Vietnam


def fill(report_id: int) -> None:
    """D1's report: 1.500.000 for the count, 3 of 4 for the ratio, every task done."""
    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        codes = dict(db.session.execute(select(Indicator.id, Indicator.code)).tuples().all())
        for row in report.values:
            given = {"II.1.a": {"numerator": "3", "denominator": "4", "note": "Đợt 1"},
                     "II.1.b": {"value": "1.500.000"}}[codes[row.indicator_id]]
            save_value(row, report, given, check_version=False)
        for task in report.tasks:
            save_task_status(task, report, "done_on_time", "Đã tổ chức 2 hội nghị",
                             check_version=False)
        report.results = "Tổ chức 3 lớp tập huấn.\nPhổ biến Chỉ thị 38."
        head = db.session.scalar(select(User).where(User.username == "u.head"))
        head.full_name = HEAD
        db.session.commit()


def move(report_id: int, *steps) -> None:
    with system_scope("test"), clock.frozen_at(SUBMITTED_AT):
        report = db.session.get(UnitReport, report_id)
        for step in steps:
            step(report, None)
        db.session.commit()


def test_the_draft_report_as_a_word_document(app: Flask, report_id: int, login_as) -> None:
    fill(report_id)
    response = login_as("drafter").get(f"/reports/{report_id}/document.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="bao-cao-D1-2026-du-thao.docx"'
    document = open_docx(response.data)
    left, right = header_lines(document)
    assert left == ["ỦY BAN NHÂN DÂN", "HUYỆN MỘT", "Số: …/BC-UBND"]
    assert all(r.bold for p in document.tables[0].rows[0].cells[0].paragraphs[:2]
               for r in p.runs)        # a committee's name is bold on both of its lines
    assert right == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "Một, ngày … tháng … năm …"]
    texts = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in texts
    assert "Kết quả thực hiện Kế hoạch số 12/KH-UBND năm 2026" in texts
    for heading in ("I. KẾT QUẢ ĐẠT ĐƯỢC", "II. KHÓ KHĂN, VƯỚNG MẮC VÀ NGUYÊN NHÂN",
                    "III. ĐỀ XUẤT, KIẾN NGHỊ"):
        assert heading in texts
    assert "Tổ chức 3 lớp tập huấn." in texts and "Phổ biến Chỉ thị 38." in texts
    signature = next(t for t in document.tables if t.rows[0].cells[0].text.startswith("Nơi"))
    recipients, signer = signature.rows[0].cells
    assert [p.text for p in signer.paragraphs if p.text] == \
        ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", HEAD]
    assert signer.paragraphs[-1].runs[0].bold
    assert "- Ủy ban nhân dân tỉnh Một (để báo cáo)" in recipients.text
    assert draft_marked(document)
    check_layout(document)


def test_the_annexes_hold_the_values_and_tasks_on_landscape_pages(
        app: Flask, report_id: int, login_as) -> None:
    fill(report_id)
    document = open_docx(login_as("drafter").get(f"/reports/{report_id}/document.docx").data)
    indicators, tasks = document.tables[-2], document.tables[-1]
    assert [c.text for c in indicators.rows[0].cells] == \
        ["Mã", "Chỉ tiêu", "Đơn vị tính", "Kết quả", "Ghi chú"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in indicators.rows[1:]}
    assert rows["II.1.b"][2:4] == ["lớp", "1.500.000"]
    assert rows["II.1.a"][3:] == ["3/4 (75\u00a0%)", "Đợt 1"]
    assert [c.text for c in tasks.rows[0].cells] == \
        ["STT", "Nhiệm vụ", "Tình trạng", "Kết quả thực hiện"]
    assert len(tasks.rows) > 1
    assert [c.text for c in tasks.rows[1].cells][2:] == ["Hoàn thành đúng hạn",
                                                        "Đã tổ chức 2 hội nghị"]
    texts = [p.text for p in document.paragraphs]
    assert "Phụ lục I" in texts and "Phụ lục II" in texts
    assert "(Kèm theo Báo cáo số …/BC-UBND của Ủy ban nhân dân huyện Một)" in texts
    placed = sections_of_tables(document)
    annex = document.sections[placed[-1]]
    assert placed[-2] == placed[-1] == len(document.sections) - 1 > placed[0] == 0
    assert annex.orientation == WD_ORIENT.LANDSCAPE
    assert document.sections[0].orientation == WD_ORIENT.PORTRAIT
    header = indicators.rows[0]._tr.trPr.xml
    assert "tblHeader" in header                       # repeated on every annex page


def test_a_submitted_report_is_dated_and_no_longer_a_draft(app: Flask, report_id: int,
                                                           login_as) -> None:
    fill(report_id)
    move(report_id, submit)
    response = login_as("drafter").get(f"/reports/{report_id}/document.docx")
    assert "bao-cao-D1-2026-ban-gui.docx" in response.headers["Content-Disposition"]
    document = open_docx(response.data)
    assert not draft_marked(document)
    assert header_lines(document)[1][-1] == "Một, ngày 20 tháng 11 năm 2026"
    assert "(Kèm theo Báo cáo số …/BC-UBND ngày 20/11/2026 của Ủy ban nhân dân huyện Một)" \
        in [p.text for p in document.paragraphs]
    check_layout(document)
    move(report_id, accept)
    document = open_docx(login_as("drafter").get(f"/reports/{report_id}/document.docx").data)
    assert not draft_marked(document)


def test_the_print_view_shows_the_same_document(app: Flask, report_id: int,
                                                login_as) -> None:
    fill(report_id)
    drafter = login_as("drafter")
    page = drafter.get(f"/reports/{report_id}/print")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("ỦY BAN NHÂN DÂN", "HUYỆN MỘT", "Số: …/BC-UBND", "BÁO CÁO",
                 "Kết quả thực hiện Kế hoạch số 12/KH-UBND năm 2026", "TM. ỦY BAN NHÂN DÂN",
                 "CHỦ TỊCH", HEAD, "Phụ lục I", "Phụ lục II", "1.500.000",
                 "Hoàn thành đúng hạn", 'data-testid="draft-mark"', "css/print.css"):
        assert text in html, text
    assert "style=" not in html and "<script" not in html       # the CSP allows neither
    show = drafter.get(f"/reports/{report_id}").get_data(as_text=True)
    assert f"/reports/{report_id}/print" in show and f"/reports/{report_id}/document.docx" in show
    move(report_id, submit)
    assert 'data-testid="draft-mark"' not in drafter.get(f"/reports/{report_id}/print") \
        .get_data(as_text=True)


def test_a_commune_and_a_department_head_their_documents_as_decree_30_says(
        app: Flask, world) -> None:
    fid = make_framework("P1")
    with system_scope("test"):
        period = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == fid, ReportingPeriod.year == 2026))
        commune, department = (db.session.scalar(select(Unit).where(Unit.code == code))
                               for code in ("C11", "P1.SKHCN"))
        for_commune = report_document(open_report(commune, period, None))
        for_department = report_document(open_report(department, period, None))
    assert (for_commune.issuing_lines, for_commune.number, for_commune.place) == \
        ((None, ["Ủy ban nhân dân", "Xã Một Một"]), "…/BC-UBND", "Một Một")
    assert for_commune.signer_name == "(Họ và tên)"       # no head yet: written in by hand
    assert (for_department.issuing_lines, for_department.number, for_department.place) == \
        (("UBND Tỉnh Một", ["Sở Khoa học và Công nghệ"]), "…/BC-SKHCN", "Một")
    assert for_department.signing_lines == ["GIÁM ĐỐC"]


def test_out_of_reach_is_not_found(app: Flask, report_id: int, login_as) -> None:
    other = login_as("nobody")
    for suffix in ("document.docx", "print"):
        assert other.get(f"/reports/{report_id}/{suffix}").status_code == 404


@pytest.mark.parametrize(("value", "shown"), [
    ("1500000", "1.500.000"), ("12.5", "12,5"), ("0", "0"), ("1234.25", "1.234,25")])
def test_figures_in_vietnamese(value: str, shown: str) -> None:
    from decimal import Decimal

    assert number(Decimal(value)) == shown


def test_the_width_estimate_follows_times_new_roman() -> None:
    # digits are half an em and the dot a quarter: 4 em at 12 pt = 48 pt = 16,93 mm
    assert text_width("1.500.000", 12) == pytest.approx(16.93 * 1.05, abs=0.01)
    # bold S, T, T: 0,556 + 2 × 0,667 em at 12 pt = 22,68 pt = 8,0 mm
    assert text_width("STT", 12, bold=True) == pytest.approx(8.0 * 1.05, abs=0.01)
    assert text_width("Đồng", 12) == text_width("Dong", 12)   # marks sit above the letter


def test_narrow_columns_widen_to_their_longest_word() -> None:
    """The plan's task table used 10 mm for "STT" and 16 mm for "1.500.000": both broke."""
    needs = [unbroken_width("STT", 12, bold=True), 20.0, unbroken_width("1.500.000", 12)]
    widths = fitted_widths((10, 139, 16), needs, 165)
    assert widths[0] >= needs[0] and widths[2] >= needs[2]
    assert sum(widths) == pytest.approx(165)


def test_libreoffice_keeps_numbers_whole(app: Flask, report_id: int, login_as,
                                         tmp_path: Path) -> None:
    """LibreOffice (scripts/setup.sh installs it) and pypdf (a dependency: the PDF of
    record, docs/signing.md) are on every machine the platform runs on."""
    fill(report_id)
    data = login_as("drafter").get(f"/reports/{report_id}/document.docx").data
    text = pdf_text(data, tmp_path)
    assert text is not None, "LibreOffice (soffice) is not installed: run scripts/setup.sh"
    assert "STT" in text and "1.500.000" in text
