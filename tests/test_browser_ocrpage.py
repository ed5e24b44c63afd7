"""Browser journey of "Check against the page" (issue 19 item 3): DOST's consolidator
uploads a two-page scanned plan, waits for the OCR job, opens the review, sees each
page's OCR confidence, clicks an item of the outline and sees its page, corrects the item
inline; on a phone the page images scale to the screen. Screenshots:
test-artifacts/ocrpage-review.png (docs/screenshots/check-against-the-page.png) and
ocrpage-review-phone.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browsing import shot, sign_in
from tests.live import ARTIFACTS
from tests.pdf_documents import small_scan

pytestmark = pytest.mark.browser

SECOND_PAGE = ["3. Báo cáo kết quả", "Báo cáo kết quả thực hiện trước ngày 15 tháng 12.",
               "III. TỔ CHỨC THỰC HIỆN", "Các phòng thuộc Sở triển khai kế hoạch này./."]


def two_page_scan(folder: Path) -> Path:
    """The small scan of the parser's tests, and a second page that ends the plan."""
    from PIL import Image, ImageDraw, ImageFont

    first = Image.new("L", (2480, 3508), 255)      # A4 at 300 dpi
    first.paste(Image.open(small_scan(folder / "page-1.png")).convert("L"), (0, 0))
    second = Image.new("L", first.size, 255)
    draw = ImageDraw.Draw(second)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 42)
    for row, line in enumerate(SECOND_PAGE):
        draw.text((200, 200 + 64 * row), line, font=font, fill=0)
    out = folder / "ke-hoach-ban-quet.pdf"
    first.save(out, "PDF", resolution=300, save_all=True, append_images=[second])
    return out


def in_view(page, selector: str) -> bool:
    return page.locator(selector).evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return r.top < window.innerHeight && r.bottom > 0; }")


def test_a_scan_is_checked_against_its_pages(browser, server: str, tmp_path: Path) -> None:
    owner = sign_in(browser, server, "tonghop.skhcn")
    owner.goto(server + "/units/33/frameworks")
    owner.locator("input[type=file][name=document]").set_input_files(
        str(two_page_scan(tmp_path)))
    with owner.expect_navigation(timeout=180_000):    # in-process: the job runs here
        owner.get_by_role("button", name="Đọc kế hoạch").click()
    assert re.search(r"/frameworks/scans/\d+$", owner.url)
    # read during the upload (in-process) or by the worker while the bar polls
    ready = owner.get_by_role("link", name="Kiểm tra bố cục")
    draft = owner.get_by_role("heading", name=re.compile("^Kiểm tra và ban hành kế hoạch"))
    ready.or_(draft).wait_for(timeout=180_000)
    if ready.count():
        shot(owner, "ocrpage-read")
        with owner.expect_navigation():
            ready.click()
    assert re.search(r"/frameworks/\d+/draft$", owner.url), owner.content()[-3000:]
    with owner.expect_navigation():
        owner.get_by_role("link", name="Đối chiếu với trang gốc").click()
    assert owner.url.endswith("/draft/pages")

    # each page with its image and how sure the OCR was; the warnings link to their pages
    assert owner.get_by_role("img", name="Trang 1").count() == 1
    assert owner.get_by_role("img", name="Trang 2").count() == 1
    confidences = owner.get_by_test_id("page-confidence").all_inner_texts()
    assert len(confidences) == 2 and all(re.match(r"Độ tin cậy OCR \d+ %", c)
                                         for c in confidences)
    warnings = owner.get_by_test_id("page-warnings")
    assert "nhận dạng chữ (OCR)" in warnings.inner_text()
    assert warnings.get_by_role("listitem").count() >= 1

    # an item on the second page: its link shows that page, its line marked
    item = owner.locator("li.outline-node", has_text="TỔ CHỨC THỰC HIỆN").first
    link = item.locator("a.node-page")
    assert link.inner_text().startswith("Trang 2")
    owner.evaluate("window.scrollTo(0, 0)")
    owner.locator("section.page-column").evaluate("e => e.scrollTo(0, 0)")
    assert not in_view(owner, "#page-2")
    link.click()
    owner.wait_for_function("location.hash.startsWith('#box-')")
    target = owner.evaluate("location.hash")
    assert owner.locator(f"{target}:target").count() == 1
    assert in_view(owner, "#page-2")
    shot(owner, "ocrpage-review")
    Path("docs/screenshots").mkdir(exist_ok=True)
    owner.screenshot(path="docs/screenshots/check-against-the-page.png")

    # corrected inline, as on the draft page
    item.locator("summary").click()
    item.get_by_label("Tiêu đề").fill("TỔ CHỨC THỰC HIỆN KẾ HOẠCH")
    item.get_by_role("button", name=re.compile("^Lưu")).click()
    owner.locator("li.outline-node", has_text="TỔ CHỨC THỰC HIỆN KẾ HOẠCH").get_by_role(
        "status").wait_for(timeout=8000)

    # a phone: the page images scale, nothing wider than the screen
    phone = browser.new_page(viewport={"width": 390, "height": 844},
                             storage_state=owner.context.storage_state())
    phone.goto(owner.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    width = phone.get_by_role("img", name="Trang 1").evaluate(
        "e => e.getBoundingClientRect().width")
    assert 200 < width <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "ocrpage-review-phone.png"))
    phone.close()
    owner.close()
