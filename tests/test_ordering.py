"""Units in their natural order wherever they are listed (issue 17, item 1): the official
order of codes read as numbers, the departments and bodies by name and apart from the
districts and communes (text order put ``33.xxx`` between two districts)."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from portal.accounts.service import create_user, grant
from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.reports.consolidation import launch, run_consolidation
from tenants.ordering import in_natural_order, natural_key, natural_order
from tenants.scoping import system_scope
from tenants.tree import add_unit, search_subtree
from tenants.unit import Unit
from tests.builders import exported, framework
from tests.conftest import PASSWORD, login

# The case: Hưng Yên's districts 323 … 330 and two of its departments, "33.…".
HUNG_YEN = [("330", "Huyện Khoái Châu", "district"), ("33.SKHCN", "Sở Khoa học và Công nghệ",
                                                      "department"),
            ("323", "Thành phố Hưng Yên", "district"), ("329", "Huyện Ân Thi", "district"),
            ("33.BAOHY", "Báo Hưng Yên", "department"), ("325", "Huyện Văn Lâm", "district")]


def codes(units) -> list[str]:
    return [u[0] for u in units]


def test_text_order_puts_departments_between_two_districts() -> None:
    assert sorted(codes(HUNG_YEN)) == ["323", "325", "329", "33.BAOHY", "33.SKHCN", "330"]


def test_the_natural_order_groups_departments_then_districts_by_code() -> None:
    ordered = in_natural_order(HUNG_YEN, lambda u: u)
    assert codes(ordered) == ["33.BAOHY", "33.SKHCN", "323", "325", "329", "330"]


def test_official_codes_are_read_as_numbers_and_bodies_by_name_without_accents() -> None:
    communes = [("00012", "Phường B", "commune"), ("9", "Xã C", "commune"),
                ("00004", "Xã A", "commune"), ("10", "Xã D", "commune")]
    assert codes(in_natural_order(communes, lambda u: u)) == ["00004", "9", "10", "00012"]
    bodies = [("33.X", "Sở Xây dựng", "department"), ("33.A", "Ân Thi tỉnh", "department"),
              ("33.B", "An Thi tỉnh", "department"), ("33.C", "Công an tỉnh", "department")]
    # "Ân" and "An" read alike (search_key); the code decides between them
    assert codes(in_natural_order(bodies, lambda u: u)) == ["33.A", "33.B", "33.C", "33.X"]


def test_every_kind_has_its_group() -> None:
    kinds = ["office", "commune", "district", "department", "province", "nation"]
    keys = sorted(natural_key("1", "x", kind) for kind in kinds)
    assert [k[0] for k in keys] == [0, 1, 2, 3, 4, 5]
    assert natural_key("1", "x", "unknown")[0] == 6     # an unknown kind comes last


def _add_hung_yen_under(parent: str) -> None:
    for code, name, kind in HUNG_YEN:
        add_unit(code, name, kind, parent)


def test_sql_order_is_the_same_as_the_python_key(world) -> None:
    with system_scope("test"):
        _add_hung_yen_under("P1")
        add_unit("00004", "Xã A", "commune", "330")
        add_unit("9", "Xã C", "commune", "330")
        add_unit("10", "Xã D", "commune", "330")
        units = list(db.session.scalars(select(Unit)))
        in_sql = list(db.session.scalars(select(Unit).order_by(*natural_order())))
    assert [u.code for u in in_sql] == [u.code for u in in_natural_order(
        units, lambda u: (u.code, u.name, u.kind))]
    with system_scope("test"):
        found = search_subtree(db.session.scalar(select(Unit).where(Unit.code == "P1")),
                               "huyen")
    assert [u.code for u in found] == ["D1", "D2", "325", "329", "330"]   # not "Thành phố"


def _leader_of_p1(app, world):
    with system_scope("test"):
        user = create_user("leader.p1", PASSWORD, full_name="Lãnh đạo tỉnh")
        grant(user, db.session.scalar(select(Unit).where(Unit.code == "P1")), "leader")
        grant(user, db.session.scalar(select(Unit).where(Unit.code == "P1")), "consolidator")
        db.session.commit()
    client = app.test_client()
    assert login(client, "leader.p1").status_code == 302
    return client


def listed_codes(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


def test_children_of_a_unit_in_the_natural_order(app, world) -> None:
    with system_scope("test"):
        _add_hung_yen_under("P1")
        db.session.commit()
    html = _leader_of_p1(app, world).get("/units/P1").get_data(as_text=True)
    assert listed_codes(html, r'<td><code>([^<]+)</code></td>') == [
        "33.BAOHY", "33.SKHCN", "P1.SKHCN", "D1", "D2", "323", "325", "329", "330"]


def test_the_consolidation_lists_its_units_in_the_natural_order(app, world, province) -> None:
    """Department P1.SKHCN before the districts D1, D2 (text order put it last), on the
    page and in the workbook's per-unit rows."""
    with system_scope("test"):
        consolidation = launch(db.session.scalar(select(Unit).where(Unit.code == "P1")),
                               framework(province), 2026, None)
        db.session.commit()
        run_consolidation(consolidation.id, consolidation.unit_id)
    client = _leader_of_p1(app, world)
    html = client.get(f"/consolidations/{consolidation.id}").get_data(as_text=True)
    assert listed_codes(html, r'data-unit="([^"]+)"') == ["P1.SKHCN", "D1", "D2"]
    book = load_workbook(io.BytesIO(exported(client, consolidation.id, "xlsx").data))
    first_column = [row[0] for row in book.worksheets[0].iter_rows(values_only=True)]
    names = [n for n in first_column if n in ("Sở Khoa học và Công nghệ", "Huyện Một",
                                              "Huyện Hai")]
    assert names == ["Sở Khoa học và Công nghệ", "Huyện Một", "Huyện Hai"]


