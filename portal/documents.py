"""Administrative documents in the format of Decree 30/2020/NĐ-CP, as Word files.

A4; margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman; the issuing
body and the national motto side by side, each with its short rule beneath; "Số: …" and
the italic place-and-date line; the title in bold capitals; the body 14 pt, justified;
the signature block on the right and "Nơi nhận" on the left. Page numbers are centred
in the top margin from page 2 on (the first page has a header of its own). A draft
carries "DỰ THẢO" in a box at the top right of every page, in the header, clear of the
tables. Tables have fixed column widths wide enough for their longest word or number
("STT", "1.500.000" never break inside a cell); a table too wide for a portrait page goes
into a landscape section of its own (``annex_section``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any

from docx import Document
from docx.blkcntnr import BlockItemContainer
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

FONT = "Times New Roman"
DRAFT_MARK = "DỰ THẢO"
DRAFT_STATUS = "Dự thảo"          # the file's content status while it is a draft
COMMITTEE = "Ủy ban nhân dân"     # the name a people's committee's header begins with
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
MARGINS = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 15.0}
HEADER_DISTANCE = 10.0            # the page number and the draft mark sit in the top margin
HEADER_COLUMNS = (64.0, 101.0)    # the issuing body | the motto (together the text width)
CELL_PADDING = 4.2                # Word's cell margins, 1.9 mm each side, and a little room
NBSP = "\u00a0"

# Advance widths of Times New Roman in thousandths of an em, for the characters from
# the space (32) to the tilde (126), regular then bold (Adobe's Times metrics, which
# Times New Roman and Liberation Serif share). A letter with diacritics measures as its
# base letter: Vietnamese marks sit above or below it.
_REGULAR = (
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541)
_BOLD = (
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500,
    930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778,
    611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500,
    333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500,
    556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520)
_OTHER = {"đ": 500, "Đ": 722, "–": 500, "—": 1000, "…": 1000, NBSP: 250, "“": 444,
          "”": 444, "‘": 333, "’": 333, "≥": 549, "≤": 549, "×": 564}
_HORN = "\u031b"                  # ơ, ư: the horn widens the letter a little


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """An estimate of the width of ``text`` in millimetres at ``size`` points, on one line.

    Close enough to decide column widths; a little generous (5 %) so that a word that
    fits by the estimate fits in Word and LibreOffice too."""
    table = _BOLD if bold else _REGULAR
    total = 0.0
    for char in text:
        if char in _OTHER:
            total += _OTHER[char]
            continue
        parts = unicodedata.normalize("NFD", char)
        base = parts[0]
        width = table[ord(base) - 32] if 32 <= ord(base) <= 126 else 600
        total += width * (1.1 if _HORN in parts else 1.0)
    return total / 1000 * size * 25.4 / 72 * 1.05


def unbroken_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width a cell needs so that no word or number of ``text`` breaks: its longest
    run without a space, with the cell's margins."""
    words = text.split() or [""]
    return max(text_width(word, size, bold=bold) for word in words) + CELL_PADDING


def date_line(place: str, day: date | None) -> str:
    """"Hưng Yên, ngày 05 tháng 01 năm 2026": leading zeros for days < 10 and months 1–2.

    Without a day (not yet signed) the day, month and year are dots to write in."""
    if day is None:
        return f"{place}, ngày … tháng … năm …"
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


def new_paragraph(container: DocxDocument | BlockItemContainer) -> Paragraph:
    """An empty paragraph at the end of ``container``, in constant time.

    python-docx's ``add_paragraph`` on a document body looks for the body's last
    ``w:sectPr`` from the first child on (``first_child_found_in``) to insert before it:
    one scan of the whole body per paragraph, quadratic in a report of thousands of
    narrative lines. The section properties are always the body's last child, so the new
    paragraph goes right before it (lxml reaches the last child without a scan)."""
    parent: BlockItemContainer = container._body if isinstance(
        container, DocxDocument) else container
    element = parent._element
    try:
        last = element[-1]
    except IndexError:
        last = None
    if last is None or last.tag != qn("w:sectPr"):
        return parent.add_paragraph()
    created = OxmlElement("w:p")
    last.addprevious(created)
    return Paragraph(created, parent)


def paragraph(container: DocxDocument | BlockItemContainer, text: str = "", *,
              align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True,
              **style: Any) -> Paragraph:
    """A body paragraph: justified with a first-line indent unless told otherwise."""
    line = new_paragraph(container)
    line.alignment = align
    line.paragraph_format.space_after = Pt(6)
    if indent and align == WD_ALIGN_PARAGRAPH.JUSTIFY:
        line.paragraph_format.first_line_indent = Mm(10)
    if text:
        run(line, text, **style)
    return line


def centred(container: BlockItemContainer, text: str, **style: Any) -> Paragraph:
    """A centred line of a header or signature block, without space around it."""
    line = new_paragraph(container)
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    line.paragraph_format.space_after = Pt(0)
    if text:
        run(line, text, **style)
    return line


