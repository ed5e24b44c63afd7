"""Administrative documents in the format of Decree 30/2020/NĐ-CP, as Word files.

A4; margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman; the issuing
body and the national motto side by side; "Số: …" and the italic place-and-date line;
the title in bold capitals; the body 14 pt, justified; the signature block on the right
and "Nơi nhận" on the left. A draft carries "DỰ THẢO" on every page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from docx import Document
from docx.blkcntnr import BlockItemContainer
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

FONT = "Times New Roman"


def date_line(place: str, day: date | None) -> str:
    """"Hưng Yên, ngày 05 tháng 01 năm 2026": leading zeros for days < 10 and months 1–2."""
    if day is None:
        return f"{place}, ngày     tháng     năm     "
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def run(line: Paragraph, text: str, *, bold: bool = False, italic: bool = False, size: int = 14,
        upper: bool = False) -> Run:
    """Text in Times New Roman (for Vietnamese too) added to a paragraph."""
    piece = line.add_run(text.upper() if upper else text)
    piece.bold, piece.italic = bold, italic
    piece.font.size = Pt(size)
    piece.font.name = FONT
    piece._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # type: ignore[union-attr]  # font.name made both
    return piece


def paragraph(container: DocxDocument | BlockItemContainer, text: str = "", *,
              align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True,
              **style: Any) -> Paragraph:
    """A body paragraph: justified with a first-line indent unless told otherwise."""
    line = container.add_paragraph()
    line.alignment = align
    line.paragraph_format.space_after = Pt(6)
    if indent and align == WD_ALIGN_PARAGRAPH.JUSTIFY:
        line.paragraph_format.first_line_indent = Mm(10)
    if text:
        run(line, text, **style)
    return line


def widths(table: Table, millimetres: tuple[float, ...]) -> None:
    """Fixed column widths, on the grid (LibreOffice) and on every cell (Word)."""
    table.autofit = False
    for column, width in zip(table.columns, millimetres, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres, strict=True):
            cell.width = Mm(width)


def no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)




def new_document(draft: bool) -> DocxDocument:
    """An A4 document with the margins and the type of Decree 30."""
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
    if draft:
        mark = section.header.paragraphs[0]
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        stamp = run(mark, "DỰ THẢO", bold=True, size=28)
        stamp.font.color.rgb = RGBColor(0xC0, 0xC0, 0xC0)
    return document


def header_block(document: DocxDocument, *, body: str, parent: str | None, number: str,
                 place: str, day: date | None) -> None:
    """The issuing body and "Số: …" on the left, the motto and the date line on the right."""
    table = document.add_table(rows=1, cols=2)
    no_borders(table)
    widths(table, (62, 103))
    left, right = table.rows[0].cells
    first = left.paragraphs[0]
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if parent:
        run(first, parent, size=13, upper=True)
        line = left.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        line = first
    run(line, body, bold=True, size=13, upper=True)
    numbered = left.add_paragraph()
    numbered.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(numbered, f"Số: {number}", size=13)
    motto = right.paragraphs[0]
    motto.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(motto, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
    freedom = right.add_paragraph()
    freedom.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(freedom, "Độc lập - Tự do - Hạnh phúc", bold=True, size=14)
    dated = right.add_paragraph()
    dated.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(dated, date_line(place, day), italic=True, size=14)


def cell(target: _Cell, text: str, *, bold: bool = False,
         align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.LEFT, size: int = 12) -> None:
    line = target.paragraphs[0]
    line.alignment = align
    run(line, text, bold=bold, size=size)


def grid(document: DocxDocument, headers: tuple[str, ...], rows: list[tuple[str, ...]],
         millimetres: tuple[float, ...]) -> None:
    """A bordered table: bold centred headers, then the rows."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for i, title in enumerate(headers):
        cell(table.rows[0].cells[i], title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for values in rows:
        cells = table.add_row().cells
        for i, value in enumerate(values):
            cell(cells[i], value)
    widths(table, millimetres)


def signature_block(document: DocxDocument, *, recipients: list[str], lines: list[str],
                    signer_name: str, placeholder: bool = False) -> None:
    """"Nơi nhận" on the left; the signing lines, room for the seal and the name on the right.

    ``placeholder`` marks lines the signer still fills in (a draft): italic, not bold.
    """
    paragraph(document, "")
    table = document.add_table(rows=1, cols=2)
    no_borders(table)
    widths(table, (80, 85))
    left, right = table.rows[0].cells
    run(left.paragraphs[0], "Nơi nhận:", bold=True, italic=True, size=12)
    if not any(r.lower().startswith("lưu") for r in recipients):
        recipients = [*recipients, "Lưu: VT."]
    for recipient in recipients:
        run(left.add_paragraph(), f"- {recipient}", size=11)
    for index, text in enumerate(lines):
        line = right.paragraphs[0] if index == 0 else right.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run(line, text, bold=not placeholder, italic=placeholder, size=14)
    for _ in range(3):  # room for the signature and the seal
        right.add_paragraph()
    name = right.add_paragraph()
    name.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(name, signer_name, bold=not placeholder, italic=placeholder, size=14)
