"""A finished consolidation as files: the consolidated report (Word) and its workbook
(Excel), with the names the unit signs them with and whom the report goes to."""

from __future__ import annotations

from portal.reports.consolidation_export import (
    build_consolidation_docx,
    build_consolidation_xlsx,
)
from portal.reports.pages import ConsolidationPage
from tenants.tree import unit_labels
from tenants.unit import Unit

COMMITTEES = ("province", "district", "commune")


def reports_to(unit: Unit) -> str:
    """Whom a unit's consolidated report goes to: the unit above, or its own people's
    committee at the top (the Department of Science and Technology reports for it)."""
    above = unit_labels([unit.parent_id]).get(unit.parent_id) if unit.parent_id else None
    return above[1] if above else f"Ủy ban nhân dân {unit.name}"


def consolidation_docx(page: ConsolidationPage) -> tuple[bytes, str]:
    """The consolidated report of a finished snapshot, and its file name."""
    row, unit = page.consolidation, page.unit
    version = page.framework.published() if page.framework else None
    parent = "Ủy ban nhân dân" if unit.kind in COMMITTEES else None
    data = build_consolidation_docx(
        page.result, body=unit.name, parent=parent, year=row.year, number_text="     /BC",
        framework_number=version.doc_number if version else None,
        indicators=page.indicators, names=page.names,
        place=unit.name.split(" ", 1)[-1] if " " in unit.name else unit.name,
        recipients=[f"{reports_to(unit)} (để báo cáo)"], made_at=row.finished_at)
    return data, f"bao-cao-tong-hop-{unit.code}-{row.year}-{row.number}.docx"


def consolidation_xlsx(page: ConsolidationPage) -> tuple[bytes, str]:
    """The workbook of a finished snapshot, and its file name."""
    row, unit = page.consolidation, page.unit
    data = build_consolidation_xlsx(
        page.result, indicators=page.indicators, names=page.names,
        title=f"Tổng hợp năm {row.year} — {unit.name} (bản {row.number})",
        made_at=row.finished_at)
    return data, f"tong-hop-{unit.code}-{row.year}-{row.number}.xlsx"
