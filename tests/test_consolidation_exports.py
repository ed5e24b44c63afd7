"""Exports a clerk would not have to redo (issue 17): the workbooks' layout, the
consolidation workbook's yes/no and text cells, the consolidated report's sender,
addressee and signer, and its narrative compiled by theme and edited before export."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from portal.accounts.service import create_user, grant
from portal.extensions import db
from portal.reports.consolidation import launch, run_consolidation
from portal.reports.consolidation_documents import head_of
from portal.reports.narrative_compile import compile_section, compiled_text, running_name
from portal.reports.report import UnitReport
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import exported, framework, version_of
from tests.conftest import csrf_token
from tests.word_layout import check_layout, header_lines


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def consolidate(fid: int, code: str) -> int:
    with system_scope("test"):
        row = launch(unit(code), framework(fid), 2026, None)
        db.session.commit()
        row_id, root = row.id, row.unit_id
    assert run_consolidation(row_id, root) == "done"
    return row_id


def rows_of(sheet) -> list[list]:
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return [row[:max((i + 1 for i, v in enumerate(row) if v is not None), default=0)]
            for row in rows]


@pytest.fixture
def snapshot(province: int) -> int:
    """The dashboard's province P1 consolidated for 2026: II.1.a yes/no (D1, D2 and
    P1.SKHCN yes, C11 no), II.1.e a text of D1's."""
    return consolidate(province, "P1")


def test_the_consolidation_workbook_has_formats_widths_and_a_frozen_header(
        snapshot: int, login_as) -> None:
    book = load_workbook(io.BytesIO(exported(login_as("platform"), snapshot, "xlsx").data))
    summary = book["Tổng hợp"]
    assert summary["A4"].number_format == "#,##0" and summary["E4"].number_format == "0.0%"
    header = next(r for r in range(5, 10) if summary.cell(row=r, column=1).value == "Đơn vị")
    assert summary.freeze_panes == f"A{header + 1}"
    assert summary.print_title_rows == f"${header}:${header}"
    assert summary.cell(row=header, column=2).font.b
    assert summary.cell(row=header, column=2).alignment.wrap_text
    assert summary.page_setup.orientation == "landscape"
    assert summary.page_setup.fitToWidth == 1 and summary.sheet_properties.pageSetUpPr.fitToPage
    counts = book["II_1_b"]
    assert counts.freeze_panes == "A3" and counts["A2"].value == "Đơn vị" and counts["A2"].font.b
    assert counts["B3"].value == 6 and counts["B3"].number_format == "#,##0"
    assert counts["A3"].number_format == "@"                        # text as text
    width = counts.column_dimensions["A"].width
    assert len("Sở Khoa học và Công nghệ") <= width <= 60           # fits, bounded
    ratio = book["II_1_d"]
    # a stock: D2's 5/20 of 2025, D1's 10/10 and C11's 0/90 of 2026
    assert ratio["D3"].value == pytest.approx(15 / 120) and ratio["D3"].number_format == "0.0%"


def test_yes_no_answers_are_filled_per_unit(snapshot: int, login_as) -> None:
    """Issue 17: the per-unit answers of II.1.a were blank for every unit."""
    rows = rows_of(load_workbook(io.BytesIO(
        exported(login_as("platform"), snapshot, "xlsx").data))["II_1_a"])
    assert rows[1] == ["Đơn vị", "Số đơn vị trả lời Có", "Số đơn vị phải báo cáo", "Tỷ lệ"]
    assert rows[2][:3] == ["Toàn đơn vị", 3, 5]    # C21 closed; C12's draft is no report
    start = rows.index(["Theo từng đơn vị đã báo cáo"])
    assert rows[start + 1] == ["Mã đơn vị", "Đơn vị", "Trả lời"]
    answers = {row[0]: row[2] if len(row) > 2 else "" for row in rows[start + 2:]}
    assert answers == {"D1": "Có", "D2": "Có", "P1.SKHCN": "Có", "C11": "Không"}


