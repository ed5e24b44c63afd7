"""Checks of the Decree 30 layout that every Word document of the platform shares (plans,
consolidations, a unit's report): read back with python-docx, as a reader's Word sees it.
Plain helpers for the test modules (no fixtures, no tests here)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.table import Table

from portal.documents import CELL_PADDING, DRAFT_MARK, is_rule, text_width


def open_docx(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def header_lines(document: DocxDocument) -> tuple[list[str], list[str]]:
    """The texts of the header table's two columns, rules left out."""
    left, right = document.tables[0].rows[0].cells
    return ([p.text for p in left.paragraphs if not is_rule(p)],
            [p.text for p in right.paragraphs if not is_rule(p)])


def _rule(paragraphs: list, index: int, column: float) -> tuple[float, float]:
    """(length, off-centre) in mm of the rule at ``index``; fails if it is no rule."""
    rule = paragraphs[index]
    assert is_rule(rule), f"no rule at {index}: {rule.text!r}"
    layout = rule.paragraph_format
    left, right = (layout.left_indent or 0) / Mm(1), (layout.right_indent or 0) / Mm(1)
    return column - CELL_PADDING - left - right, abs(left - right)


def check_header_rules(document: DocxDocument) -> None:
    """A short centred rule under the issuing body (1/3 to 1/2 of its name's line) and
    one under the motto as long as the motto's line."""
    left, right = document.tables[0].rows[0].cells
    lines = left.paragraphs
    index = next(i for i, p in enumerate(lines) if is_rule(p))
    names = [p.text for p in lines[:index] if p.runs and p.runs[0].bold]
    assert names, "the issuing body is bold, right above its rule"
    assert lines[index + 1].text.startswith("Số: ")
    length, off_centre = _rule(lines, index, left.width / Mm(1))
    name = min(max(text_width(n, 13, bold=True) for n in names),
               left.width / Mm(1) - CELL_PADDING)
    assert off_centre < 0.01 and name / 3 <= length <= name / 2 + 0.01
    motto = "Độc lập - Tự do - Hạnh phúc"
    texts = [p.text for p in right.paragraphs]
    length, off_centre = _rule(right.paragraphs, texts.index(motto) + 1, right.width / Mm(1))
    assert off_centre < 0.01 and abs(length - text_width(motto, 13, bold=True)) < 0.5


def check_page_numbers(document: DocxDocument) -> None:
    """No number on page 1 (a first-page header of its own), a PAGE field from page 2 on,
    in every section (a landscape annex section numbers its pages too)."""
    first = document.sections[0]
    assert first.different_first_page_header_footer                     # w:titlePg
    assert first._sectPr.find(qn("w:titlePg")) is not None
    assert "PAGE" not in first.first_page_header._element.xml
    for section in document.sections:
        instructions = section.header._element.findall(".//" + qn("w:instrText"))
        assert any(i.text.strip() == "PAGE" for i in instructions)
    for later in document.sections[1:]:
        assert not later.different_first_page_header_footer


def draft_marked(document: DocxDocument) -> bool:
    """Whether "DỰ THẢO" stands at the top of page 1 (and of the pages after it)."""
    first = document.sections[0].first_page_header.paragraphs[0].text
    others = document.sections[0].header.paragraphs[0].text
    assert (DRAFT_MARK in first) == (DRAFT_MARK in others)
    return DRAFT_MARK in first


def check_draft_mark_clear_of_tables(document: DocxDocument) -> None:
    """The draft mark lives in the page headers, in the top margin: never in the body,
    never a floating shape that could lie over a table."""
    body = document.element.body.xml
    assert DRAFT_MARK not in body
    for section in document.sections:
        for part in (section.header, section.first_page_header):
            xml = part._element.xml
            assert "<wp:anchor" not in xml and "<v:shape" not in xml
    section = document.sections[0]
    assert section.header_distance + Mm(8) < section.top_margin      # one line fits above


def check_cells_unbroken(table: Table) -> None:
    """No word or number of a cell is wider than its cell ("ST/T", "1.500./000")."""
    for row in table.rows:
        for cell in row.cells:
            room = cell.width / Mm(1) - CELL_PADDING
            for line in cell.paragraphs:
                for piece in line.runs:
                    size = piece.font.size.pt if piece.font.size else 14
                    for word in piece.text.split():
                        assert text_width(word, size, bold=bool(piece.bold)) <= room + 0.01, \
                            f"{word!r} breaks in a {cell.width / Mm(1):.1f} mm cell"
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"


def sections_of_tables(document: DocxDocument) -> list[int]:
    """For each table of the body, the index of the section it is in."""
    found, section = [], 0
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:tbl"):
            found.append(section)
        elif element.tag == qn("w:p") and element.find(qn("w:pPr") + "/" + qn("w:sectPr")) \
                is not None:
            section += 1
    return found


def check_layout(document: DocxDocument) -> None:
    """Everything the documents share: A4 margins, rules, page numbers, draft mark, cells."""
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.top_margin.mm) == 20 and round(section.bottom_margin.mm) == 20
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    check_header_rules(document)
    check_page_numbers(document)
    check_draft_mark_clear_of_tables(document)
    for table in document.tables:
        check_cells_unbroken(table)
    for later in document.sections:
        if later.orientation == WD_ORIENT.LANDSCAPE:
            assert later.page_width > later.page_height
            assert round(later.page_width.mm) == 297


def pdf_text(data: bytes, folder: Path) -> str | None:
    """The text of the document converted by LibreOffice, or None when LibreOffice or a
    PDF reader is not installed (the checks that use it are optional)."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    try:
        import pypdf
    except ImportError:
        return None
    if office is None:
        return None
    source = folder / "document.docx"
    source.write_bytes(data)
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                    str(source)], check=True, capture_output=True, timeout=120)
    reader = pypdf.PdfReader(str(folder / "document.pdf"))
    return "\n".join(page.extract_text() for page in reader.pages)
