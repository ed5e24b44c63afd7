"""A unit plan as a Word document in the administrative format of Decree 30/2020/NĐ-CP.

A4; margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman; the issuing
body and the national motto side by side; "Số: …" and the italic place-and-date line;
the title in bold capitals; the body 14 pt, justified; tasks as a table; the signature
block on the right and "Nơi nhận" on the left. A draft carries "DỰ THẢO" on every page.
"""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from portal.frameworks.indicator import Indicator
from portal.plans.plan import PlanRevision, RevisionStatus

FONT = "Times New Roman"


def date_line(place: str, day: date | None) -> str:
    """"Hưng Yên, ngày 05 tháng 01 năm 2026": leading zeros for days < 10 and months 1–2."""
    if day is None:
        return f"{place}, ngày     tháng     năm     "
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _run(paragraph, text: str, *, bold=False, italic=False, size=14, upper=False):  # type: ignore[no-untyped-def]
    run = paragraph.add_run(text.upper() if upper else text)
    run.bold, run.italic = bold, italic
    run.font.size = Pt(size)
    run.font.name = FONT
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return run


def _paragraph(container, text: str = "", *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True,  # type: ignore[no-untyped-def]
               **style):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(6)
    if indent and align == WD_ALIGN_PARAGRAPH.JUSTIFY:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    if text:
        _run(paragraph, text, **style)
    return paragraph


def _widths(table, millimetres: tuple[float, ...]) -> None:  # type: ignore[no-untyped-def]
    """Fixed column widths, on the grid (LibreOffice) and on every cell (Word)."""
    table.autofit = False
    for column, width in zip(table.columns, millimetres, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres, strict=True):
            cell.width = Mm(width)


