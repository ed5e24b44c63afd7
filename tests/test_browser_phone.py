"""Issue 17 item 5: a phone at 375 px. Every main page, as each demo role, fits the
screen's width (a wide table scrolls inside its own box, never the page), and the header
folds into a menu opened by its button."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browsing import PASSWORD, department_plan, department_report, press, watch
from tests.browsing import sign_in as sign_in_wide
from tests.live import ARTIFACTS

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}

# What overflows the page: the width the document scrolls to, the width it shows, and the
# element reaching furthest to the right that no scrolling box of its own holds in.
OVERFLOW = """() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  let widest = null, right = width;
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= right) continue;
    let held = false;
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      const x = getComputedStyle(up).overflowX;
      if (x === "auto" || x === "scroll" || x === "hidden" || x === "clip") { held = true; break; }
    }
    if (held) continue;
    right = box.right;
    widest = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
      (element.className && typeof element.className === "string"
        ? "." + element.className.trim().split(/\\s+/).join(".") : "") +
      " (" + Math.round(box.width) + " px wide, reaching " + Math.round(box.right) + " px)";
  }
  return {scroll: doc.scrollWidth, client: width, widest: widest};
}"""


def phone_sign_in(browser, server: str, username: str):
    page = watch(browser.new_page(viewport=PHONE))
    page.goto(server + "/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    press(page, "Đăng nhập")
    return page


def fits(page, path: str | None = None) -> None:
    """The page (opened at ``path``, or as it is) scrolls no wider than the phone."""
    if path is not None:
        origin = urlsplit(page.url)
        response = page.goto(f"{origin.scheme}://{origin.netloc}{path}")
        assert response is not None and response.ok, (path, response and response.status)
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["client"] + 1, (
        f"{page.url} is {found['scroll']} px wide at {found['client']} px: {found['widest']}")


def phone_shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def first_link(page, path: str, selector: str) -> str | None:
    fits(page, path)
    link = page.locator(selector).first
    return link.get_attribute("href") if link.count() else None


# Each demo role and the main pages it works in (the unit's own pages, what it reviews).
ROLE_PAGES = {
    "canbo.xa": ["/", "/units/11989", "/units/11989/plans", "/units/11989/reports",
                 "/notifications", "/notifications/settings", "/auth/password"],
    "chutich.xa": ["/", "/units/11989", "/units/11989/reports", "/notifications"],
    "chuyenvien.huyen": ["/", "/units/325", "/review", "/units/325/reports",
                         "/units/325/missing", "/notifications"],
    "lanhdao.huyen": ["/", "/units/325", "/units/325/dashboard"],
    "canbo.skhcn": ["/", "/units/33.SKHCN", "/units/33.SKHCN/plans", "/notifications"],
    "giamdoc.skhcn": ["/", "/units/33.SKHCN", "/units/33.SKHCN/reports"],
    "tonghop.skhcn": ["/", "/units/33", "/review", "/units/33/reports", "/units/33/missing",
                      "/units/33/frameworks", "/notifications"],
    "lanhdao.tinh": ["/", "/units/33", "/units/33/dashboard"],
    "quantri.tinh": ["/", "/units/33/audit", "/unit-admin/", "/unit-admin/user_account/",
                     "/unit-admin/unit/",
                     "/unit-admin/membership/"],
    "vanhanh": ["/admin/", "/admin/user_account/", "/admin/unit/", "/admin/reporting_period/"],
}


@pytest.mark.parametrize("username", list(ROLE_PAGES))
def test_the_main_pages_fit_a_phone(browser, server: str, username: str) -> None:
    """…and none asks for a file that is not there (the favicon was, on every page)."""
    page = phone_sign_in(browser, server, username)
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url)
            if response.status == 404 else None)
    for path in ROLE_PAGES[username]:
        fits(page, path)
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert icon and page.request.get(server + icon).ok, path
    assert not missing, missing
    page.close()


def test_the_plan_editor_and_the_report_form_fit_a_phone(browser, server: str) -> None:
    """The department's drafter writes its plan and its report on the phone: no page wider
    than the screen, every field as wide as its card, the buttons within reach."""
    page = phone_sign_in(browser, server, "canbo.skhcn")
    department_plan(page, server)
    fits(page)
    phone_shot(page, "phone-plan-editor")
    department_report(page, server)
    fits(page)
    note = page.get_by_label("Ghi chú").first
    note.scroll_into_view_if_needed()
    card = note.locator("xpath=ancestor::form[1]")
    field, box = note.bounding_box(), card.bounding_box()
    assert field and box and field["width"] >= box["width"] - 48, (field, box)
    for button in page.locator("main button:visible").all():
        edge = button.bounding_box()
        assert edge is None or (edge["x"] >= 0 and edge["x"] + edge["width"] <= 376), \
            (button.inner_text(), edge)
    phone_shot(page, "phone-report-form")
    page.close()


def test_the_dashboard_and_the_consolidation_fit_a_phone(browser, server: str) -> None:
    page = phone_sign_in(browser, server, "lanhdao.tinh")
    fits(page, "/units/33/dashboard")
    phone_shot(page, "phone-dashboard")
    page.close()
    page = phone_sign_in(browser, server, "tonghop.skhcn")
    fits(page, "/units/33/reports")
    snapshot = page.locator("tr", has_text="2026").locator("a[href^='/consolidations/']")
    if snapshot.count():
        snapshot.first.click()
    else:
        page.locator("tr", has_text="2026").get_by_role("button", name="Tổng hợp").click()
    page.wait_for_url("**/consolidations/*")
    fits(page)
    phone_shot(page, "phone-consolidation")
    page.close()


def test_the_header_folds_into_a_menu(browser, server: str) -> None:
    """At 375 px the header shows the brand and a menu button; the button says whether the
    menu is open and which element it opens; a link in the menu leads on."""
    page = phone_sign_in(browser, server, "chuyenvien.huyen")
    toggle = page.get_by_role("button", name="Menu")
    assert toggle.get_attribute("aria-expanded") == "false"
    menu = page.locator("#" + toggle.get_attribute("aria-controls"))
    assert not menu.is_visible()
    assert not page.get_by_role("link", name="Thông báo").is_visible()
    phone_shot(page, "phone-header")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and menu.is_visible()
    fits(page)
    phone_shot(page, "phone-menu-open")
    toggle.click()                                             # and closes again
    assert toggle.get_attribute("aria-expanded") == "false" and not menu.is_visible()
    toggle.click()
    with page.expect_navigation():
        menu.get_by_role("link", name="Thông báo").click()
    assert page.url.endswith("/notifications")
    page.close()
    wide = watch(browser.new_page(viewport={"width": 1280, "height": 900}))
    wide.goto(server + "/login")
    assert not wide.get_by_role("button", name="Menu").is_visible()   # a computer: no menu
    wide.close()


# ---- issue 17 item 6: no htmx error on any kind of autosave ----------------------------

def htmx_errors(page) -> list[str]:
    """The console's errors and warnings from htmx (oobErrorNoTarget: the answer carried a
    piece for an element the page does not have), as the page logs them."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text)
            if message.type in ("error", "warning") else None)
    return seen