def widths(table: Table, millimetres: Sequence[float]) -> None:
    """Fixed column widths, on the grid (LibreOffice) and on every cell (Word)."""
    table.autofit = False
    for column, width in zip(table.columns, millimetres, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres, strict=True):
            cell.width = Mm(width)


def fitted_widths(preferred: Sequence[float], needed: Sequence[float],
                  available: float) -> list[float]:
    """Column widths in the proportions of ``preferred`` over ``available`` millimetres,
    none narrower than it ``needed`` (its longest word or number); the other columns
    give up what the narrow ones take. When even the needs do not fit, the needs (the
    table then wants a landscape section: ``fits``)."""
    if sum(needed) >= available:
        return list(needed)
    scale = available / sum(preferred)
    result = [p * scale for p in preferred]
    while True:
        short = [i for i, w in enumerate(result) if w < needed[i] - 1e-9]
        if not short:
            return result
        for i in short:
            result[i] = needed[i]
        fixed = {i for i, w in enumerate(result) if w <= needed[i] + 1e-9}
        free = [i for i in range(len(result)) if i not in fixed]
        room = available - sum(result[i] for i in fixed)
        share = sum(result[i] for i in free)
        for i in free:
            result[i] = result[i] * room / share


def column_needs(headers: Sequence[str], rows: Sequence[Sequence[str]], size: int) -> list[float]:
    """What each column needs so that no word breaks: headers are bold, rows regular.
    A word longer than half a landscape line may break (it could not fit anyway)."""
    cap = text_width_of_section(landscape=True) / 2
    return [min(cap, max([unbroken_width(title, size, bold=True)]
                         + [unbroken_width(row[i], size) for row in rows]))
            for i, title in enumerate(headers)]


def text_width_of_section(*, landscape: bool) -> float:
    """The width between the margins of a portrait or a landscape page, in millimetres."""
    page = PAGE_HEIGHT if landscape else PAGE_WIDTH
    return page - MARGINS["left"] - MARGINS["right"]


def fits(headers: Sequence[str], rows: Sequence[Sequence[str]], *, size: int = 12,
         landscape: bool = False) -> bool:
    """Whether a table's words and numbers fit unbroken across a page of that orientation."""
    return sum(column_needs(headers, rows, size)) <= text_width_of_section(landscape=landscape)


def no_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _border(name: str, size: int = 6) -> Any:
    """A single black line, ``size`` eighths of a point thick."""
    edge = OxmlElement(f"w:{name}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"),
                       ("w:color", "000000")):
        edge.set(qn(key), value)
    return edge


def rule(container: BlockItemContainer, length: float, room: float) -> Paragraph:
    """A short centred horizontal line, ``length`` mm long in a column ``room`` mm wide:
    an empty paragraph with a bottom border, indented from both sides."""
    line = container.add_paragraph()
    margin = max(0.0, (room - CELL_PADDING - length) / 2)
    layout = line.paragraph_format
    layout.left_indent = layout.right_indent = Mm(margin)
    layout.space_before, layout.space_after, layout.line_spacing = Pt(0), Pt(4), Pt(2)
    borders = OxmlElement("w:pBdr")
    borders.append(_border("bottom"))
    line._p.get_or_add_pPr().append(borders)
    return line


def is_rule(line: Paragraph) -> bool:
    """Whether a paragraph is one of the short rules ``rule`` draws."""
    properties = line._p.pPr
    return properties is not None and properties.find(qn("w:pBdr")) is not None


def _page_field(line: Paragraph) -> None:
    """A PAGE field: the page's number, filled in by Word and LibreOffice."""
    for kind, instruction in (("begin", None), (None, " PAGE "), ("separate", None),
                              ("end", None)):
        piece = run(line, "", size=13)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            piece._r.append(char)
        else:
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = instruction
            piece._r.append(text)


def _draft_mark(line: Paragraph) -> None:
    """"DỰ THẢO" in bold capitals in a thin box."""
    piece = run(line, DRAFT_MARK, bold=True, size=13)
    piece._element.get_or_add_rPr().append(_border("bdr", size=8))


