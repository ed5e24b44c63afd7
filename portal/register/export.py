"""The register of a unit's year as an Excel workbook (openpyxl, portal.spreadsheets)."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from portal import clock
from portal.export_cells import workbook_bytes
from portal.register.entry import RegisterEntry
from portal.register.service import KIND_NAMES_VI
from portal.spreadsheets import finish_sheet, write_caption, write_header, write_row
from tenants.unit import Unit

STATUS_VI = {"issued": "Còn hiệu lực", "replaced": "Bị thay thế", "recalled": "Thu hồi"}
ORIGIN_VI = {"platform": "Nền tảng cấp", "outside": "Lấy ngoài nền tảng"}


def register_workbook(unit: Unit, year: int, rows: list[RegisterEntry],
                      notes: dict[int, str]) -> tuple[bytes, str]:
    """The register as the unit keeps it: one row per number, in order; ``notes`` by
    entry id says what replaced, corrected or recalled it."""
    book = Workbook()
    sheet: Worksheet = book.active  # type: ignore[assignment]  # a new Workbook has one worksheet
    sheet.title = f"Sổ văn bản đi {year}"
    write_caption(sheet, f"SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM {year} — {unit.name}", size=13)
    sheet.append([])
    header = write_header(sheet, ["Số", "Số, ký hiệu", "Ngày ban hành", "Loại văn bản",
                                  "Trích yếu nội dung", "Người ký", "Nơi nhận",
                                  "Nguồn số", "Bản lưu", "Tình trạng", "Ghi chú"])
    for entry in rows:
        write_row(sheet, [
            entry.shown_number, entry.notation, clock.shown_day(entry.issued_on),
            KIND_NAMES_VI.get(entry.kind, entry.kind), entry.subject,
            " ".join(p for p in (entry.signer_position, entry.signer_name) if p),
            "; ".join(line.strip() for line in entry.recipients.splitlines() if line.strip()),
            ORIGIN_VI.get(entry.origin, entry.origin),
            {"paper": "Bản giấy", "digital": "Ký số"}.get(entry.signed_copy or "", ""),
            STATUS_VI.get(entry.status, entry.status), notes.get(entry.id, "")], ())
    finish_sheet(sheet, header_row=header, widths={"E": 60, "G": 40, "K": 50})
    return workbook_bytes(book), f"so-van-ban-di-{unit.code}-{year}.xlsx"
