"""Tenant keys (migration 0028): every unit, report, value and task carries its province,
filled by the database on insert whatever inserts it (the ORM, a bulk Core insert), and
the aggregate's key conditions never change a figure."""

from __future__ import annotations

from sqlalchemy import select, text

from portal.extensions import db
from portal.reports.aggregate import tenant_keys
from tenants.scoping import system_scope
from tenants.tree import add_unit
from tenants.unit import Unit


def test_every_unit_carries_its_province(world) -> None:
    ids = world.unit_ids
    with system_scope("test"):
        add_unit("VNX", "Cấp quốc gia", "nation", None)
        add_unit("VNX.BKH", "Bộ Khoa học", "department", "VNX")
        db.session.flush()
        keys = dict(db.session.execute(select(Unit.code, Unit.province_id)).tuples().all())
        nation = db.session.scalar(select(Unit.id).where(Unit.code == "VNX"))
    assert keys["P1"] == keys["D1"] == keys["C11"] == keys["P1.SKHCN"] == ids["P1"]
    assert keys["Q1"] == keys["QC"] == ids["Q1"]
    # above the provinces: the topmost root
    assert keys["VNX"] == keys["VNX.BKH"] == nation


def test_reports_and_values_carry_their_units_province(province: int) -> None:
    with system_scope("test"):
        rows = db.session.execute(text(
            "SELECT u.province_id, r.province_id, v.province_id FROM report_value v"
            " JOIN unit_report r ON r.id = v.report_id JOIN unit u ON u.id = r.unit_id")).all()
        tasks = db.session.execute(text(
            "SELECT u.province_id, t.province_id FROM report_task t"
            " JOIN unit u ON u.id = t.unit_id")).all()
    assert rows and all(a == b == c and a is not None for a, b, c in rows)
    assert tasks and all(a == b and a is not None for a, b in tasks)


def test_the_keys_of_a_subtree(world) -> None:
    with system_scope("test"):
        units = {u.code: u for u in db.session.scalars(select(Unit))}
        add_unit("VNY", "Cấp quốc gia", "nation", None)
        db.session.flush()
        nation = db.session.scalar(select(Unit).where(Unit.code == "VNY"))
        assert tenant_keys(units["D1"], True) == [world.unit_ids["P1"]]
        assert tenant_keys(units["Q1"], False) == [world.unit_ids["Q1"]]
        assert tenant_keys(nation, True) is None
