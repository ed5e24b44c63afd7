"""A unit's own yearly report as the document it signs and stamps: "BÁO CÁO …
Số: …/BC-UBND" in the format of Decree 30/2020/NĐ-CP, as a Word file and a print view.

The body is the report's narrative (results; difficulties and their causes; proposals);
the indicator values are Annex I and the task statuses Annex II, in a landscape section.
The unit head signs ("TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH" for a people's committee). The
number is left as dots ("Số: …/BC-UBND") until the report is issued with a number of the
register (``portal.register``, document type "unit_report"); the
date is the day the report was submitted. Until it is submitted the report is a draft and
carries "DỰ THẢO".
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from flask_babel import force_locale
from sqlalchemy import select

from portal import clock
from portal.accounts.user import User
from portal.documents import (
    COMMITTEE,
    annex_section,
    date_line,
    grid,
    header_block,
    issuing_lines,
    new_document,
    paragraph,
    signature_block,
)
from portal.extensions import db
from portal.frameworks.framework import FrameworkVersion
from portal.frameworks.indicator import Indicator, IndicatorKind
from portal.plans.service import province_of
from portal.register import service as register
from portal.reports.report import (
    TASK_STATUS_LABELS,
    TASK_STATUS_MISSING,
    ReportStatus,
    ReportValue,
    UnitReport,
)
from portal.reports.service import period_of
from tenants.membership import Membership, Role
from tenants.scoping import system_scope
from tenants.unit import Unit, UnitKind

COMMITTEES = (UnitKind.PROVINCE.value, UnitKind.DISTRICT.value, UnitKind.COMMUNE.value)
# Submitted or accepted: what the unit sent is final; before that the document is a draft.
FINAL = frozenset({ReportStatus.SUBMITTED.value, ReportStatus.ACCEPTED.value})
NARRATIVE_HEADINGS = (("results", "I. KẾT QUẢ ĐẠT ĐƯỢC"),
                      ("difficulties", "II. KHÓ KHĂN, VƯỚNG MẮC VÀ NGUYÊN NHÂN"),
                      ("proposals", "III. ĐỀ XUẤT, KIẾN NGHỊ"))
INDICATOR_HEADERS = ("Mã", "Chỉ tiêu", "Đơn vị tính", "Kết quả", "Ghi chú")
TASK_HEADERS = ("STT", "Nhiệm vụ", "Tình trạng", "Kết quả thực hiện")
NOT_GIVEN = "—"
SIGNER_MISSING = "(Họ và tên)"
LEFT, CENTER = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    name: str
    unit_of_measure: str
    value: str                      # as the unit gave it, in Vietnamese number format
    note: str


@dataclass(frozen=True)
class TaskLine:
    content: str
    status: str                     # the status's label in Vietnamese
    result: str


@dataclass(frozen=True)
class ReportDocument:
    """What the Word file and the print view of a unit's report show, in Vietnamese."""

    unit_code: str
    year: int
    body: str                       # the issuing body ("Xã Tân Hưng")
    parent: str | None              # the line above it ("Ủy ban nhân dân", "UBND Tỉnh …")
    number: str                     # "…/BC-UBND": numbered by hand until the register exists
    place: str
    day: date | None                # the day it was submitted; None while a draft
    subject: str                    # "Kết quả thực hiện Kế hoạch số … năm 2026"
    opening: str
    narrative: list[tuple[str, list[str]]]       # heading, its paragraphs
    indicators: list[IndicatorLine]
    tasks: list[TaskLine]
    recipients: list[str]
    signing_lines: list[str]        # "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"
    signer_name: str
    draft: bool

    @property
    def date_text(self) -> str:
        return date_line(self.place, self.day)

    @property
    def issuing_lines(self) -> tuple[str | None, list[str]]:
        """(the governing body, the issuing body's lines), as the header prints them."""
        return issuing_lines(self.body, self.parent)

    @property
    def annex_reference(self) -> str:
        """The line under an annex's title naming the report it belongs to."""
        day = f" ngày {clock.shown_day(self.day)}" if self.day else ""
        return f"(Kèm theo Báo cáo số {self.number}{day} của {issuer(self.body, self.parent)})"


def issuer(body: str, parent: str | None) -> str:
    """The issuing body in a sentence: "Ủy ban nhân dân xã Tân Hưng"."""
    if parent and parent.lower() == COMMITTEE.lower():
        return f"{COMMITTEE} {body[:1].lower()}{body[1:]}"
    return body


# ---- reading the report ------------------------------------------------------------------

def number(value: Decimal | None) -> str:
    """A figure in Vietnamese: "1.500.000", "12,5"."""
    if value is None:
        return NOT_GIVEN
    whole, _dot, fraction = f"{value.normalize():f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-') or 0):,}".replace(",", ".")
    return sign + grouped + ("," + fraction if fraction else "")


