"""A consolidation as a report in the Decree 30 format (data tables as annexes) and as a
workbook with one sheet per indicator broken down by unit."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from docx.document import Document as DocxDocument
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
    signature_block,
)
from portal.export_cells import workbook_bytes
from portal.frameworks.indicator import Indicator
from portal.reports.narrative_compile import is_heading
from portal.spreadsheets import finish_sheet, write_caption, write_header, write_row

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
        return f"{text_count(figure)} nội dung"
    if indicator is not None and indicator.kind == "ratio":
        return (f"{percent(figure.get('value'))} ({number(figure.get('numerator'))}/"
                f"{number(figure.get('denominator'))})")
    if indicator is not None and indicator.kind == "yes_no":
        return percent(figure.get("value"))
    return number(figure.get("value"))


@dataclass(frozen=True)
class Sender:
    """Who issues the report, its number's suffix, whom it is addressed to, who signs."""

    body: str                    # the issuing body ("Sở Khoa học và Công nghệ")
    parent: str | None           # the body above it in the header ("UBND tỉnh Hưng Yên")
    number: str                  # "     /BC-SKHCN"
    addressee: str               # "Ủy ban nhân dân tỉnh Hưng Yên"
    place: str                   # the date line's place ("Hưng Yên")
    signer_title: str | None     # "GIÁM ĐỐC"; None: the signer is written in later
    signer_name: str | None      # the head's name, if the platform knows the head
    day: date | None = None      # the date of issue the register gave it; None: blank
    authority: str | None = None  # above the title: "TM. ỦY BAN NHÂN DÂN" for a committee


def _narrative(document: DocxDocument, narrative: dict[str, str]) -> None:
    """Section III: each part as the consolidator left it — a theme's heading line
    ("a) Đo lường") in italics, every other line a paragraph."""
    for key, title in NARRATIVE_TITLES:
        paragraph(document, title, indent=False, bold=True, italic=True)
        lines = [line.strip() for line in (narrative.get(key) or "").splitlines()
                 if line.strip()]
        for line in lines:
            if is_heading(line):
                paragraph(document, line, indent=False, italic=True)
            else:
                paragraph(document, line)
        if not lines:
            paragraph(document, "Không có.")


