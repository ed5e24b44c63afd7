"""A unit plan as a Word document in the administrative format of Decree 30/2020/NĐ-CP.

A4; margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman; the issuing
body and the national motto side by side; "Số: …" and the italic place-and-date line;
the title in bold capitals; the body 14 pt, justified; tasks as a table; the signature
block on the right and "Nơi nhận" on the left. A draft carries "DỰ THẢO" on every page.
"""

from __future__ import annotations

import io
from decimal import Decimal

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from sqlalchemy import select

from portal import clock
from portal.documents import (
    date_line,
    grid,
    header_block,
    new_document,
    paragraph,
    signature_block,
)
from portal.extensions import db
from portal.frameworks.framework import FrameworkVersion
from portal.frameworks.indicator import Indicator
from portal.plans.plan import PlanRevision, RevisionStatus, UnitPlan
from portal.plans.service import province_of
from portal.titles import subject_after
from tenants.tree import unit_labels
from tenants.unit import Unit

__all__ = ["build_plan_docx", "date_line", "header_names", "plan_document"]

COMMITTEES = ("province", "district", "commune")
LEFT, CENTER = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER


def build_plan_docx(revision: PlanRevision, *, unit_name: str, parent_name: str | None,
                    indicators: dict[int, Indicator], coordinators: dict[int, str],
                    framework_number: str | None) -> bytes:
    draft = revision.status not in (RevisionStatus.ISSUED.value,
                                    RevisionStatus.SUPERSEDED.value)
    document = new_document(draft)
    header_block(document, body=unit_name, parent=parent_name,
                 number=revision.doc_number or "     /KH", place=revision.place or "",
                 day=revision.issued_on)

    paragraph(document, "")
    paragraph(document, "KẾ HOẠCH", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    title = subject_after(revision.title)     # "KẾ HOẠCH" is the line above
    paragraph(document, title, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    if framework_number and framework_number not in title:
        paragraph(document, f"Thực hiện Kế hoạch số {framework_number}",
                   align=WD_ALIGN_PARAGRAPH.CENTER, italic=True)

    sections = [("I. MỤC ĐÍCH, YÊU CẦU", revision.purpose),
                ("II. CHỈ TIÊU", revision.targets),
                ("III. NHIỆM VỤ VÀ GIẢI PHÁP", revision.tasks),
                ("IV. KINH PHÍ THỰC HIỆN", revision.funding),
                ("V. TỔ CHỨC THỰC HIỆN", revision.organization)]
    for heading, text in sections:
        paragraph(document, heading, indent=False, bold=True)
        for line in (text or "").splitlines():
            if line.strip():
                paragraph(document, line.strip())
        if heading.startswith("II."):
            _targets_table(document, revision, indicators)
        if heading.startswith("III."):
            _tasks_table(document, revision, coordinators)

    _signature_and_recipients(document, revision)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _targets_table(document: DocxDocument, revision: PlanRevision,
                   indicators: dict[int, Indicator]) -> None:
    rows = [t for t in revision.target_rows if t.value is not None]
    if not rows:
        return
    years = sorted({t.year for t in rows})
    by_indicator: dict[int, dict[int, Decimal | None]] = {}
    for t in rows:
        by_indicator.setdefault(t.indicator_id, {})[t.year] = t.value
    lines = [(indicators[i].code, indicators[i].name,
              *(_target_text(indicators[i], values.get(year)) for year in years))
             for i, values in by_indicator.items()]
    grid(document, ("Mã", "Chỉ tiêu", *(str(year) for year in years)), lines,
         (18, 72, *(75 / len(years),) * len(years)),
         align=(LEFT, LEFT, *(CENTER,) * len(years)))


def _target_text(indicator: Indicator, value: Decimal | None) -> str:
    """A yearly target as the plan prints it: "1.500", "12,5 %"."""
    if value is None:
        return ""
    if indicator.is_fraction:
        return f"{float(value) * 100:g} %".replace(".", ",")
    if value == int(value):
        return f"{int(value):,}".replace(",", ".")
    return f"{value}".replace(".", ",")


TASK_HEADERS = ("STT", "Nội dung nhiệm vụ", "Chủ trì", "Phối hợp", "Thời gian",
                "Sản phẩm", "Kinh phí (đồng)")


def _tasks_table(document: DocxDocument, revision: PlanRevision,
                 coordinators: dict[int, str]) -> None:
    tasks = [t for t in revision.task_rows if not t.not_applicable]
    lines = []
    for number, task in enumerate(tasks, 1):
        when = " – ".join(clock.shown_day(d) for d in (task.start_date, task.end_date) if d)
        budget = f"{int(task.budget):,}".replace(",", ".") if task.budget is not None else ""
        if budget and task.funding_source:
            budget += f" ({task.funding_source})"
        lines.append((str(number), task.content, task.lead,
                      ", ".join(coordinators.get(c.coordinating_unit_id, "")
                                for c in task.coordinating), when, task.outputs, budget))
    grid(document, TASK_HEADERS, lines, (10, 55, 22, 22, 22, 18, 16),
         align=(CENTER, *(LEFT,) * (len(TASK_HEADERS) - 1)))


def _signature_and_recipients(document: DocxDocument, revision: PlanRevision) -> None:
    recipients = [r.strip().lstrip("-– ").strip() for r in (revision.recipients or "")
                  .splitlines() if r.strip()]
    lines = []
    if revision.signing_formula and revision.signing_body:
        lines.append(f"{revision.signing_formula} {revision.signing_body}".upper())
    if revision.signing_authority:
        lines.append(revision.signing_authority.upper())
    lines.append((revision.signer_title or "").upper())
    signature_block(document, recipients=recipients, lines=lines,
                    signer_name=revision.signer_name or "")


def header_names(unit: Unit) -> tuple[str, str | None]:
    """(the issuing body, the line above it) as the document header prints them."""
    if unit.kind in COMMITTEES:
        return unit.name, "Ủy ban nhân dân"
    province = unit_labels([province_of(unit.id)])
    return unit.name, "UBND " + next(iter(province.values()))[1] if province else None


def plan_document(plan: UnitPlan, revision: PlanRevision) -> tuple[bytes, str]:
    """The .docx of a revision and its file name, for the plan pages and the API."""
    unit = db.session.get_one(Unit, plan.unit_id)
    name, parent = header_names(unit)
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == revision.framework_version_id))}
    coordinators = {uid: label[1] for uid, label in unit_labels(
        c.coordinating_unit_id for t in revision.task_rows for c in t.coordinating).items()}
    framework_number = db.session.scalar(select(FrameworkVersion.doc_number).where(
        FrameworkVersion.id == revision.framework_version_id))
    data = build_plan_docx(revision, unit_name=name, parent_name=parent,
                           indicators=indicators, coordinators=coordinators,
                           framework_number=framework_number)
    label = (revision.doc_number or f"du-thao-{revision.number}").replace("/", "-")
    return data, f"ke-hoach-{unit.code}-{label}.docx"
