"""Tables people send: CSV (UTF-8 with or without BOM, UTF-16, or Windows-1258 as older
Vietnamese office software saves it) or Excel (.xlsx, first sheet). Text comes back in
NFC, so composed and decomposed Vietnamese compare equal."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from portal.archives import ArchiveError, check_archive
from portal.problems import DomainError
from tenants.text import nfc

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

MAX_ROWS = 5000


class TableError(DomainError):
    """The file cannot be read as a table; the message says why, in the user's language."""


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]        # (line or row number, values by column)
    notes: list[str] = field(default_factory=list)


def _decode(data: bytes) -> tuple[str, list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:  # a byte-order mark, then not UTF-16 after all
            raise TableError(_("The file starts as UTF-16 text but is not; save it as "
                               "“CSV UTF-8” and try again.")) from exc
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258"), [_("The file was read as Windows-1258 (not UTF-8): "
                                         "check the Vietnamese letters in the preview.")]
    except UnicodeDecodeError as exc:
        raise TableError(_("The file is neither UTF-8 nor Windows-1258 text; save it as "
                           "“CSV UTF-8” and try again.")) from exc


def read_table(filename: str, data: bytes, aliases: dict[str, str]) -> Table:
    """Columns named as in ``aliases`` (lower-case header text -> column name)."""
    if not data:
        raise TableError(_("The file is empty."))
    if filename.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        raw_rows, notes = _xlsx_rows(data), list[str]()
    else:
        text, notes = _decode(data)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        try:
            # newline="": the csv module itself reads line ends, in quoted cells too.
            # A quote inside a quoted cell is always doubled (Excel, LibreOffice, RFC 4180):
            # the Sniffer's guess of doublequote=False would turn the cell "0, into "0.
            raw_rows = [(i, row) for i, row in enumerate(
                csv.reader(io.StringIO(text, newline=""), dialect, doublequote=True,
                           escapechar=None), start=1)]
        except csv.Error as exc:
            raise TableError(_("The file cannot be read as CSV (%(problem)s); save it again "
                               "as “CSV UTF-8”.", problem=str(exc))) from exc
    raw_rows = [(n, [nfc(cell_text(c)).strip() for c in row]) for n, row in raw_rows]
    raw_rows = [(n, row) for n, row in raw_rows if any(row)]
    if not raw_rows:
        raise TableError(_("The file has no rows."))
    header_cells = raw_rows[0][1]
    header = [aliases.get(h.lower(), h.lower()) for h in header_cells]
    if len(raw_rows) - 1 > MAX_ROWS:
        raise TableError(_("The file has %(n)d rows; import at most %(max)d at a time.",
                           n=len(raw_rows) - 1, max=MAX_ROWS))
    rows = [(n, {header[i]: row[i] if i < len(row) else "" for i in range(len(header))})
            for n, row in raw_rows[1:]]
    return Table(header=header, rows=rows, notes=notes)


