"""The markup of the long tables (issue 17, item 1): a plain table in the natural order that
works without JavaScript, a scroll box of its own, sortable headers (``data-sort``, the
server's order said by ``aria-sort``), a labelled filter box (shown by the script), figures
right-aligned (``num``) in the Vietnamese format. The behaviour is
tests/test_browser_tables.py's."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.reports.consolidation import launch, run_consolidation
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import framework
from tests.test_ordering import _leader_of_p1


def header(html: str, table_id: str) -> str:
    return re.search(rf'<table[^>]*id="{table_id}".*?</thead>', html, re.S).group(0)


def filter_box_of(html: str, table_id: str) -> str:
    return re.search(rf'<div class="table-filter" hidden data-filter-for="{table_id}">.*?</div>',
                     html, re.S).group(0)


def consolidated(app, world, province) -> str:
    with system_scope("test"):
        row = launch(db.session.scalar(select(Unit).where(Unit.code == "P1")),
                     framework(province), 2026, None)
        db.session.commit()
        run_consolidation(row.id, row.unit_id)
    return _leader_of_p1(app, world).get(f"/consolidations/{row.id}").get_data(as_text=True)


def test_the_consolidation_is_a_unit_per_row_table_in_its_own_box(app, world, province) -> None:
    html = consolidated(app, world, province)
    assert re.search(r'<div class="table-box"[^>]*>\s*<table[^>]*class="[^"]*sortable[^"]*"'
                     r'[^>]*id="consolidation-units"', html)
    head = header(html, "consolidation-units")
    assert re.search(r'<th scope="col" class="sticky-col" data-sort="natural" '
                     r'aria-sort="ascending">Đơn vị</th>', head)
    assert head.count('class="num" data-sort="number"') == 5       # one per indicator
    assert head.count("aria-sort") == 1
    box = filter_box_of(html, "consolidation-units")
    assert 'for="consolidation-units-filter"' in box and 'id="consolidation-units-filter"' in box
    assert "Lọc đơn vị (tên hoặc mã)" in box and 'role="status"' in box
    # D1's II.1.d: 10 of 100 trained, as a share; the whole: 15 of 120, at the foot
    d1 = re.search(r'<tr data-unit="D1">.*?</tr>', html, re.S).group(0)
    assert '<td class="num" data-value="0.1">10 % <span class="text-muted">(10/100)</span>' in d1
    foot = re.search(r"<tfoot>.*?</tfoot>", html, re.S).group(0)
    assert "Tổng" in foot and foot.count('<td class="num"') == 5


def test_the_children_of_a_unit_sort_and_filter(app, world) -> None:
    html = _leader_of_p1(app, world).get("/units/P1").get_data(as_text=True)
    head = header(html, "unit-children")
    assert 'data-sort="natural" aria-sort="ascending">Đơn vị</th>' in head
    assert '<th scope="col" class="num" data-sort="number">' in head
    assert 'for="unit-children-filter"' in filter_box_of(html, "unit-children")
    d1 = re.search(r'<tr data-unit="D1">.*?</tr>', html, re.S).group(0)
    assert '<td class="num" data-value="2">2</td>' in d1           # C11 and C12


def test_the_dashboard_children_numbers_are_right_aligned(app, world, province) -> None:
    html = _leader_of_p1(app, world).get(
        f"/units/P1/dashboard?framework={province}&year=2026").get_data(as_text=True)
    head = header(html, "dashboard-children")
    assert head.count('class="num" data-sort="number"') == 8
    d1 = re.search(r'<tr data-unit="D1">.*?</tr>', html, re.S).group(0)
    # 2 of 3 reports: 66,7 % in the Vietnamese format, the exact share to sort by
    assert re.search(r'<td class="num" data-value="0\.666\d*">66,7 %</td>', d1)
    assert "text-end" not in d1


def test_the_sources_and_the_worklist_sort(app, world, province) -> None:
    client = _leader_of_p1(app, world)
    html = client.get(f"/units/P1/dashboard/sources?framework={province}&year=2026"
                      "&indicator=II.1.b").get_data(as_text=True)
    assert 'data-sort="natural" aria-sort="ascending">Đơn vị</th>' in header(html,
                                                                             "sources-table")
    assert re.search(r'<td class="num" data-value="3(\.0+)?">3</td>', html)
    html = client.get("/review").get_data(as_text=True)
    head = header(html, "worklist-table")
    # the worklist's own order: oldest submission first
    assert 'data-sort="natural" aria-sort="ascending">Thời điểm gửi</th>' in head
    assert head.count("aria-sort") == 1
    assert 'for="worklist-table-filter"' in filter_box_of(html, "worklist-table")