def test_text_counts_add_up_over_the_children(snapshot: int, login_as) -> None:
    """Issue 17: a total of "1 nội dung" over columns of "0 nội dung"."""
    operator = login_as("platform")
    rows = rows_of(load_workbook(io.BytesIO(exported(operator, snapshot, "xlsx").data))["II_1_e"])
    assert rows[1] == ["Đơn vị", "Số nội dung"]
    counts = {row[0]: row[1] for row in rows[2:rows.index([])]}
    assert counts["Toàn đơn vị"] == 1 and counts["Huyện Một"] == 1 and counts["Huyện Hai"] == 0
    assert sum(v for k, v in counts.items() if k != "Toàn đơn vị") == counts["Toàn đơn vị"]
    start = rows.index(["Theo từng đơn vị đã báo cáo"])
    assert ["D1", "Huyện Một", "Đã tập huấn"] in rows[start + 2:]
    document = Document(io.BytesIO(exported(operator, snapshot, "docx").data))
    annex = document.tables[-1]
    column = [c.text for c in annex.rows[0].cells].index("II.1.e")
    by_child = {row.cells[0].text: row.cells[column].text for row in annex.rows[1:]}
    assert by_child["Huyện Một"] == "1 nội dung" and by_child["Huyện Hai"] == "0 nội dung"