def build_consolidation_docx(result: dict, *, sender: Sender, year: int,
                             framework_number: str | None,
                             indicators: dict[str, Indicator], names: dict[str, str],
                             narrative: dict[str, str],
                             made_at: datetime | None = None) -> bytes:
    document = new_document(draft=True)  # a snapshot is a draft until it is signed
    header_block(document, body=sender.body, parent=sender.parent, number=sender.number,
                 place=sender.place, day=sender.day)
    paragraph(document, "")
    paragraph(document, "BÁO CÁO", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    subject = f"Kết quả thực hiện Kế hoạch số {framework_number} năm {year}" \
        if framework_number else f"Kết quả thực hiện kế hoạch năm {year}"
    paragraph(document, subject, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    if made_at is not None:
        paragraph(document, f"(Số liệu tổng hợp lúc {clock.shown(made_at)})",
                  align=WD_ALIGN_PARAGRAPH.CENTER, italic=True)
    paragraph(document, f"Kính gửi: {sender.addressee}.", align=WD_ALIGN_PARAGRAPH.CENTER)
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
    _narrative(document, narrative)
    # The signer's title is known for the department's report (its director) and a
    # people's committee's (on behalf of the committee, its chair); the name when the
    # head has an account; the rest (another body's) is written in later.
    signature_block(document, recipients=["Như trên;"],
                    lines=[*([sender.authority] if sender.authority else []),
                           sender.signer_title or "(Chức vụ người ký)"],
                    signer_name=sender.signer_name or "(Họ và tên)",
                    placeholder=sender.signer_title is None)
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


YES_NO_TEXT = {True: "Có", False: "Không"}


def text_count(figure: dict) -> int:
    """How many texts a row counts: the texts its units gave (a unit one per year it
    wrote one). The same rule for the whole subtree and for each child, so the children's
    counts add up to the total (units merged into the root itself count in the total
    only)."""
    return len(figure.get("texts") or [])


def _indicator_sheet(book: Workbook, code: str, indicator: Indicator | None) -> Worksheet:
    sheet = book.create_sheet(code.replace(".", "_")[:31])
    write_caption(sheet, f"{code} — {indicator.name}" if indicator else code)
    return sheet


def _columns(indicator: Indicator | None, figure: dict) -> tuple[list[str], list[str]]:
    """The titles and cell kinds of an indicator's table, from its kind."""
    kind = _kind(indicator, figure)
    unit = f" ({indicator.unit_of_measure})" if indicator and indicator.unit_of_measure else ""
    if kind == "ratio":
        return ([indicator.numerator_label or "Tử số" if indicator else "Tử số",
                 indicator.denominator_label or "Mẫu số" if indicator else "Mẫu số",
                 "Tỷ lệ"], ["count", "count", "ratio"])
    if kind == "yes_no":
        return (["Số đơn vị trả lời Có", "Số đơn vị phải báo cáo", "Tỷ lệ"],
                ["count", "count", "ratio"])
    if kind == "text":
        return ["Số nội dung"], ["count"]   # the texts themselves: by unit, below
    if kind == "amount":
        return [f"Giá trị{unit or ' (đồng)'}"], ["amount"]
    return [f"Giá trị{unit}"], ["count"]


def _kind(indicator: Indicator | None, figure: dict) -> str:
    """The indicator's kind (or, without it, what the figure's shape says)."""
    if indicator is not None:
        return indicator.kind
    return "text" if "texts" in figure else "ratio" if "numerator" in figure else "count"


def _figure_cells(kind: str, figure: dict) -> list[object]:
    """The cells of one row of an indicator's table (the subtree, or one child)."""
    if kind in ("ratio", "yes_no"):
        return [figure.get("numerator"), figure.get("denominator"), figure.get("value")]
    if kind == "text":
        return [text_count(figure)]
    return [figure.get("value")]


def _unit_cells(kind: str, figure: dict) -> list[object]:
    """What one unit gave for the indicator, as it gave it (blank: not given)."""
    if kind == "ratio":
        numerator, denominator = figure.get("numerator"), figure.get("denominator")
        share = numerator / denominator if numerator is not None and denominator else None
        return [numerator, denominator, share]
    if kind == "yes_no":
        value = figure.get("value")
        return [YES_NO_TEXT[bool(value)] if value is not None else ""]
    if kind == "text":
        return [figure.get("text", "")]
    return [figure.get("value")]


def _unit_columns(kind: str, titles: list[str], kinds: list[str]) -> tuple[list[str], list[str]]:
    if kind == "yes_no":
        return ["Trả lời"], ["text"]
    if kind == "text":
        return ["Nội dung"], ["text"]
    return titles, kinds


def build_consolidation_xlsx(result: dict, *, indicators: dict[str, Indicator],
                             names: dict[str, str], title: str,
                             made_at: datetime | None = None) -> bytes:
    """The summary sheet, then one sheet per indicator: the subtree and each child, then
    every unit that reported with what it gave (a yes/no as "Có"/"Không", blank when it
    gave none)."""
    book = Workbook()
    summary: Worksheet = book.active  # type: ignore[assignment]  # a new Workbook has one worksheet
    summary.title = "Tổng hợp"
    write_caption(summary, title, size=13)
    summary.append(["Số liệu tổng hợp lúc", clock.shown(made_at)] if made_at else [])
    rates = ("count", "count", "count", "count", "ratio", "ratio")
    write_header(summary, ["Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Đã tiếp nhận",
                           "Tỷ lệ báo cáo", "Tỷ lệ đúng hạn"])
    reporting = result["reporting"]
    write_row(summary, [reporting["expected"], reporting["submitted"], reporting["on_time"],
                        reporting["accepted"], reporting["rate"], reporting["timeliness"]],
              rates)
    summary.append([])
    header = write_header(summary, ["Đơn vị", "Phải báo cáo", "Đã báo cáo", "Đúng hạn",
                                    "Đã tiếp nhận", "Tỷ lệ báo cáo", "Tỷ lệ đúng hạn"])
    for child in result["children"]:
        r = child["reporting"]
        write_row(summary, [names.get(child["unit"], child["unit"]), r["expected"],
                            r["submitted"], r["on_time"], r["accepted"], r["rate"],
                            r.get("timeliness")], ("text", *rates))
    finish_sheet(summary, header_row=header)
    units = result.get("units", [])
    for code, figure in result["indicators"].items():
        indicator = indicators.get(code)
        kind = _kind(indicator, figure)
        sheet = _indicator_sheet(book, code, indicator)
        titles, kinds = _columns(indicator, figure)
        header = write_header(sheet, ["Đơn vị", *titles])
        rows = [("Toàn đơn vị", figure)] + [(names.get(c["unit"], c["unit"]),
                                             c["indicators"].get(code, {}))
                                            for c in result["children"]]
        for name, value in rows:
            write_row(sheet, [name, *_figure_cells(kind, value)], ["text", *kinds])
        for cell in sheet[header + 1]:
            cell.font = Font(bold=True)
        _unit_breakdown(sheet, code, units, kind, *_unit_columns(kind, titles, kinds))
        finish_sheet(sheet, header_row=header)
    _progress_sheet(book, result.get("progress"), indicators)
    return workbook_bytes(book)


HEALTH_WORDS = {"achieved": "Đã đạt chỉ tiêu", "on_track": "Đạt tiến độ",
                "behind": "Chậm tiến độ", "at_risk": "Có nguy cơ không đạt",
                "not_started": "Chưa triển khai", "no_data": "Chưa có số liệu"}


def _progress_sheet(book: Workbook, progress: dict | None,
                    indicators: dict[str, Indicator]) -> None:
    """"Dự báo": each indicator's health against the value expected this year and its
    projection to the final year (docs/progress.md), as kept in the snapshot; a snapshot
    taken before projections were kept says so."""
    sheet = book.create_sheet("Dự báo")
    write_caption(sheet, "Tiến độ so với kỳ vọng và dự báo đến năm cuối kế hoạch", size=13)
    if not progress:
        sheet.append(["Bản tổng hợp này được lập trước khi có dự báo; hãy tổng hợp lại."])
        return
    sheet.append([f"Ngưỡng: đúng tiến độ từ {progress['thresholds']['on_track']:.0%}, "
                  f"chậm tiến độ từ {progress['thresholds']['behind']:.0%}; dự báo theo xu "
                  "hướng tuyến tính có trọng số thời gian, cần ít nhất hai năm có số liệu."])
    header = write_header(sheet, [
        "Mã", "Chỉ tiêu", "Số liệu so sánh", "Kỳ vọng năm nay", "Thực tế / kỳ vọng",
        "Đánh giá tiến độ", "Số năm có số liệu", "Năm cuối", "Giá trị dự báo", "Chỉ tiêu năm cuối",
        "Còn thiếu", "Tốc độ đến nay (mỗi năm)", "Tốc độ cần từ nay (mỗi năm)", "Dự báo"])
    for code, item in progress["indicators"].items():
        indicator = indicators.get(code)
        kind = "ratio" if indicator is not None and indicator.target_is_fraction else "count"
        p = item["projection"]
        verdict = ("Chưa đủ hai năm có số liệu" if not p["enough"] else
                   "Không có chỉ tiêu" if p["will_reach"] is None else
                   "Đạt chỉ tiêu" if p["will_reach"] else "Không đạt chỉ tiêu")
        write_row(sheet, [code, indicator.name if indicator else "", item["value"],
                          item["expected"], item["ratio"],
                          HEALTH_WORDS.get(item["health"] or "", "Không đánh giá"),
                          p["years_reported"], p["final_year"], p["projected"], p["target"],
                          p["gap"], p["pace"], p["pace_needed"], verdict],
                  ["text", "text", kind, kind, "ratio", "text", "count", "text", kind, kind,
                   kind, kind, kind, "text"])
    sheet.append([])
    write_header(sheet, ["Nhóm chỉ tiêu", "Tên", "Đánh giá tiến độ", "Bình quân (mỗi chỉ tiêu "
                         "tối đa 100 %)", "Số chỉ tiêu được tính", "Chưa có số liệu"])
    for group in progress["groups"]:
        write_row(sheet, [group["code"], group["title"],
                          HEALTH_WORDS.get(group["health"], ""), group["score"],
                          group["counted"], group["no_data"]],
                  ["text", "text", "text", "ratio", "count", "count"])
    finish_sheet(sheet, header_row=header)


def _unit_breakdown(sheet: Worksheet, code: str, units: list[dict], kind: str,
                    titles: list[str], kinds: list[str]) -> None:
    """Below the totals: every unit that reported, with what it gave for the indicator
    (blank when it gave nothing for it)."""
    if not units:
        return
    sheet.append([])
    write_caption(sheet, "Theo từng đơn vị đã báo cáo")
    write_header(sheet, ["Mã đơn vị", "Đơn vị", *titles])
    for unit in units:
        write_row(sheet, [unit["unit"], unit["name"],
                          *_unit_cells(kind, unit["values"].get(code, {}))],
                  ["text", "text", *kinds])
