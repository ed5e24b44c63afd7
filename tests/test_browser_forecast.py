"""Browser check of issue 18 (items 6–8): the provincial leader's dashboard shows each
indicator's health band and its projection to 2030 drawn dashed, the groups' health and
the confidence of tasks in progress; a year with one reported year says there is no
projection. Screenshot: docs/screenshots/dashboard-forecast.png (test-artifacts/)."""

from __future__ import annotations

import pytest

from tests.browsing import sign_in
from tests.live import ARTIFACTS, Live

pytestmark = pytest.mark.browser

BANDS = {"achieved", "on_track", "behind", "at_risk", "not_started", "no_data", "none"}


def test_leader_sees_health_bands_and_a_dashed_projection(browser, live: Live) -> None:
    assert live.flask("demo", "reports").wait(timeout=180) == 0    # idempotent
    leader = sign_in(browser, live.url, "lanhdao.tinh")
    leader.goto(live.url + "/units/33/dashboard?year=2026")
    cells = leader.locator("[data-testid^='health-II'] [data-health]")
    assert cells.count() >= 3
    bands = set(cells.evaluate_all("els => els.map(e => e.dataset.health)"))
    assert bands and bands <= BANDS
    # the province's own forums and programmes are compared here: never "not assessed"
    assert leader.locator("[data-testid='health-II.1.c'] [data-health]").get_attribute(
        "data-health") != "none"
    lines = leader.get_by_test_id("projection-line")
    assert lines.count() >= 2
    # drawn dashed by the stylesheet (no inline style), after the solid line of the years
    assert lines.first.evaluate("e => getComputedStyle(e).strokeDasharray") not in ("", "none")
    solid = leader.locator("[data-testid^='projection-II'] .chart-line").first
    assert solid.evaluate("e => getComputedStyle(e).strokeDasharray") in ("", "none")
    words = leader.get_by_test_id("projection-II.1.c").inner_text()
    assert "2030 dự báo:" in words
    group = leader.get_by_test_id("group-health")
    assert group.locator("[data-group='II.1'] [data-health]").count() == 1
    assert leader.get_by_test_id("confidence").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    leader.set_viewport_size({"width": 1760, "height": 1000})   # the whole table, unscrolled
    leader.locator("section[aria-labelledby='indicators-title']").screenshot(
        path=str(ARTIFACTS / "dashboard-forecast.png"))

    leader.goto(live.url + "/units/33/dashboard?year=2025")
    assert leader.get_by_test_id("projection-line").count() == 0
    assert "Chưa đủ hai năm có số liệu" in leader.get_by_test_id(
        "no-projection-II.1.c").inner_text()
    leader.close()