def test_the_dashboard_and_its_sources_list_units_in_the_natural_order(
        app, world, province) -> None:
    client = _leader_of_p1(app, world)
    html = client.get(f"/units/P1/dashboard?framework={province}&year=2026").get_data(
        as_text=True)
    assert listed_codes(html, r'<tr data-unit="([^"]+)"') == ["P1.SKHCN", "D1", "D2"]
    html = client.get(f"/units/P1/dashboard/sources?framework={province}&year=2026"
                      "&figure=expected").get_data(as_text=True)
    assert listed_codes(html, r'<td><code>([^<]+)</code>') == [
        "P1.SKHCN", "D1", "D2", "C11", "C12"]


def test_the_worklist_filter_and_the_missing_page_in_the_natural_order(
        app, world, province) -> None:
    with system_scope("test"):
        _add_hung_yen_under("P1")
        db.session.commit()
    client = _leader_of_p1(app, world)
    html = client.get("/review").get_data(as_text=True)
    choices = re.search(r'id="worklist-child".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="\d+" >([^<]+)</option>', choices)[:3] == [
        "Báo Hưng Yên", "Sở Khoa học và Công nghệ", "Sở Khoa học và Công nghệ"]
    with system_scope("test"):
        period_id = db.session.scalar(select(ReportingPeriod.id).where(
            ReportingPeriod.framework_id == province, ReportingPeriod.year == 2026))
    html = client.get(f"/units/P1/missing?period_id={period_id}").get_data(as_text=True)
    assert listed_codes(html, r'data-testid="missing-([^"]+)"') == [
        "33.BAOHY", "33.SKHCN", "323", "325", "329", "330", "C12"]


def test_a_district_of_150_communes_lists_them_by_number(app, world, count_queries) -> None:
    """At the size of a real district: codes of every width in numeric order, in a fixed
    number of queries, the table's rows one per commune."""
    numbers = list(range(150, 0, -1))
    with system_scope("test"):
        for n in numbers:
            add_unit(f"{n:0{1 + n % 3}d}", f"Xã Số {n}", "commune", "D2")
        db.session.commit()
    client = _leader_of_p1(app, world)
    html = client.get("/units/D2").get_data(as_text=True)
    listed = listed_codes(html, r'<tr data-unit="([^"]+)"')
    assert [int(code) for code in listed if code != "C21"] == sorted(numbers)
    assert len(listed) == 151
    assert count_queries(lambda: client.get("/units/D2")) <= 30
