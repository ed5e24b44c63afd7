"""The coverage of a framework as an Excel workbook (openpyxl)."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from portal.export_cells import workbook_bytes
from portal.plans.service import CoverageRow
from portal.spreadsheets import finish_sheet, write_caption, write_header, write_row


def coverage_workbook(framework_name: str, rows: list[CoverageRow], without: list[int],
                      labels: dict[int, tuple[str, str]], kinds: dict[int, str]) -> bytes:
    book = Workbook()
    sheet: Worksheet = book.active  # type: ignore[assignment]  # a new Workbook has one worksheet
    sheet.title = "Độ bao phủ"
    write_caption(sheet, framework_name, size=13)
    sheet.append([])
    header = write_header(sheet, ["Mục", "Nhiệm vụ", "Số đơn vị triển khai",
                                  "Đơn vị triển khai", "Số đơn vị không áp dụng",
                                  "Đơn vị không áp dụng và lý do"])
    for row in rows:
        write_row(sheet, [
            row.node.path, row.node.title or row.node.text, len(row.implementing),
            "; ".join(labels[u][1] for u in row.implementing if u in labels),
            len(row.not_applicable),
            "; ".join(f"{labels[u][1]}: {reason}" for u, reason in row.not_applicable
                      if u in labels)], ("text", "text", "count", "text", "count", "text"))
    finish_sheet(sheet, header_row=header, widths={"B": 60, "D": 50, "F": 60})
    missing = book.create_sheet("Chưa có kế hoạch")
    header = write_header(missing, ["Mã", "Đơn vị", "Loại"])
    for unit_id in without:
        code, name = labels.get(unit_id, ("", ""))
        write_row(missing, [code, name, kinds.get(unit_id, "")], ())
    finish_sheet(missing, header_row=header, landscape=False)
    return workbook_bytes(book)
