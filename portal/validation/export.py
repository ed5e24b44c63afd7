"""A validation run as an Excel workbook (openpyxl, the shared sheet helpers)."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from portal.clock import shown
from portal.export_cells import workbook_bytes
from portal.spreadsheets import finish_sheet, write_caption, write_header, write_row
from portal.validation.rule import IMPORTANCE_LABELS, Importance
from portal.validation.run import ValidationRun
from portal.validation.runs import RunRow


def run_workbook(run: ValidationRun, unit_name: str, year: int, by: str,
                 rows: list[RunRow]) -> bytes:
    book = Workbook()
    sheet: Worksheet = book.active  # type: ignore[assignment]  # a new Workbook has one worksheet
    sheet.title = "Vi phạm quy tắc"
    write_caption(sheet, f"Kiểm tra quy tắc kiểm tra số liệu năm {year}: {unit_name}", size=13)
    write_caption(sheet, f"Người chạy: {by} · lúc {shown(run.started_at)} · "
                         f"{run.reports_checked} báo cáo · {len(rows)} vi phạm")
    sheet.append([])
    header = write_header(sheet, ["Mã đơn vị", "Đơn vị", "Quy tắc", "Mức quan trọng",
                                  "Vế trái", "Vế phải", "Đã thông báo lần này"])
    for row in rows:
        importance = str(IMPORTANCE_LABELS[Importance(row.importance)]) if row.importance \
            else ""
        write_row(sheet, [row.unit, row.unit_name, row.rule, importance, row.left, row.right,
                          "Có" if row.notified else "Không"], ())
    finish_sheet(sheet, header_row=header, widths={"B": 40, "C": 50})
    return workbook_bytes(book)