def cell_text(value: object) -> str:
    """A cell as text: an Excel number 0 is "0" (not empty), 12.0 is "12", a date
    dd/mm/yyyy — as the readers of numbers and dates expect them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == time() else \
            value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _xlsx_rows(data: bytes) -> list[tuple[int, list]]:
    """The first sheet's rows, read as a stream (openpyxl's read-only mode) after the
    archive check, and no further than the row limit: a sheet of half a million rows is
    refused at row 5,002, not read whole first."""
    from openpyxl import load_workbook

    try:
        check_archive(data)
    except ArchiveError as exc:
        raise TableError(exc.messages) from exc
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # any unreadable workbook gets the same answer
        raise TableError(_("The Excel file cannot be read; save it again as .xlsx.")) from exc
    try:
        rows: list[tuple[int, list]] = []
        filled = 0
        for i, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            if not any(cell not in (None, "") for cell in row):
                continue                 # (empty rows are dropped by read_table anyway)
            filled += 1
            if filled > MAX_ROWS + 1:    # the header and MAX_ROWS rows
                raise TableError(_("The file has more than %(max)d rows; import at most "
                                   "%(max)d at a time.", max=MAX_ROWS))
            rows.append((i, list(row)))
        return rows
    except TableError:
        raise
    except Exception as exc:  # a sheet that breaks while streamed: the same answer
        raise TableError(_("The Excel file cannot be read; save it again as .xlsx.")) from exc
    finally:
        book.close()


# ---- workbooks the platform writes ----------------------------------------------------------
#
# Every workbook the platform makes (the consolidation, the dashboard, the coverage of a
# framework) lays its sheets out here, so a clerk gets the same sheet from each: numbers
# as numbers with Excel's standard format codes (a Vietnamese Excel shows "#,##0" as
# 1.500.000 and "0.0%" as 75,0%: the separators are the reader's locale, never ours),
# texts stored as text, a bold wrapped header row that stays frozen and repeats on every
# printed page, columns as wide as their content (within bounds), landscape A4 fitted to
# the page width.

NUMBER_FORMATS = {
    "count": "#,##0",        # a number of units, classes, products …
    "amount": "#,##0",       # an amount of money (the column's title says "đồng")
    "ratio": "0.0%",         # a ratio kept as a fraction (0.75 shows as 75,0%)
    "text": "@",             # a text, never read as a number or a date
}
DECIMAL_FORMAT = "#,##0.0#"  # a count or an amount that is not a whole number
MIN_WIDTH, MAX_WIDTH = 8, 60


def number_format(kind: str, value: object = None) -> str:
    """The format code of a cell of ``kind`` holding ``value``: a whole number is shown
    without decimals, any other with one or two (12,5 — never rounded to 13)."""
    code = NUMBER_FORMATS.get(kind, "General")
    if kind in ("count", "amount") and isinstance(value, float) and not value.is_integer():
        return DECIMAL_FORMAT
    return code


def write_row(sheet: Worksheet, values: list[object], kinds: list[str] | tuple[str, ...]) -> int:
    """Append a row whose cells take the formats of ``kinds`` (one per value; a missing
    kind is "text"); returns the row's number."""
    sheet.append(values)
    # The row ``append`` just wrote; not ``sheet.max_row``, which looks at every cell of
    # the sheet: one scan per row made a national workbook (320,000 rows) quadratic.
    row: int = sheet._current_row  # type: ignore[attr-defined]  # set by append
    for index, value in enumerate(values, start=1):
        kind = kinds[index - 1] if index - 1 < len(kinds) else "text"
        if value is None or value == "":
            continue
        sheet.cell(row=row, column=index).number_format = number_format(
            kind if not isinstance(value, str) else "text", value)
    return row


def write_header(sheet: Worksheet, titles: list[str] | tuple[str, ...]) -> int:
    """Append a header row: bold, wrapped, centred; returns its number."""
    from openpyxl.styles import Alignment, Font

    sheet.append(list(titles))
    row = sheet.max_row
    for cell in sheet[row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    return row


def write_caption(sheet: Worksheet, text: str, *, size: int | None = None) -> int:
    """Append a caption (a title above a table): one bold cell, which does not widen its
    column (``finish_sheet``)."""
    from openpyxl.styles import Font

    sheet.append([text])
    row = sheet.max_row
    sheet.cell(row=row, column=1).font = Font(bold=True, size=size) if size else Font(bold=True)
    return row


def _shown_length(value: object, code: str) -> int:
    """About how many characters Excel shows for the cell."""
    if isinstance(value, bool) or value is None:
        return 0 if value is None else 5
    if isinstance(value, int | float) and "%" in code:
        return len(f"{value * 100:.1f}") + 1
    if isinstance(value, int | float):
        return len(f"{value:,.2f}" if isinstance(value, float) and not value.is_integer()
                   else f"{int(value):,}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def finish_sheet(sheet: Worksheet, *, header_row: int, widths: dict[str, float] | None = None,
                 landscape: bool = True) -> None:
    """Lay the sheet out once it is written: column widths from the content (a caption —
    a row of one cell — does not count; bounded to 8…60 characters, longer texts wrap),
    ``widths`` (by column letter) where a column must be wider or narrower, rows down
    to ``header_row`` frozen and repeated on every printed page, landscape (or
    portrait), fitted to the page width."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    longest: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=header_row):
        filled = [c for c in row if c.value not in (None, "")]
        if len(filled) <= 1 and row[0].row != header_row:
            continue
        for cell in filled:
            length = _shown_length(cell.value, cell.number_format)
            if cell.row == header_row:   # a header wraps: its longest word counts
                length = max((len(w) for w in str(cell.value).split()), default=0)
            longest[cell.column] = max(longest.get(cell.column, 0), length)
    for column, length in longest.items():
        letter = get_column_letter(column)
        width = (widths or {}).get(letter, min(MAX_WIDTH, max(MIN_WIDTH, length + 2)))
        sheet.column_dimensions[letter].width = width
        for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=column,
                                       max_col=column):
            if isinstance(cell.value, str) and len(cell.value) > width:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    setup = sheet.page_setup
    setup.orientation = "landscape" if landscape else "portrait"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