def test_the_province_report_is_the_departments_to_the_peoples_committee(
        province: int, login_as) -> None:
    with system_scope("test"):
        head = create_user("u.giamdoc", "Mat-khau-2026!", full_name="Nguyễn Văn Giám")
        grant(head, unit("P1.SKHCN"), "head")
        db.session.commit()
    snapshot = consolidate(province, "P1")
    document = Document(io.BytesIO(exported(login_as("platform"), snapshot, "docx").data))
    issuer, _motto = header_lines(document)
    check_layout(document)
    assert issuer == ["UBND TỈNH MỘT", "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "Số:      /BC-SKHCN"]
    texts = [p.text for p in document.paragraphs]
    assert "Kính gửi: Ủy ban nhân dân tỉnh Một." in texts
    assert not any("Tỉnh Một" in t for t in texts)                # no capital mid-sentence
    signature = next(t for t in document.tables if t.rows[0].cells[0].text.startswith("Nơi"))
    signer = signature.rows[0].cells[1].text
    assert "GIÁM ĐỐC" in signer and "Nguyễn Văn Giám" in signer


def test_a_district_report_is_its_committees_to_the_one_above(report_id: int,
                                                             login_as) -> None:
    from tests.builders import province_framework_id

    snapshot = consolidate(province_framework_id(report_id), "D1")
    document = Document(io.BytesIO(exported(login_as("consolidator"), snapshot, "docx").data))
    assert header_lines(document)[0] == ["UBND HUYỆN MỘT", "Số:      /BC-UBND"]
    assert "Kính gửi: Ủy ban nhân dân tỉnh Một." in [p.text for p in document.paragraphs]
    signer = next(t for t in document.tables if t.rows[0].cells[0].text.startswith("Nơi"))
    block = signer.rows[0].cells[1].text
    # on behalf of the committee, its chair; the name of D1's head, when it has one
    assert "TM. ỦY BAN NHÂN DÂN" in block and "CHỦ TỊCH" in block
    assert "(Chức vụ người ký)" not in block
    with system_scope("test"):
        name = head_of(unit("D1"))
    assert (name or "(Họ và tên)") in block


# ---- the narrative, compiled by theme ------------------------------------------------------

PASSAGES = [
    {"name": "Xã An", "text": "- Tổ chức 2 lớp tập huấn về đo lường.\n"
                              "- Kiểm tra 5 cơ sở kinh doanh xăng dầu."},
    {"name": "Xã Bình", "text": "Tổ chức 2 lớp tập huấn về đo lường"},       # the same
    {"name": "Phường Cầu", "text": "Tổ chức 02 lớp tập huấn về đo lường."},  # nearly
    {"name": "Sở Công Thương", "text": "1. Kiểm tra 5 cơ sở kinh doanh xăng dầu;\n\n"
                                       "2. Hoàn thành các nhiệm vụ được giao."},
    {"name": "Xã Dương", "text": "   "},                                     # empty
]


def test_the_narrative_is_compiled_by_theme_citing_its_units() -> None:
    themes = compile_section(PASSAGES)
    assert [t.title for t in themes] == ["Đào tạo, tập huấn", "Thanh tra, kiểm tra",
                                         "Nội dung khác"]
    assert compiled_text(PASSAGES) == (
        "a) Đào tạo, tập huấn\n"
        "Tổ chức 2 lớp tập huấn về đo lường (UBND xã An, UBND xã Bình, UBND phường Cầu).\n"
        "\n"
        "b) Thanh tra, kiểm tra\n"
        "Kiểm tra 5 cơ sở kinh doanh xăng dầu (UBND xã An, Sở Công Thương).\n"
        "\n"
        "c) Nội dung khác\n"
        "Hoàn thành các nhiệm vụ được giao (Sở Công Thương).")
    assert compiled_text([]) == ""
    assert compiled_text([{"name": "Xã An", "text": "Tổ chức 2 lớp tập huấn."},   # other numbers:
                          {"name": "Xã Bình", "text": "Tổ chức 3 lớp tập huấn."}]) == (
        "a) Đào tạo, tập huấn\nTổ chức 2 lớp tập huấn (UBND xã An).\n"           # never one
        "Tổ chức 3 lớp tập huấn (UBND xã Bình).")
    assert running_name("Thành phố Hưng Yên") == "thành phố Hưng Yên"
    assert running_name("Sở Công Thương") == "Sở Công Thương"


def write_narratives(texts: dict[str, str]) -> None:
    with system_scope("test"):
        for code, text in texts.items():
            report = db.session.scalar(select(UnitReport).where(
                UnitReport.unit_id == unit(code).id))
            report.results = text
        db.session.commit()


def grant_at_province(*roles: str) -> None:
    """The role accounts of these roles hold them in province P1 too."""
    with system_scope("test"):
        from portal.accounts.service import find_user
        for role in roles:
            grant(find_user(f"u.{role}"), unit("P1"), role)
        db.session.commit()


def test_the_page_prefills_the_compiled_narrative_and_the_report_prints_it(
        province: int, login_as) -> None:
    write_narratives({"D1": "Tổ chức 3 lớp tập huấn về tiêu chuẩn cơ sở.",
                      "C11": "- Tổ chức 3 lớp tập huấn về tiêu chuẩn cơ sở",
                      "P1.SKHCN": "Kiểm tra 12 cơ sở kinh doanh xăng dầu."})
    snapshot = consolidate(province, "P1")
    grant_at_province("consolidator")
    page = login_as("consolidator").get(f"/consolidations/{snapshot}").get_data(as_text=True)
    assert "Tổ chức 3 lớp tập huấn về tiêu chuẩn cơ sở (UBND huyện Một, UBND xã Một Một)." \
        in page
    document = Document(io.BytesIO(exported(login_as("consolidator"), snapshot, "docx").data))
    texts = [p.text for p in document.paragraphs]
    assert "Kiểm tra 12 cơ sở kinh doanh xăng dầu (Sở Khoa học và Công nghệ)." in texts
    assert "b) Thanh tra, kiểm tra" in texts
    assert not any(t.startswith("Huyện Một:") for t in texts)      # no dump unit by unit


def test_a_consolidator_edits_the_narrative_and_the_report_prints_the_edit(
        province: int, login_as) -> None:
    write_narratives({"D1": "Tổ chức 3 lớp tập huấn."})
    snapshot = consolidate(province, "P1")
    grant_at_province("consolidator", "leader")
    with system_scope("test"):
        from portal.reports.consolidation import Consolidation
        before = db.session.get(Consolidation, snapshot).result
    editor = login_as("consolidator")
    page = editor.get(f"/consolidations/{snapshot}").get_data(as_text=True)
    token = csrf_token(editor, f"/consolidations/{snapshot}")
    url = f"/consolidations/{snapshot}/narrative/results"
    version = version_of(page, "version-consolidation-narrative-results")
    edited = "a) Đào tạo, tập huấn\nToàn tỉnh tổ chức 3 lớp tập huấn (UBND huyện Một)."
    saved = editor.post(url, headers={"HX-Request": "true"},
                        data={"csrf_token": token, "version": version, "text": edited})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    stale = editor.post(url, headers={"HX-Request": "true"},
                        data={"csrf_token": token, "version": version, "text": "khác"})
    assert stale.status_code == 409                       # nothing overwritten
    document = Document(io.BytesIO(exported(editor, snapshot, "docx").data))
    texts = [p.text for p in document.paragraphs]
    assert "Toàn tỉnh tổ chức 3 lớp tập huấn (UBND huyện Một)." in texts
    assert "a) Đào tạo, tập huấn" in texts
    with system_scope("test"):
        assert db.session.get(Consolidation, snapshot).result == before   # figures as made
    leader = login_as("leader")                          # reads the edited text, no form
    read = leader.get(f"/consolidations/{snapshot}").get_data(as_text=True)
    assert "Toàn tỉnh tổ chức 3 lớp tập huấn" in read
    assert f"consolidations/{snapshot}/narrative/results" not in read
    leader_token = csrf_token(leader, f"/consolidations/{snapshot}")
    assert leader.post(url, data={"csrf_token": leader_token, "version": "2",
                                  "text": "x"}).status_code == 403
    reviewer = login_as("reviewer")                      # P1's consolidation: out of reach
    reviewer_token = csrf_token(reviewer, "/auth/password")
    assert reviewer.post(url, data={"csrf_token": reviewer_token, "version": "2",
                                    "text": "x"}).status_code == 404
