"""Browser journeys: Playwright driving Debian's chromium against a real server.

The server is a separate process on a database of its own (E2E_DATABASE_URL, or a
fresh SQLite file), migrated and loaded with ``flask demo seed``, so these tests use
the documented demo accounts exactly as a person would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "HungYen@2025"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; scripts/setup.sh --browser installs it")
        pytest.skip("chromium is not installed (scripts/setup.sh --browser installs it)")
    env = {**os.environ, "PORTAL_ENV": "development", "FLASK_APP": "portal.app:create_app",
           "SECRET_KEY": "browser-test"}
    if os.environ.get("E2E_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["E2E_DATABASE_URL"]
        env["MIGRATION_DATABASE_URL"] = os.environ.get("E2E_MIGRATION_DATABASE_URL", "")
    else:
        env["DATABASE_URL"] = "sqlite:///" + str(tmp_path_factory.mktemp("e2e") / "e2e.db")
        env.pop("MIGRATION_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask"]
    for step in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run(flask + step, env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    process = subprocess.Popen([*flask, "run", "--port", str(port), "--no-reload"],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/auth/login", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield instance
        instance.close()


def sign_in(browser, server: str, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    return page


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_commune_officer_sees_only_their_commune(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = sign_in(browser, server, "canbo.xa")
    assert page.url.endswith("/units/11989")
    assert page.get_by_test_id("unit-name").inner_text() == "Xã Lạc Đạo"
    crumbs = page.locator("nav .breadcrumb").inner_text()
    assert "Tỉnh Hưng Yên" in crumbs and "Huyện Văn Lâm" in crumbs
    assert page.locator("nav .breadcrumb a").count() == 0  # the levels above are not theirs
    assert page.get_by_text("Đơn vị trực thuộc").count() == 0
    shot(page, "commune-officer-unit")
    response = page.goto(server + "/units/325")
    assert response.status == 404
    assert "không có quyền xem" in page.content()
    page.close()


def test_provincial_leader_sees_the_province_and_searches(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = sign_in(browser, server, "lanhdao.tinh")
    assert page.url.endswith("/units/33")
    rows = page.locator("table tbody tr")
    assert rows.count() == 10 + 9  # districts and the bodies named in the plan
    assert page.get_by_role("link", name="Sở Khoa học và Công nghệ").count() == 1
    shot(page, "provincial-leader-province")
    page.get_by_placeholder("Tìm đơn vị trực thuộc (tên hoặc mã)…").fill("lac dao")
    result = page.locator("#search-results a", has_text="Xã Lạc Đạo")
    result.wait_for(timeout=5000)
    shot(page, "provincial-leader-search")
    result.click()
    page.wait_for_url("**/units/11989")
    assert page.locator("nav .breadcrumb a", has_text="Huyện Văn Lâm").count() == 1
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith("/units/11989")
    assert page.get_by_text("Place in the tree").count() == 0  # aria-label, not visible text
    assert page.locator("html").get_attribute("lang") == "en"
    page.close()


def test_dost_corrects_and_publishes_a_new_version(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = sign_in(browser, server, "tonghop.skhcn")
    page.get_by_role("link", name="Kế hoạch cần triển khai").click()
    page.get_by_role("link", name="Kế hoạch 108/KH-UBND: tiêu chuẩn, đo lường, chất lượng "
                                  "đến năm 2030").click()
    assert page.locator("code", has_text="II.1.đ").count() == 1
    shot(page, "framework-plan-108")
    page.get_by_role("button", name="Tạo phiên bản mới").click()
    page.wait_for_url("**/draft")
    # correct one item inline: htmx posts it (with the CSRF header) and swaps it in
    item = page.locator("li.outline-node", has=page.locator(".outline-label",
                                                            has_text="III.1.a"))
    item.locator("summary").click()
    item.locator("textarea").fill("Tổ chức quán triệt Chỉ thị số 38-CT/TW đến mọi cơ quan.")
    item.get_by_role("button", name="Lưu").click()
    saved = page.locator("li.outline-node", has=page.get_by_text("Đã lưu"))
    saved.wait_for(timeout=5000)
    assert "đến mọi cơ quan" in saved.inner_text()
    shot(page, "framework-draft-corrected")
    page.get_by_label("Tôi đã kiểm tra bố cục, chỉ tiêu và phân công trách nhiệm").check()
    page.get_by_role("button", name="Ban hành phiên bản 2").click()
    page.wait_for_load_state()
    assert "Phiên bản 2 đã được ban hành" in page.content()
    assert "đến mọi cơ quan" in page.content()
    page.close()