def saved(form, text: str = "Đã lưu") -> None:
    form.locator(".save-status", has_text=text).wait_for(timeout=8000)


def test_no_autosave_logs_an_htmx_error(browser, server: str) -> None:
    """Every kind of autosave form: a plan's section, task card and target; a report's
    indicator, task and narrative; a consolidation's narrative. Each saved, and where it
    has a figure, refused once (the answer then carries the fields' messages)."""
    page = sign_in_wide(browser, server, "canbo.skhcn")
    errors = htmx_errors(page)
    department_plan(page, server)
    section = page.locator("form.autosave[id^=section-]").first
    section.locator("textarea, input.form-control").first.fill("Mục đích của Sở, bản nháp")
    saved(section)
    card = page.locator("article.task-card").nth(2)
    card.get_by_label("Chủ trì (bộ phận trong đơn vị)").fill("Phòng Quản lý chuyên ngành")
    saved(card)
    target = page.locator("input.target-input")
    if target.count():
        target.first.fill("abc")
        saved(target.first.locator("xpath=ancestor::form[1]"), "")
        page.wait_for_timeout(1500)
        target.first.fill("3")
        saved(target.first.locator("xpath=ancestor::form[1]"))
    department_report(page, server)
    value = page.locator("form.autosave[id^=value-]", has=page.get_by_label("Ghi chú")).first
    value.get_by_label("Ghi chú").fill("Theo số liệu của phòng")
    saved(value)
    task = page.locator("form.autosave[id^=rtask-]")
    if task.count():
        task.first.get_by_label("Kết quả").fill("Đã tổ chức 2 lớp")
        saved(task.first)
    narrative = page.locator("form.autosave[id^=narrative-]").first
    narrative.locator("textarea").fill("Đã hoàn thành các nhiệm vụ chính.")
    saved(narrative)
    page.close()
    page = sign_in_wide(browser, server, "tonghop.skhcn")
    errors += htmx_errors(page)
    page.goto(server + "/units/33/reports")
    snapshot = page.locator("tr", has_text="2026").locator("a[href^='/consolidations/']")
    if snapshot.count():
        snapshot.first.click()
    else:
        page.locator("tr", has_text="2026").get_by_role("button", name="Tổng hợp").click()
    page.wait_for_url("**/consolidations/*")
    compiled = page.locator("form.autosave[id^=consolidation-narrative-][hx-post]")
    compiled.first.locator("textarea").wait_for(timeout=30000)
    compiled.first.locator("textarea").fill("Các đơn vị đã triển khai kế hoạch.")
    saved(compiled.first)
    assert not [e for e in errors if "htmx" in e.lower() or "oob" in e.lower()], errors
    page.close()
