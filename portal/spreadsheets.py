"""Tables people send: CSV (UTF-8 with or without BOM, UTF-16, or Windows-1258 as older
Vietnamese office software saves it) or Excel (.xlsx, first sheet). Text comes back in
NFC, so composed and decomposed Vietnamese compare equal."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _

from portal.archives import ArchiveError, check_archive
from portal.problems import DomainError
from tenants.text import nfc

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