def shown_value(indicator: Indicator, row: ReportValue) -> str:
    """A value as the unit gave it: a count or amount, "3/4 (75 %)", "Có", a text."""
    if indicator.kind == IndicatorKind.YES_NO:
        return NOT_GIVEN if row.value is None else ("Có" if row.value else "Không")
    if indicator.kind == IndicatorKind.TEXT:
        return row.text or NOT_GIVEN
    if indicator.kind == IndicatorKind.RATIO:
        if row.numerator is None and row.denominator is None:
            return NOT_GIVEN
        given = f"{number(row.numerator)}/{number(row.denominator)}"
        if row.numerator is not None and row.denominator:
            share = (row.numerator / row.denominator * 100).quantize(Decimal("0.1"))
            given += f" ({number(share)} %)"
        return given
    shown = number(row.value)
    return f"{shown}; {row.text}" if row.text and row.value is not None else shown


def unit_head(unit: Unit) -> str:
    """The full name of the unit's head, who signs its report (the first one named)."""
    name = db.session.scalar(
        select(User.full_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit.id, Membership.role == Role.HEAD.value,
               User.active.is_(True))
        .order_by(Membership.id).limit(1))
    return name or SIGNER_MISSING


def signing_lines(unit: Unit) -> list[str]:
    """Who signs, for a collective body or as the head of a department or office."""
    if unit.kind in COMMITTEES:
        return ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    if unit.name.lower().startswith("sở "):
        return ["GIÁM ĐỐC"]
    return ["THỦ TRƯỞNG CƠ QUAN"]


def symbol(unit: Unit) -> str:
    """The issuing body's letters in the number: "UBND" for a people's committee, else the
    initials of its name ("Sở Khoa học và Công nghệ" → "SKHCN"); the letters the
    administration set for the unit, if it set them (the register's)."""
    if unit.abbreviation:
        return unit.abbreviation
    if unit.kind in COMMITTEES:
        return "UBND"
    return "".join(word[0] for word in unit.name.split() if word.lower() != "và").upper()


@dataclass(frozen=True)
class NamedUnit:
    """What a document prints of a unit it names (public, as codes and names are)."""

    name: str
    kind: str
    admin_type: str | None


def named_unit(unit_id: int | None) -> NamedUnit | None:
    """The name and kind of a unit that may lie outside the reader's reach (the province
    above a department, the unit a report goes to); nothing else of it is read."""
    if unit_id is None:
        return None
    with system_scope("the name of a unit a report's document prints"):
        row = db.session.execute(select(Unit.name, Unit.kind, Unit.admin_type)
                                 .where(Unit.id == unit_id)).one_or_none()
    return NamedUnit(*row) if row else None


def _province(unit: Unit) -> NamedUnit | None:
    root = province_of(unit.id)
    return None if root == unit.id else named_unit(root)


def place_name(unit: Unit) -> str:
    """Where the document is issued: a committee's own name without its type ("Tân Hưng"),
    a department's province."""
    named: NamedUnit | None = NamedUnit(unit.name, unit.kind, unit.admin_type)
    if unit.kind not in COMMITTEES:
        named = _province(unit) or named
    assert named is not None  # noqa: S101 - for the type checker: set just above
    kind = named.admin_type or named.name.split(" ", 1)[0]
    if named.name.lower().startswith(kind.lower() + " "):
        return named.name[len(kind) + 1:]
    return named.name


def header_of(unit: Unit) -> tuple[str, str | None]:
    """(the issuing body, the line above it), as the plan's document prints them."""
    if unit.kind in COMMITTEES:
        return unit.name, COMMITTEE
    root = _province(unit)
    return unit.name, f"UBND {root.name}" if root is not None else None


def recipient(unit: Unit) -> str:
    """Whom the report goes to: the people's committee of the unit above, or the body
    above; a province's own report goes to its committee (as a consolidation's does)."""
    above = named_unit(unit.parent_id)
    if above is None:
        return f"{COMMITTEE} {unit.name}"
    if above.kind in COMMITTEES:
        return issuer(above.name, COMMITTEE)
    return above.name


