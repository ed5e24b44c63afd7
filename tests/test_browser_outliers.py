"""The outlier journey in a real browser (issue 18, items 4 and 5; docs/outliers.md).

The provincial consolidator sets a bound for a commune's training classes; a commune
officer types a figure far above it, is warned and saves all the same; the district's
reviewer sees the value marked on the report, opens its panel and asks about it; the
officer reads the question in the panel.
"""

from __future__ import annotations

import pytest

from tests.browsing import PASSWORD, press, shot, sign_in
from tests.live import Live

pytestmark = pytest.mark.browser

COMMUNE = "99901"   # a commune of Văn Lâm made for this journey: no other journey files for it


def test_an_outlier_is_warned_flagged_and_discussed(browser, live: Live) -> None:
    server = live.url
    assert live.flask("units", "add", COMMUNE, "Xã Thử Nghiệm Ngoại Lai", "--kind",
                      "commune", "--parent", "325").wait(timeout=60) == 0
    assert live.flask("users", "create", "canbo.ngoailai", "--unit", COMMUNE, "--role",
                      "drafter", "--password", PASSWORD, "--full-name",
                      "Phạm Thị Dung").wait(timeout=60) == 0

    # The province's consolidator, who maintains Plan 108, bounds the communes' classes.
    owner = sign_in(browser, server, "tonghop.skhcn")
    owner.goto(server + "/units/33/frameworks")
    with owner.expect_navigation():
        # Plan 108 by name: other journeys add frameworks of their own (a scan's draft)
        owner.locator("a[href^='/frameworks/']", has_text="108").first.click()
    with owner.expect_navigation():
        owner.get_by_test_id("outlier-rules-link").click()
    form = owner.get_by_test_id("new-rule")
    form.get_by_label("Chỉ tiêu").select_option("II.1.đ")
    form.get_by_label("Loại đơn vị").select_option("commune")
    form.get_by_label("Ngưỡng trên").fill("20")
    form.get_by_label("Hệ số so với năm trước").fill("3")
    press(owner, "Thêm quy tắc")
    rule = owner.get_by_test_id("rule-II.1.đ-commune")
    assert "khoảng thường gặp tối đa 20, do cơ quan chủ trì kế hoạch đặt" in rule.inner_text()
    shot(owner, "outlier-rules")

    # The commune officer types 500 classes: warned beside the field, saved all the same.
    officer = sign_in(browser, server, "canbo.ngoailai")
    officer.goto(server + f"/units/{COMMUNE}/reports")
    officer.locator("tr", has_text="2026").get_by_role("button", name="Lập báo cáo").click()
    officer.wait_for_url("**/reports/*")
    report_url = officer.url
    value_form = officer.locator("form.autosave", has_text="II.1.đ")
    value_form.get_by_label("Giá trị").fill("500")
    value_form.locator("[id^=status-value-]", has_text="Đã lưu").wait_for(timeout=8000)
    warning = value_form.locator(".outlier-warning")
    warning.get_by_text("Giá trị bất thường, vẫn đã được lưu").wait_for(timeout=8000)
    assert "500 nằm ngoài khoảng thường gặp tối đa 20" in warning.inner_text()
    shot(officer, "outlier-warning-while-typing", height=1100)
    officer.reload()                                     # saved, and still warned
    assert value_form.get_by_label("Giá trị").input_value() == "500"
    assert "Giá trị bất thường" in value_form.locator(".outlier-warning").inner_text()

    # The district's reviewer sees the value marked on the report and opens its panel.
    reviewer = sign_in(browser, server, "chuyenvien.huyen")
    reviewer.goto(report_url)
    marked = reviewer.get_by_test_id("follow-ups")
    assert "II.1.đ" in marked.inner_text() and "bất thường" in marked.inner_text()
    with reviewer.expect_navigation():
        marked.get_by_role("link").first.click()
    assert "Cần theo dõi" in reviewer.get_by_test_id("panel-follow-up").inner_text()
    assert "500" in reviewer.get_by_test_id("panel-history").inner_text()
    reviewer.get_by_label("Nội dung trao đổi").fill(
        "500 lớp trong một năm? Đề nghị xã kiểm tra lại.")
    press(reviewer, "Gửi trao đổi")
    assert "Đề nghị xã kiểm tra lại" in reviewer.get_by_test_id("panel-comments").inner_text()
    shot(reviewer, "value-panel")

    # The officer opens the panel from the value and reads the question.
    officer.goto(report_url)
    with officer.expect_navigation():
        value_form.get_by_role("link", name="Chi tiết, lịch sử và trao đổi").click()
    comments = officer.get_by_test_id("panel-comments").inner_text()
    assert "Lê Văn Cường · cán bộ thẩm định" in comments
    assert "500 lớp trong một năm?" in comments
    reviewer.close()
    officer.close()
    owner.close()
