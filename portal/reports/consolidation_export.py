"""A consolidation as a report in the Decree 30 format (data tables as annexes) and as a
workbook with one sheet per indicator broken down by unit."""

from __future__ import annotations

import io
from datetime import datetime

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from portal import clock
from portal.documents import (
    annex_section,
    fits,
    grid,
    header_block,
    new_document,
    paragraph,
    run,
    signature_block,
)
from portal.export_cells import workbook_bytes
from portal.frameworks.indicator import Indicator

NARRATIVE_TITLES = (("results", "Kết quả đạt được"),
                    ("difficulties", "Khó khăn, vướng mắc và nguyên nhân"),
                    ("proposals", "Đề xuất, kiến nghị"))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}".replace(".", ",") + " %"


def number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value}".replace(".", ",")


def shown(indicator: Indicator | None, figure: dict) -> str:
    """One indicator's figure as the report prints it."""
    if "texts" in figure:
        return f"{len(figure['texts'])} nội dung"
    if indicator is not None and indicator.kind == "ratio":
        return (f"{percent(figure.get('value'))} ({number(figure.get('numerator'))}/"
                f"{number(figure.get('denominator'))})")
    if indicator is not None and indicator.kind == "yes_no":
        return percent(figure.get("value"))
    return number(figure.get("value"))