def _no_borders(table) -> None:  # type: ignore[no-untyped-def]
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def build_plan_docx(revision: PlanRevision, *, unit_name: str, parent_name: str | None,
                    indicators: dict[int, Indicator], coordinators: dict[int, str],
                    framework_number: str | None) -> bytes:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)

    draft = revision.status != RevisionStatus.ISSUED.value and \
        revision.status != RevisionStatus.SUPERSEDED.value
    if draft:
        mark = section.header.paragraphs[0]
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = _run(mark, "DỰ THẢO", bold=True, size=28)
        run.font.color.rgb = RGBColor(0xC0, 0xC0, 0xC0)

    # Header: the issuing body and the national motto side by side.
    header = document.add_table(rows=1, cols=2)
    _no_borders(header)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(header, (62, 103))
    left, right = header.rows[0].cells
    first = left.paragraphs[0]
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if parent_name:
        _run(first, parent_name, size=13, upper=True)
        body = left.add_paragraph()
        body.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        body = first
    _run(body, unit_name, bold=True, size=13, upper=True)
    number = left.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(number, f"Số: {revision.doc_number or '     /KH'}", size=13)
    motto = right.paragraphs[0]
    motto.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(motto, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
    freedom = right.add_paragraph()
    freedom.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(freedom, "Độc lập - Tự do - Hạnh phúc", bold=True, size=14)
    dated = right.add_paragraph()
    dated.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(dated, date_line(revision.place or "", revision.issued_on), italic=True, size=14)

    _paragraph(document, "")
    _paragraph(document, "KẾ HOẠCH", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    _paragraph(document, revision.title, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    if framework_number:
        _paragraph(document, f"Thực hiện Kế hoạch số {framework_number}",
                   align=WD_ALIGN_PARAGRAPH.CENTER, italic=True)

    sections = [("I. MỤC ĐÍCH, YÊU CẦU", revision.purpose),
                ("II. CHỈ TIÊU", revision.targets),
                ("III. NHIỆM VỤ VÀ GIẢI PHÁP", revision.tasks),
                ("IV. KINH PHÍ THỰC HIỆN", revision.funding),
                ("V. TỔ CHỨC THỰC HIỆN", revision.organization)]
    for heading, text in sections:
        _paragraph(document, heading, indent=False, bold=True)
        for line in (text or "").splitlines():
            if line.strip():
                _paragraph(document, line.strip())
        if heading.startswith("II."):
            _targets_table(document, revision, indicators)
        if heading.startswith("III."):
            _tasks_table(document, revision, coordinators)

    _signature_and_recipients(document, revision)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _cell(cell, text: str, *, bold=False, align=WD_ALIGN_PARAGRAPH.LEFT, size=12):  # type: ignore[no-untyped-def]
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    _run(paragraph, text, bold=bold, size=size)


def _targets_table(document, revision: PlanRevision, indicators: dict[int, Indicator]) -> None:  # type: ignore[no-untyped-def]
    rows = [t for t in revision.target_rows if t.value is not None]
    if not rows:
        return
    years = sorted({t.year for t in rows})
    table = document.add_table(rows=1, cols=2 + len(years))
    table.style = "Table Grid"
    _cell(table.rows[0].cells[0], "Mã", bold=True)
    _cell(table.rows[0].cells[1], "Chỉ tiêu", bold=True)
    for i, year in enumerate(years):
        _cell(table.rows[0].cells[2 + i], str(year), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    by_indicator: dict[int, dict[int, object]] = {}
    for t in rows:
        by_indicator.setdefault(t.indicator_id, {})[t.year] = t.value
    for indicator_id, values in by_indicator.items():
        indicator = indicators[indicator_id]
        cells = table.add_row().cells
        _cell(cells[0], indicator.code)
        _cell(cells[1], indicator.name)
        for i, year in enumerate(years):
            value = values.get(year)
            if value is None:
                text = ""
            elif indicator.is_fraction:
                text = f"{float(value) * 100:g} %".replace(".", ",")
            else:
                text = f"{int(value):,}".replace(",", ".") if value == int(value) else \
                    f"{value}".replace(".", ",")
            _cell(cells[2 + i], text, align=WD_ALIGN_PARAGRAPH.CENTER)
    year_width = 75 / len(years)
    _widths(table, (18, 72, *(year_width,) * len(years)))


TASK_HEADERS = ("STT", "Nội dung nhiệm vụ", "Chủ trì", "Phối hợp", "Thời gian",
                "Sản phẩm", "Kinh phí (đồng)")


def _tasks_table(document, revision: PlanRevision, coordinators: dict[int, str]) -> None:  # type: ignore[no-untyped-def]
    tasks = [t for t in revision.task_rows if not t.not_applicable]
    table = document.add_table(rows=1, cols=len(TASK_HEADERS))
    table.style = "Table Grid"
    for i, title in enumerate(TASK_HEADERS):
        _cell(table.rows[0].cells[i], title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for number, task in enumerate(tasks, 1):
        cells = table.add_row().cells
        when = " – ".join(d.strftime("%d/%m/%Y") for d in (task.start_date, task.end_date) if d)
        budget = f"{int(task.budget):,}".replace(",", ".") if task.budget is not None else ""
        if budget and task.funding_source:
            budget += f" ({task.funding_source})"
        values = (str(number), task.content, task.lead,
                  ", ".join(coordinators.get(c.coordinating_unit_id, "")
                            for c in task.coordinating), when, task.outputs, budget)
        for i, value in enumerate(values):
            _cell(cells[i], value, align=WD_ALIGN_PARAGRAPH.CENTER if i == 0
                  else WD_ALIGN_PARAGRAPH.LEFT)
    _widths(table, (10, 55, 22, 22, 22, 18, 16))


def _signature_and_recipients(document, revision: PlanRevision) -> None:  # type: ignore[no-untyped-def]
    _paragraph(document, "")
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, (80, 85))
    left, right = table.rows[0].cells
    heading = left.paragraphs[0]
    _run(heading, "Nơi nhận:", bold=True, italic=True, size=12)
    recipients = [r.strip().lstrip("-– ").strip() for r in (revision.recipients or "")
                  .splitlines() if r.strip()]
    if not any(r.lower().startswith("lưu") for r in recipients):
        recipients.append("Lưu: VT.")
    for recipient in recipients:
        line = left.add_paragraph()
        _run(line, f"- {recipient}", size=11)
    lines = []
    if revision.signing_formula and revision.signing_body:
        lines.append(f"{revision.signing_formula} {revision.signing_body}".upper())
    if revision.signing_authority:
        lines.append(revision.signing_authority.upper())
    lines.append((revision.signer_title or "").upper())
    first = True
    for text in lines:
        paragraph = right.paragraphs[0] if first else right.add_paragraph()
        first = False
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(paragraph, text, bold=True, size=14)
    for _ in range(3):  # room for the signature and the seal
        right.add_paragraph()
    name = right.add_paragraph()
    name.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(name, revision.signer_name or "", bold=True, size=14)
