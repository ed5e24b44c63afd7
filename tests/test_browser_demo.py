"""Browser journey of today's demo (issue 21 item 1): what `make run` shows — new Hưng Yên
in December 2026 — to the people of the new structure: the provincial leader finds the
old communes' plans of June 2025 on the new commune's page and reads one; the commune's
officer sees her 2026 report returned by DOST and the plans of the communes her commune
took over; DOST's reviewer has reports waiting; the old commune says what it became.

Its own deployment of today's demo (``flask demo seed``), in SQLite: the shared one of
tests/browsing.py is the legacy demo the PRODUCT.md journeys start from.
"""

from __future__ import annotations

import pytest

from portal.demo.today import RETURN_REASON
from tests.browsing import shot, sign_in
from tests.live import Live

pytestmark = pytest.mark.browser


@pytest.fixture
def today(today_demo: Live) -> str:
    return today_demo.url     # tests/browsing.py: today's demo, this journey first


def test_todays_hung_yen_with_its_history(browser, today: str) -> None:
    leader = sign_in(browser, today, "lanhdao.tinh")
    leader.wait_for_url("**/units/33")
    assert leader.get_by_test_id("unit-children").locator("tbody tr").count() == 104 + 9
    assert leader.get_by_test_id("closed-children").locator("tbody tr").count() == 10
    # the districts' plans of June 2025, kept by the province they were merged into
    districts = leader.get_by_test_id("predecessor-plans")
    assert districts.locator("tbody tr").count() >= 5
    leader.goto(today + "/units/11992")
    assert leader.get_by_test_id("unit-name").inner_text() == "Xã Lạc Đạo"
    section = leader.get_by_test_id("predecessor-plans")
    assert section.get_by_role("heading").inner_text().startswith(
        "Kế hoạch của đơn vị trước sắp xếp")
    old = section.locator("tr[data-unit='11989']")
    assert "Đã ban hành" in old.inner_text() and "01/07/2025" in old.inner_text()
    shot(leader, "demo-1-predecessor-plans")
    with leader.expect_navigation():
        old.locator("a[href^='/plans/']").click()
    assert "Xã Lạc Đạo" in leader.locator("main").inner_text()
    assert "Đã ban hành" in leader.locator("main").inner_text()
    shot(leader, "demo-2-legacy-plan", height=900)
    assert leader.goto(today + "/units/33/dashboard").status == 200
    shot(leader, "demo-3-dashboard", height=1400)
    leader.close()

    officer = sign_in(browser, today, "canbo.xa")
    officer.wait_for_url("**/units/11992")
    todo = officer.locator("#todo-title").locator("xpath=..")
    assert todo.locator("a[href^='/reports/']").count() >= 1
    assert officer.get_by_test_id("predecessor-plans").locator("tr[data-unit='11989']") \
        .count() == 1
    shot(officer, "demo-4-commune-officer")
    with officer.expect_navigation():
        todo.locator("a[href^='/reports/']").first.click()
    assert RETURN_REASON in officer.locator("main").inner_text()
    officer.goto(today + "/units/11989")
    successors = officer.get_by_test_id("unit-successors")
    assert "Xã Lạc Đạo" in successors.inner_text() and "01/07/2025" in successors.inner_text()
    officer.close()

    reviewer = sign_in(browser, today, "chuyenvien.skhcn")
    reviewer.goto(today + "/review")
    assert reviewer.locator("main a[href^='/reports/']").count() >= 10
    shot(reviewer, "demo-5-dost-worklist")
    reviewer.close()
