"""The dashboard as a workbook: indicators, units below (with the ranking), the trend by
year and task statuses — the numbers of the screen, as numbers a spreadsheet can sum."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from portal.dashboard.service import BUCKETS, Dashboard, Track
from portal.export_cells import workbook_bytes
from portal.reports.consolidation_export import HEALTH_WORDS, shown
from portal.spreadsheets import finish_sheet, write_caption, write_header, write_row
from portal.titles import subject_after
from tenants.ordering import unit_key

TRACK_TEXT = {Track.EXCEEDED: "Vượt chỉ tiêu", Track.ON_TRACK: "Đạt tiến độ",
              Track.BEHIND: "Chậm so với chỉ tiêu", Track.NO_TARGET: "Không có chỉ tiêu",
              Track.NO_DATA: "Chưa có số liệu", Track.ELSEWHERE: "Chỉ tiêu của cấp trên"}
SCOPE_TEXT = {"own": "Số của riêng đơn vị sở hữu (các sở, ngành)",
              "sum": "Tổng các đơn vị cấp dưới", "share": "Tỷ lệ đơn vị"}
BUCKET_TEXT = {"done_on_time": "Hoàn thành đúng hạn", "done_late": "Hoàn thành quá hạn",
               "in_progress": "Chưa hoàn thành, trong hạn",
               "overdue": "Chưa hoàn thành, quá hạn"}


def _fraction_or_number(value: float | int | None, fraction: bool) -> float | int | None:
    """Fractions as numbers (the cell is formatted as a percentage)."""
    return value if value is None or not fraction else float(value)


def _amount_or_count(kind: str) -> str:
    return "amount" if kind == "amount" else "count"


def build_dashboard_xlsx(board: Dashboard) -> bytes:
    book = Workbook()
    sheet: Worksheet = book.active  # type: ignore[assignment]  # a new Workbook has one worksheet
    sheet.title = "Chỉ tiêu"
    write_caption(sheet, f"{board.unit.name} — năm {board.year} — số liệu trực tiếp", size=13)
    sheet.append([f"Kế hoạch: {subject_after(board.framework.name)}"])
    if board.snapshot is not None:
        sheet.append([f"Bản tổng hợp chính thức số {board.snapshot.number}"
                      + (" (đã cũ: có báo cáo thay đổi sau đó)" if board.snapshot_stale else "")])
    sheet.append([])
    header = write_header(sheet, ["Mã", "Chỉ tiêu", "Giá trị", "Tử số", "Mẫu số", "Chỉ tiêu năm",
             "Chỉ tiêu đến năm cuối", "Đạt so với chỉ tiêu", "Tình trạng", "Bản chính thức",
             "Số so sánh với chỉ tiêu", "Chỉ tiêu so sánh năm nay", "Chỉ tiêu tính theo",
             "Đánh giá tiến độ", "Giá trị dự báo năm cuối", "Còn thiếu",
             "Tốc độ cần từ nay (mỗi năm)"])
    for item in board.indicators:
        fraction = item.indicator.is_fraction
        row = [item.indicator.code, item.indicator.name,
               _fraction_or_number(item.value, fraction) if "texts" not in item.figure
               else f"{item.written} đơn vị", item.figure.get("numerator"),
               item.figure.get("denominator"),
               float(item.target_year) if item.target_year is not None else None,
               float(item.target_final) if item.target_final is not None else None,
               item.progress, TRACK_TEXT[item.track],
               shown(item.indicator, item.official) if item.official else "",
               _fraction_or_number(item.measured_value, item.indicator.target_is_fraction),
               float(item.target_now) if item.target_now is not None else None,
               SCOPE_TEXT.get(item.indicator.target_scope, "")
               if "texts" not in item.figure else ""]
        outlook = item.outlook
        if outlook is not None:   # docs/progress.md: health and the projection
            p = outlook.projection
            row += [HEALTH_WORDS.get(outlook.band or "", "Không đánh giá"),
                    p.projected if p.enough else "Chưa đủ hai năm có số liệu",
                    p.gap if p.gap is not None and p.gap > 0 else None,
                    p.pace_needed if p.will_reach is False else None]
        value = "ratio" if fraction else _amount_or_count(item.indicator.kind)
        target = "ratio" if item.indicator.target_is_fraction else value
        write_row(sheet, row, ("text", "text", value, "count", "count", target, target,
                               "ratio", "text", "text", target, target, "text", "text",
                               target, target, target))
    finish_sheet(sheet, header_row=header, widths={"B": 60})

    units = book.create_sheet("Đơn vị")
    header = write_header(units, ["Hạng", "Mã", "Đơn vị", "Phải báo cáo", "Đã gửi",
                                  "Đúng hạn", "Đã chấp nhận", "Tỷ lệ báo cáo",
                                  "Tỷ lệ đúng hạn", "Kế hoạch đã ban hành",
                                  *BUCKET_TEXT.values(), "Tỷ lệ nhiệm vụ hoàn thành"])
    unit_kinds = ("count", "text", "text", *("count",) * 4, "ratio", "ratio", "count",
                  *("count",) * len(BUCKETS), "ratio")
    for child in sorted(board.children, key=lambda c: (c.rank or 10**9, unit_key(c.unit))):
        r = child.reporting
        write_row(units, [child.rank or None, child.unit.code, child.unit.name,
                          r["expected"], r["submitted"], r["on_time"], r["accepted"],
                          r["rate"], r["timeliness"], child.plans_issued,
                          *(child.tasks[b] for b in BUCKETS), child.task_completion],
                  unit_kinds)
    r = board.reporting
    write_row(units, [None, board.unit.code, "Tổng", r["expected"], r["submitted"],
                      r["on_time"], r["accepted"], r["rate"], r["timeliness"],
                      board.plans_issued, *(board.tasks[b] for b in BUCKETS)], unit_kinds)
    for cell in units[units.max_row]:
        cell.font = Font(bold=True)
    finish_sheet(units, header_row=header)

    trend = book.create_sheet("Theo năm")
    trended = [i for i in board.indicators if i.trend]
    header = write_header(trend, ["Năm", "Phải báo cáo", "Đã gửi", "Đúng hạn",
                                  "Tỷ lệ báo cáo", "Tỷ lệ đúng hạn",
                                  *(i.indicator.code for i in trended)])
    values = {i.indicator.code: dict(i.trend) for i in trended}
    trend_kinds = ("text", "count", "count", "count", "ratio", "ratio",
                   *("ratio" if i.indicator.is_fraction else _amount_or_count(i.indicator.kind)
                     for i in trended))
    for year, reporting in board.by_year:
        write_row(trend, [year, reporting["expected"], reporting["submitted"],
                          reporting["on_time"], reporting["rate"], reporting["timeliness"],
                          *(values[code].get(year) for code in values)], trend_kinds)
    finish_sheet(trend, header_row=header)

    tasks = book.create_sheet("Nhiệm vụ")
    header = write_header(tasks, ["Tình trạng", "Số nhiệm vụ"])
    for bucket in BUCKETS:
        write_row(tasks, [BUCKET_TEXT[bucket], board.tasks[bucket]], ("text", "count"))
    tasks.append([])
    write_header(tasks, ["Nhiệm vụ quá hạn nhiều nhất", "Nội dung", "Số đơn vị báo quá hạn"])
    for item in board.overdue:
        write_row(tasks, [item["path"], item["title"], item["units"]],
                  ("text", "text", "count"))
    finish_sheet(tasks, header_row=header)

    return workbook_bytes(book)