def build_consolidation_docx(result: dict, *, body: str, parent: str | None, year: int,
                             number_text: str, framework_number: str | None,
                             indicators: dict[str, Indicator], names: dict[str, str],
                             place: str, recipients: list[str],
                             made_at: datetime | None = None) -> bytes:
    document = new_document(draft=True)  # a snapshot is a draft until it is signed
    header_block(document, body=body, parent=parent, number=number_text, place=place,
                 day=None)
    paragraph(document, "")
    paragraph(document, "BÁO CÁO", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    subject = f"Kết quả thực hiện Kế hoạch số {framework_number} năm {year}" \
        if framework_number else f"Kết quả thực hiện kế hoạch năm {year}"
    paragraph(document, subject, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    if made_at is not None:
        paragraph(document, f"(Số liệu tổng hợp lúc {clock.shown(made_at)})",
                  align=WD_ALIGN_PARAGRAPH.CENTER, italic=True)
    reporting = result["reporting"]
    paragraph(document, "I. TÌNH HÌNH BÁO CÁO", indent=False, bold=True)
    paragraph(document, (
        f"Có {reporting['submitted']}/{reporting['expected']} đơn vị gửi báo cáo "
        f"(đạt {percent(reporting['rate'])}), trong đó {reporting['on_time']} đơn vị gửi "
        f"đúng hạn ({percent(reporting['timeliness'])}); {reporting['accepted']} báo cáo "
        "đã được tiếp nhận. Chi tiết theo đơn vị tại Phụ lục 1."))
    paragraph(document, "II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", indent=False, bold=True)
    grid(document, ("Mã", "Chỉ tiêu", "Kết quả"),
         [(code, indicators[code].name if code in indicators else "",
           shown(indicators.get(code), figure))
          for code, figure in result["indicators"].items()], (18, 107, 40))
    paragraph(document, "III. KẾT QUẢ, KHÓ KHĂN VÀ ĐỀ XUẤT CỦA CÁC ĐƠN VỊ", indent=False,
              bold=True)
    for key, title in NARRATIVE_TITLES:
        paragraph(document, title, indent=False, italic=True)
        passages = result.get("narrative", {}).get(key, [])
        for passage in passages:
            line = paragraph(document)
            run(line, f"{passage['name']}: ", bold=True)
            run(line, passage["text"])
        if not passages:
            paragraph(document, "Không có.")
    # The snapshot is a draft: who signs, and for whom, is written in when it is issued.
    signature_block(document, recipients=recipients,
                    lines=["(Chức vụ người ký)"], signer_name="(Họ và tên)", placeholder=True)
    codes = list(result["indicators"])
    by_unit = [(names.get(child["unit"], child["unit"]),
                *(shown(indicators.get(code), child["indicators"].get(code, {}))
                  for code in codes)) for child in result["children"]]
    # The annexes on pages of their own, landscape when the table by unit is too wide.
    annex_section(document, landscape=not fits(("Đơn vị", *codes), by_unit))
    paragraph(document, "Phụ lục 1. TÌNH HÌNH BÁO CÁO THEO ĐƠN VỊ",
              align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    grid(document, ("Đơn vị", "Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Đã tiếp nhận",
                    "Tỷ lệ"),
         [(names.get(child["unit"], child["unit"]), str(child["reporting"]["expected"]),
           str(child["reporting"]["submitted"]), str(child["reporting"]["on_time"]),
           str(child["reporting"]["accepted"]), percent(child["reporting"]["rate"]))
          for child in result["children"]], (60, 21, 21, 21, 21, 21))
    paragraph(document, "")
    paragraph(document, "Phụ lục 2. CHỈ TIÊU THEO ĐƠN VỊ", align=WD_ALIGN_PARAGRAPH.CENTER,
              bold=True)
    if codes:
        column = 105 / len(codes)
        grid(document, ("Đơn vị", *codes), by_unit, (60, *(column,) * len(codes)))
    section = document.sections[0]
    section.left_margin = Mm(30)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_consolidation_xlsx(result: dict, *, indicators: dict[str, Indicator],
                             names: dict[str, str], title: str,
                             made_at: datetime | None = None) -> bytes:
    book = Workbook()
    summary: Worksheet = book.active  # type: ignore[assignment]  # a new Workbook has one worksheet
    summary.title = "Tổng hợp"
    summary.append([title])
    summary["A1"].font = Font(bold=True, size=13)
    reporting = result["reporting"]
    summary.append(["Số liệu tổng hợp lúc", clock.shown(made_at)] if made_at else [])
    summary.append(["Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Đã tiếp nhận", "Tỷ lệ báo cáo",
                    "Tỷ lệ đúng hạn"])
    summary.append([reporting["expected"], reporting["submitted"], reporting["on_time"],
                    reporting["accepted"], reporting["rate"], reporting["timeliness"]])
    summary.append([])
    summary.append(["Đơn vị", "Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Đã tiếp nhận",
                    "Tỷ lệ báo cáo"])
    for child in result["children"]:
        r = child["reporting"]
        summary.append([names.get(child["unit"], child["unit"]), r["expected"], r["submitted"],
                        r["on_time"], r["accepted"], r["rate"]])
    for code, figure in result["indicators"].items():
        indicator = indicators.get(code)
        sheet = book.create_sheet(code.replace(".", "_")[:31])
        sheet.append([code, indicator.name if indicator else ""])
        sheet["A1"].font = Font(bold=True)
        ratio = "numerator" in figure and "texts" not in figure
        texts = "texts" in figure
        header = ["Đơn vị", "Tử số", "Mẫu số", "Tỷ lệ"] if ratio else \
            ["Đơn vị", "Nội dung"] if texts else ["Đơn vị", "Giá trị"]
        sheet.append(header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        rows = [("Toàn đơn vị", figure)] + [(names.get(c["unit"], c["unit"]),
                                             c["indicators"].get(code, {}))
                                            for c in result["children"]]
        for name, value in rows:
            if ratio:
                sheet.append([name, value.get("numerator"), value.get("denominator"),
                              value.get("value")])
            elif texts:
                for passage in value.get("texts", []) or [{"text": ""}]:
                    sheet.append([name, passage.get("text", "")])
            else:
                sheet.append([name, value.get("value")])
        _unit_breakdown(sheet, code, result.get("units", []), ratio=ratio, texts=texts)
        sheet.column_dimensions["A"].width = 40
    return workbook_bytes(book)


def _unit_breakdown(sheet: Worksheet, code: str, units: list[dict], *, ratio: bool,
                    texts: bool) -> None:
    """Below the totals: every unit that reported, with what it reported."""
    given = [u for u in units if code in u["values"]]
    if not given or texts:   # texts are listed by unit above already
        return
    sheet.append([])
    sheet.append(["Theo từng đơn vị đã báo cáo"])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.append(["Mã đơn vị", "Đơn vị", *(("Tử số", "Mẫu số", "Tỷ lệ") if ratio
                                            else ("Giá trị",))])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for unit in given:
        figure = unit["values"][code]
        if ratio:
            numerator, denominator = figure.get("numerator"), figure.get("denominator")
            share = numerator / denominator if numerator is not None and denominator else None
            sheet.append([unit["unit"], unit["name"], numerator, denominator, share])
        else:
            sheet.append([unit["unit"], unit["name"], figure.get("value")])
