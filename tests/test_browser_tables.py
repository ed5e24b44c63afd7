"""Long tables in a real browser (issue 17, item 1): the demo province's consolidation and
its units, in the natural order, sorted and filtered by the project's script, headers kept
in view, and no page wider than the window at 1280 px; without JavaScript, plain tables.

Run alone: ``.venv/bin/pytest tests/test_browser_tables.py`` (without REDIS_URL the
consolidation runs in-process).
"""

from __future__ import annotations

import pytest

from tests.browsing import PASSWORD, press, shot, sign_in, watch

pytestmark = pytest.mark.browser

WIDTH = 1280
# The demo's nine departments and bodies, by name; then the ten districts by code.
DEPARTMENTS = ["33.BAOHY", "33.BCHQS", "33.CAT", "33.HHDN", "33.SCT", "33.SKHCN", "33.STC",
               "33.TTT", "33.MTTQ"]
DISTRICTS = ["323", "325", "326", "327", "328", "329", "330", "331", "332", "333"]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def row_units(page, table: str) -> list[str]:
    return page.eval_on_selector_all(f"#{table} tbody tr:not([hidden])",
                                     "rows => rows.map(r => r.dataset.unit)")


def widest(page) -> str:
    """The element reaching furthest right, to name it when the page is too wide."""
    return page.evaluate("""() => { let best = null, right = 0;
        for (const e of document.body.querySelectorAll('*')) {
          const r = e.getBoundingClientRect().right;
          if (r > right) { right = r; best = e; } }
        return best ? `${best.tagName.toLowerCase()}.${[...best.classList].join('.')}`
          + ` ${Math.round(right)} px: ${(best.textContent || '').trim().slice(0, 80)}` : ''; }""")


def column_numbers(page, table: str, column: int) -> list[float]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr:not([hidden]) > :nth-child({column})",
        "cells => cells.map(c => parseFloat(c.dataset.value || '0'))")


def consolidate(page, server: str) -> None:
    page.goto(server + "/units/33/reports")
    page.locator("tr", has_text="2026").get_by_role("button", name="Tổng hợp").click()
    page.wait_for_url("**/consolidations/*")
    page.get_by_test_id("reporting").wait_for(timeout=60000)
    page.wait_for_load_state("networkidle")     # the finished snapshot, its styles and script


def test_the_consolidation_sorts_filters_and_fits_the_window(browser, server: str) -> None:
    page = sign_in(browser, server, "tonghop.skhcn")
    page.set_viewport_size({"width": WIDTH, "height": 760})
    consolidate(page, server)
    units = row_units(page, "consolidation-units")
    # the official order: the bodies by name apart, then the districts by code (text order
    # put 33.… between 329 and 330)
    assert units == DEPARTMENTS + DISTRICTS
    assert page_width(page) <= WIDTH, ("the page is wider than the window", widest(page))
    box = page.get_by_test_id("consolidation-box")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight")

    # sort: the unit column reversed, then back; aria-sort says which
    unit_header = page.locator("#consolidation-units thead th").first
    unit_header.get_by_role("button").click()
    assert unit_header.get_attribute("aria-sort") == "descending"
    assert row_units(page, "consolidation-units") == list(reversed(units))
    unit_header.get_by_role("button").click()
    assert row_units(page, "consolidation-units") == units
    figure_header = page.locator("#consolidation-units thead th").nth(1)
    figure_header.get_by_role("button").click()
    assert figure_header.get_attribute("aria-sort") == "ascending"
    assert unit_header.get_attribute("aria-sort") is None

    # filter: accents and case aside, with the count said in the live region
    page.get_by_label("Lọc đơn vị (tên hoặc mã)").fill("huyen van")
    assert row_units(page, "consolidation-units") == ["325", "326"]   # Văn Lâm, Văn Giang
    status = page.locator('[data-filter-for="consolidation-units"] [role=status]')
    assert status.inner_text() == "Đang hiện 2 trên 19 dòng"
    page.get_by_label("Lọc đơn vị (tên hoặc mã)").fill("")
    assert len(row_units(page, "consolidation-units")) == 19

    # the header row stays in view when the box scrolls down
    box.evaluate("b => { b.scrollTop = b.scrollHeight; }")
    top = box.evaluate("b => b.getBoundingClientRect().top")
    head = page.locator("#consolidation-units thead th").first
    assert abs(head.evaluate("h => h.getBoundingClientRect().top") - top) < 2
    box.evaluate("b => { b.scrollTop = 0; }")
    page.get_by_label("Lọc đơn vị (tên hoặc mã)").fill("huyện")
    shot(page, "consolidation-table-filtered", height=1400)
    page.close()


def test_the_units_below_sort_by_number_and_the_pages_fit(browser, server: str) -> None:
    page = sign_in(browser, server, "lanhdao.tinh")
    page.goto(server + "/units/33")
    assert row_units(page, "unit-children")[9:] == DISTRICTS
    below = page.locator("#unit-children thead th").nth(3)
    below.get_by_role("button").click()
    below.get_by_role("button").click()
    assert below.get_attribute("aria-sort") == "descending"
    counts = column_numbers(page, "unit-children", 4)
    assert counts == sorted(counts, reverse=True) and counts[0] > 10    # communes of a district
    page.get_by_label("Lọc các đơn vị trực thuộc (tên hoặc mã)").fill("33.s")
    assert sorted(row_units(page, "unit-children")) == ["33.SCT", "33.SKHCN", "33.STC"]
    shot(page, "unit-children-sorted-filtered", height=1300)
    for path in ("/units/33", "/units/33/dashboard", "/units/325",
                 "/units/33/dashboard/sources?figure=expected&year=2026"):
        page.goto(server + path)
        assert page_width(page) <= WIDTH, path
    page.close()


def test_without_javascript_the_tables_are_plain_tables(browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": WIDTH, "height": 900})
    page = watch(context.new_page())
    page.goto(server + "/")
    page.get_by_label("Tên đăng nhập").fill("lanhdao.tinh")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    press(page, "Đăng nhập")
    page.goto(server + "/units/33")
    assert row_units(page, "unit-children")[9:] == DISTRICTS
    assert page.locator("#unit-children button").count() == 0
    assert not page.get_by_label("Lọc các đơn vị trực thuộc (tên hoặc mã)").is_visible()
    assert page_width(page) <= WIDTH
    context.close()