def _page_headers(section: Section, *, draft: bool, first_page: bool) -> None:
    """The page number centred from the section's second page (or its first, when the
    section does not begin the document), and the draft mark at the right on every page,
    all on one line of the top margin."""
    section.header_distance = Mm(HEADER_DISTANCE)
    width = (section.page_width - section.left_margin - section.right_margin)  # type: ignore[operator]  # set by the caller
    section.header.is_linked_to_previous = False
    numbered = section.header.paragraphs[0]
    stops = numbered.paragraph_format.tab_stops
    stops.add_tab_stop(width // 2, WD_TAB_ALIGNMENT.CENTER)
    stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    run(numbered, "\t", size=13)
    _page_field(numbered)
    if draft:
        run(numbered, "\t", size=13)
        _draft_mark(numbered)
    section.different_first_page_header_footer = first_page
    if first_page:
        section.first_page_header.is_linked_to_previous = False
        top = section.first_page_header.paragraphs[0]
        top.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if draft:
            _draft_mark(top)


def _page_setup(section: Section, *, landscape: bool) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    across, down = (PAGE_HEIGHT, PAGE_WIDTH) if landscape else (PAGE_WIDTH, PAGE_HEIGHT)
    section.page_width, section.page_height = Mm(across), Mm(down)
    section.top_margin, section.bottom_margin = Mm(MARGINS["top"]), Mm(MARGINS["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS["left"]), Mm(MARGINS["right"])


def is_draft(document: DocxDocument) -> bool:
    return document.core_properties.content_status == DRAFT_STATUS


def new_document(draft: bool) -> DocxDocument:
    """An A4 document with the margins, the type and the page headers of Decree 30."""
    document = Document()
    section = document.sections[0]
    _page_setup(section, landscape=False)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    document.core_properties.content_status = DRAFT_STATUS if draft else ""
    _page_headers(section, draft=draft, first_page=True)
    return document


def annex_section(document: DocxDocument, *, landscape: bool) -> Section:
    """A new section on a new page for an annex, landscape for a wide table; the page
    numbers run on, the draft mark follows."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    _page_setup(section, landscape=landscape)
    _page_headers(section, draft=is_draft(document), first_page=False)
    return section


def current_width(document: DocxDocument) -> float:
    """The width between the margins of the section being written, in millimetres."""
    section = document.sections[-1]
    return (section.page_width - section.left_margin - section.right_margin) / Mm(1)  # type: ignore[operator]  # set by _page_setup


def issuing_lines(body: str, parent: str | None) -> tuple[str | None, list[str]]:
    """(the governing body, the issuing body's lines). A people's committee has no
    governing body: "ỦY BAN NHÂN DÂN" / "XÃ …" is its own name on two lines, both bold."""
    if parent and parent.strip().lower() == COMMITTEE.lower():
        return None, [COMMITTEE, body]
    return parent, [body]


def header_block(document: DocxDocument, *, body: str, parent: str | None, number: str,
                 place: str, day: date | None) -> None:
    """The issuing body, its rule and "Số: …" on the left; the motto, its rule and the
    date line on the right."""
    table = document.add_table(rows=1, cols=2)
    no_borders(table)
    widths(table, HEADER_COLUMNS)
    left, right = table.rows[0].cells
    left._tc.remove(left.paragraphs[0]._p)
    right._tc.remove(right.paragraphs[0]._p)
    governing, names = issuing_lines(body, parent)
    if governing:
        centred(left, governing, size=13, upper=True)
    for name in names:
        centred(left, name, bold=True, size=13, upper=True)
    longest = max(text_width(name.upper(), 13, bold=True) for name in names)
    rule(left, min(longest, HEADER_COLUMNS[0] - CELL_PADDING) * 0.4, HEADER_COLUMNS[0])
    centred(left, f"Số: {number}", size=13)
    centred(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
    motto = "Độc lập - Tự do - Hạnh phúc"
    centred(right, motto, bold=True, size=13)
    rule(right, text_width(motto, 13, bold=True), HEADER_COLUMNS[1])
    centred(right, date_line(place, day), italic=True, size=13)


def cell(target: _Cell, text: str, *, bold: bool = False,
         align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.LEFT, size: int = 12) -> None:
    """A table cell's text; "12,5 %" keeps its figure and its sign on one line."""
    line = target.paragraphs[0]
    line.alignment = align
    run(line, text.replace(" %", NBSP + "%"), bold=bold, size=size)


def _repeat_header(table: Table) -> None:
    """The header row again at the top of each page the table runs onto."""
    properties = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)


def grid(document: DocxDocument, headers: Sequence[str], rows: Sequence[Sequence[str]],
         millimetres: Sequence[float], *,
         align: Sequence[WD_ALIGN_PARAGRAPH] | None = None, size: int = 12) -> Table:
    """A bordered table across the current section: bold centred headers repeated on each
    page, then the rows. ``millimetres`` are the columns' proportions; no column is made
    narrower than its longest word or number needs."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    aligns = list(align or [WD_ALIGN_PARAGRAPH.LEFT] * len(headers))
    for i, title in enumerate(headers):
        cell(table.rows[0].cells[i], title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
             size=size)
    for values in rows:
        cells = table.add_row().cells
        for i, value in enumerate(values):
            cell(cells[i], value, align=aligns[i], size=size)
    _repeat_header(table)
    shown_rows = [[value.replace(" %", NBSP + "%") for value in values] for values in rows]
    widths(table, fitted_widths(millimetres, column_needs(headers, shown_rows, size),
                                current_width(document)))
    return table


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
