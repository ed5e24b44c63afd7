"""The consolidation page is paged (issue 22 item 2): the per-unit tables (the indicators
of the units below, and what each unit wrote) show one page of units, which htmx
replaces; a filter by name or code runs on the server over every unit. The page's size
no longer grows with the units: only the compiled narrative does, by the names each of
its paragraphs cites (the text the Word report prints)."""

from __future__ import annotations

import copy
import re

from portal import clock
from portal.extensions import db
from portal.reports.consolidation import Consolidation
from portal.reports.pages import UNITS_SHOWN
from portal.reports.report import NARRATIVE
from tenants.scoping import system_scope
from tests.test_consolidation_exports import consolidate

SAID = {"results": "Đã tổ chức tập huấn về tiêu chuẩn, đo lường, chất lượng cho doanh nghiệp.",
        "difficulties": "Kinh phí cho hoạt động tiêu chuẩn hóa còn hạn chế.",
        "proposals": "Đề nghị tỉnh bố trí thêm kinh phí cho năm sau."}


def _snapshot_of(base_id: int, members: int) -> int:
    """The snapshot ``base_id`` as if ``members`` units were directly below its root,
    each with its figures and a passage in each section of the narrative."""
    with system_scope("test: a snapshot of many units"):
        base = db.session.get_one(Consolidation, base_id)
        result = copy.deepcopy(base.result)
        child = result["children"][0]
        codes = [f"X{i:04d}" for i in range(members)]
        result["children"] = [{**child, "unit": code} for code in codes]
        result["narrative"] = {name: [{"unit": code, "name": f"Xã Thử {i}", "text": SAID[name]}
                                      for i, code in enumerate(codes)] for name in NARRATIVE}
        row = Consolidation(unit_id=base.unit_id, framework_id=base.framework_id,
                            period_id=base.period_id, year=base.year,
                            number=base.number + members, status="done", progress=100,
                            result=result, inputs=base.inputs, created_at=clock.now(),
                            finished_at=clock.now())
        db.session.add(row)
        db.session.commit()
        return row.id


def _table_units(html: str) -> list[str]:
    table = re.search(r'id="consolidation-units".*?</table>', html, re.S).group(0)
    return re.findall(r'<tr data-unit="([^"]+)"', table)


def _passage_units(html: str) -> list[str]:
    box = re.search(r'id="consolidation-passages-page".*', html, re.S).group(0)
    return re.findall(r'<div class="mb-2" data-unit="([^"]+)"', box)


def test_the_page_holds_one_page_of_units_whatever_their_number(province: int,
                                                                 login_as) -> None:
    base = consolidate(province, "P1")
    client = login_as("platform")
    sizes = {}
    for members in (30, 300, 3000):
        snapshot = _snapshot_of(base, members)
        page = client.get(f"/consolidations/{snapshot}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        sizes[members] = len(page.data)
        shown = min(members, UNITS_SHOWN)
        assert _table_units(html) == [f"X{i:04d}" for i in range(shown)]
        assert _passage_units(html) == [f"X{i:04d}" for i in range(shown)]
        paged = members > UNITS_SHOWN
        assert ('aria-label="Các trang đơn vị trực thuộc"' in html) == paged
        assert ('id="consolidation-units-q"' in html) == paged   # the server's filter
        # the compiled narrative cites every unit (the report prints it)
        assert "UBND xã Thử " + str(members - 1) in html
    print(f"consolidation page: {sizes[30]} bytes for 30 units, {sizes[300]} for 300, "
          f"{sizes[3000]} for 3000")
    assert sizes[300] < 3 * sizes[30], sizes         # ten times the units
    # beyond a page, only the narrative's citations grow (about 20 bytes a unit and section)
    assert sizes[3000] - sizes[300] < 3 * 30 * 2700, sizes


def test_htmx_pages_and_a_filter_on_the_server_reach_every_unit(province: int,
                                                                login_as) -> None:
    base = consolidate(province, "P1")
    snapshot = _snapshot_of(base, 300)
    client = login_as("platform")
    third = client.get(f"/consolidations/{snapshot}/units?page=3",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert _table_units(third) == [f"X{i:04d}" for i in range(100, 150)]
    assert "<html" not in third and 'aria-current="page"' in third
    # the pager's links: the page itself without JavaScript, the fragment for htmx
    assert f'href="/consolidations/{snapshot}?page=4"' in third
    assert f'hx-get="/consolidations/{snapshot}/units?page=4"' in third
    beyond = client.get(f"/consolidations/{snapshot}/units?page=99").get_data(as_text=True)
    assert _table_units(beyond) == [f"X{i:04d}" for i in range(250, 300)]   # the last page
    # the filter runs over every unit, not only the page shown
    found = client.get(f"/consolidations/{snapshot}/units?q=x0287").get_data(as_text=True)
    assert _table_units(found) == ["X0287"]
    whole = client.get(f"/consolidations/{snapshot}?q=X028").get_data(as_text=True)
    assert _table_units(whole) == [f"X{i:04d}" for i in range(280, 290)]
    assert 'value="X028"' in whole
    # what the units wrote: by name, accents aside
    wrote = client.get(f"/consolidations/{snapshot}/passages?wrote_q=xa thu 29&wrote_page=1"
                       ).get_data(as_text=True)
    assert _passage_units(wrote) == ["X0029"] + [f"X{i:04d}" for i in range(290, 300)]
    assert "Kinh phí cho hoạt động tiêu chuẩn hóa còn hạn chế." in wrote
    second = client.get(f"/consolidations/{snapshot}?wrote_page=2").get_data(as_text=True)
    assert _passage_units(second) == [f"X{i:04d}" for i in range(50, 100)]
    assert _table_units(second) == [f"X{i:04d}" for i in range(50)]    # its own pages
