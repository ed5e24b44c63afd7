"""The plan editor in a browser (issue 17 item 3): the coordinating units picked by typing
a name, a day picked on the calendar and written dd/mm/yyyy, an error beside its field, the
signer filled in — and no refusal of the Content-Security-Policy on the way."""

from __future__ import annotations

import pytest

from tests.browsing import press, sign_in
from tests.live import ARTIFACTS

pytestmark = pytest.mark.browser


def open_department_plan(page, server: str) -> None:
    """The DOST's own plan (canbo.skhcn): the demo leaves it to the journeys, a draft."""
    page.goto(server + "/units/33.SKHCN/plans")
    if page.get_by_role("button", name="Bắt đầu xây dựng").count():
        page.get_by_role("button", name="Bắt đầu xây dựng").click()
    else:
        page.locator("main table a[href^='/plans/']").first.click()
    page.wait_for_url("**/plans/*")


def pick_day(card, field: str, iso: str) -> None:
    """Press the calendar button beside ``field`` and choose ``iso`` in the browser's date
    picker (the hidden date input it opens: the picker's own window is not in the page)."""
    field_id = card.get_by_label(field, exact=True).get_attribute("id")
    group = card.locator(f".date-field:has(#{field_id})")
    group.get_by_role("button", name="Chọn ngày trên lịch").click()
    group.locator("input[type=date]").fill(iso)


def shot_of(element, name: str, below: int = 0) -> None:
    """A screenshot of ``element`` (and ``below`` pixels under it: an open list)."""
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    ARTIFACTS.mkdir(exist_ok=True)
    element.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), clip={
        "x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"] + below})


def test_picking_units_and_days_in_the_plan_editor(browser, server: str) -> None:
    page = sign_in(browser, server, "canbo.skhcn")
    open_department_plan(page, server)
    plan_url = page.url
    card = page.locator("article.task-card").nth(2)   # (the other journeys use the first two)

    # (a) the coordinating units: typed without accents, found with them
    picker = card.get_by_role("combobox", name="Đơn vị phối hợp")
    picker.wait_for()
    plain = card.locator("select[name=coordinating]")               # kept, holding the choice
    assert "tomselected" in plain.get_attribute("class")
    picker.click()
    picker.press_sequentially("van lam")
    option = card.get_by_role("option", name="Huyện Văn Lâm")
    option.wait_for()
    shot_of(card, "plan-editor-unit-picker", below=120)
    option.click()
    card.locator(".ts-control .item", has_text="Huyện Văn Lâm").wait_for()
    card.locator(".save-status", has_text="Đã lưu lúc").wait_for(timeout=8000)

    # (b) the days: picked on the calendar, written dd/mm/yyyy; (c) a wrong one is marked
    # beside its own field
    pick_day(card, "Bắt đầu", "2026-03-15")
    start = card.get_by_label("Bắt đầu", exact=True)
    assert start.input_value() == "15/03/2026"
    pick_day(card, "Kết thúc", "2026-01-10")              # before the start: refused
    end = card.get_by_label("Kết thúc", exact=True)
    slot = card.locator(".field-error", has_text="trước ngày bắt đầu")
    slot.wait_for(timeout=8000)
    assert end.get_attribute("aria-invalid") == "true"
    assert slot.get_attribute("id") in end.get_attribute("aria-describedby")
    # the message sits in the end date's own column, under its field
    column = card.locator(f".row > div:has(#{end.get_attribute('id')})")
    assert column.locator(".field-error", has_text="trước ngày bắt đầu").count() == 1
    shot_of(card, "plan-editor-error-beside-field")
    pick_day(card, "Kết thúc", "2026-11-30")
    card.locator(".save-status", has_text="Đã lưu lúc").wait_for(timeout=8000)
    assert end.get_attribute("aria-invalid") is None

    page.reload()                                            # what was saved
    card = page.locator("article.task-card").nth(2)
    assert card.get_by_label("Bắt đầu", exact=True).input_value() == "15/03/2026"
    assert card.get_by_label("Kết thúc", exact=True).input_value() == "30/11/2026"
    chosen = card.locator("select[name=coordinating] option:checked").all_inner_texts()
    assert chosen == ["Huyện Văn Lâm"]

    # (e) the head finds the signer filled in; (c) a refusal marks its fields
    press(page, "Trình thủ trưởng đơn vị")
    head = sign_in(browser, server, "giamdoc.skhcn")
    head.goto(plan_url)
    assert head.get_by_label("Họ tên người ký").input_value() == "Bùi Thị Hạnh"
    assert head.get_by_label("Chức vụ người ký").input_value() == "GIÁM ĐỐC"
    # the number is the register's, shown before issue, never typed (portal.register)
    assert head.locator("#next-number").inner_text().endswith("/KH-SKHCN")
    assert head.get_by_label("Số, ký hiệu").count() == 0
    head.get_by_label("Họ tên người ký").fill("")
    press(head, "Ban hành kế hoạch")
    signer = head.get_by_label("Họ tên người ký")
    assert signer.get_attribute("aria-invalid") == "true"
    message = head.locator("#error-signer_name")
    assert message.inner_text()
    assert "error-signer_name" in signer.get_attribute("aria-describedby")
    box, under = signer.bounding_box(), message.bounding_box()
    assert abs(under["x"] - box["x"]) < 5 and 0 <= under["y"] - (box["y"] + box["height"]) < 40
    shot_of(head.locator("section.workflow"), "plan-issue-errors-beside-fields")
    # back to a draft for the journeys after this one
    head.get_by_label("Hoặc trả lại để chỉnh sửa, nêu rõ lý do").fill("Thử bộ chọn, trả lại")
    press(head, "Trả lại")
    assert "trả lại" in head.content()
    head.close()
    page.close()