REPORT_DOCUMENT = "unit_report"   # the document type of a unit's report in the register


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def report_document(report: UnitReport) -> ReportDocument:
    """The read-model of the document, from the report as it stands."""
    unit = db.session.get_one(Unit, report.unit_id)
    period = period_of(report)
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == report.framework_version_id))}
    framework_number = db.session.scalar(select(FrameworkVersion.doc_number).where(
        FrameworkVersion.id == report.framework_version_id))
    body, parent = header_of(unit)
    plan = f"Kế hoạch số {framework_number}" if framework_number else "Kế hoạch"
    with force_locale("vi"):   # the document is in Vietnamese whoever downloads it
        statuses = {s.value: str(label) for s, label in TASK_STATUS_LABELS.items()}
        missing = str(TASK_STATUS_MISSING)
    tasks = [TaskLine(content=t.content, status=statuses.get(t.status or "", missing),
                      result=t.result) for t in report.tasks]
    narrative = [(heading, _paragraphs(getattr(report, key)) or ["Không có."])
                 for key, heading in NARRATIVE_HEADINGS]
    entry = register.entry_of(REPORT_DOCUMENT, report.id)
    final = report.status in FINAL or entry is not None   # issued with a number: not a draft
    submitted = report.submitted_at if report.status in FINAL else None
    return ReportDocument(
        unit_code=unit.code, year=period.year, body=body, parent=parent,
        number=entry.notation if entry is not None else f"…/BC-{symbol(unit)}",
        place=place_name(unit),
        day=entry.issued_on if entry is not None else (
            clock.local(submitted).date() if submitted else None),
        subject=f"Kết quả thực hiện {plan} năm {period.year}",
        opening=(f"Thực hiện {plan}, {issuer(body, parent)} báo cáo kết quả thực hiện năm "
                 f"{period.year} như sau (số liệu các chỉ tiêu tại Phụ lục I, tình hình "
                 "thực hiện nhiệm vụ tại Phụ lục II kèm theo):"),
        narrative=narrative,
        indicators=[IndicatorLine(code=indicators[v.indicator_id].code,
                                  name=indicators[v.indicator_id].name,
                                  unit_of_measure=indicators[v.indicator_id].unit_of_measure,
                                  value=shown_value(indicators[v.indicator_id], v),
                                  note=v.note)
                    for v in report.values if v.indicator_id in indicators],
        tasks=tasks, recipients=[f"{recipient(unit)} (để báo cáo)"],
        signing_lines=signing_lines(unit), signer_name=unit_head(unit), draft=not final)


# ---- the Word file -----------------------------------------------------------------------

def _indicator_row(line: IndicatorLine) -> tuple[str, ...]:
    return (line.code, line.name, line.unit_of_measure, line.value, line.note)


def _task_rows(tasks: list[TaskLine]) -> list[tuple[str, ...]]:
    return [(str(i), t.content, t.status, t.result) for i, t in enumerate(tasks, 1)]


def _annex_title(document: DocxDocument, number: str, title: str, reference: str) -> None:
    paragraph(document, f"Phụ lục {number}", align=CENTER, bold=True)
    paragraph(document, title, align=CENTER, bold=True)
    paragraph(document, reference, align=CENTER, italic=True, size=13)


def build_report_docx(page: ReportDocument) -> bytes:
    """The report in the Decree 30 format, its annexes on landscape pages."""
    document = new_document(page.draft)
    header_block(document, body=page.body, parent=page.parent, number=page.number,
                 place=page.place, day=page.day)
    paragraph(document, "")
    paragraph(document, "BÁO CÁO", align=CENTER, bold=True)
    paragraph(document, page.subject, align=CENTER, bold=True)
    paragraph(document, page.opening)
    for heading, lines in page.narrative:
        paragraph(document, heading, indent=False, bold=True)
        for line in lines:
            paragraph(document, line)
    signature_block(document, recipients=page.recipients, lines=page.signing_lines,
                    signer_name=page.signer_name,
                    placeholder=page.signer_name == SIGNER_MISSING)
    # Five columns, the indicator's name among them, are too wide for a portrait page.
    annex_section(document, landscape=True)
    _annex_title(document, "I", f"KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU NĂM {page.year}",
                 page.annex_reference)
    grid(document, INDICATOR_HEADERS, [_indicator_row(i) for i in page.indicators],
         (20, 110, 30, 45, 45), align=(CENTER, LEFT, CENTER, CENTER, LEFT))
    paragraph(document, "")
    _annex_title(document, "II", f"TÌNH HÌNH THỰC HIỆN NHIỆM VỤ NĂM {page.year}",
                 page.annex_reference)
    grid(document, TASK_HEADERS, _task_rows(page.tasks), (12, 110, 45, 85),
         align=(CENTER, LEFT, LEFT, LEFT))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def report_docx(report: UnitReport) -> tuple[bytes, str]:
    """The .docx of a unit's report and its file name (ASCII: the unit's code, the year)."""
    page = report_document(report)
    state = "du-thao" if page.draft else "ban-gui"
    return build_report_docx(page), f"bao-cao-{safe_name(page.unit_code)}-{page.year}-{state}.docx"


def safe_name(text: str) -> str:
    """Letters, digits, dots and dashes only: safe in a Content-Disposition header."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "-" for c in text)

