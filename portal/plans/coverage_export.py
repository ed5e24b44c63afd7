"""The coverage of a framework as an Excel workbook (openpyxl)."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from portal.export_cells import workbook_bytes
from portal.plans.service import CoverageRow


def coverage_workbook(framework_name: str, rows: list[CoverageRow], without: list[int],
                      labels: dict[int, tuple[str, str]], kinds: dict[int, str]) -> bytes:
    book = Workbook()
    sheet: Worksheet = book.active  # type: ignore[assignment]  # a new Workbook has one worksheet
    sheet.title = "Độ bao phủ"
    sheet.append([framework_name])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    header = ["Mục", "Nhiệm vụ", "Số đơn vị triển khai", "Đơn vị triển khai",
              "Số đơn vị không áp dụng", "Đơn vị không áp dụng và lý do"]
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([
            row.node.path, row.node.title or row.node.text, len(row.implementing),
            "; ".join(labels[u][1] for u in row.implementing if u in labels),
            len(row.not_applicable),
            "; ".join(f"{labels[u][1]}: {reason}" for u, reason in row.not_applicable
                      if u in labels)])
    for column, width in zip("ABCDEF", (10, 70, 12, 50, 12, 60), strict=True):
        sheet.column_dimensions[column].width = width
    for line in sheet.iter_rows(min_row=4):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    missing = book.create_sheet("Chưa có kế hoạch")
    missing.append(["Mã", "Đơn vị", "Loại"])
    for cell in missing[1]:
        cell.font = Font(bold=True)
    for unit_id in without:
        code, name = labels.get(unit_id, ("", ""))
        missing.append([code, name, kinds.get(unit_id, "")])
    missing.column_dimensions["B"].width = 50
    return workbook_bytes(book)
