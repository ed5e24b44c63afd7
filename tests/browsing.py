"""Shared pieces of the browser tests: one live deployment and one chromium for the whole
session (every ``test_browser*.py`` module uses them), a page watched for the
Content-Security-Policy's refusals, and small helpers (sign in, press, screenshot).

Loaded as a plugin by ``tests/conftest.py``; a module of browser tests marks itself
``pytestmark = pytest.mark.browser`` and imports the helpers it calls from here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import ARTIFACTS, Live, prepare

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "HungYen@2025"


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; scripts/setup.sh --browser installs it")
        pytest.skip("chromium is not installed (scripts/setup.sh --browser installs it)")
    deployment = prepare(tmp_path_factory.mktemp("live"), redis_db=13, step_delay=0.7,
                         seed_args=("--legacy",))   # the journeys need the districts
    try:
        from tests.signing_pki import configure_live

        configure_live(deployment)     # trust roots and an organisation certificate
        deployment.start_server()
        if deployment.env.get("REDIS_URL"):
            deployment.start_worker()
        yield deployment
    finally:
        deployment.stop()


@pytest.fixture(scope="session")
def today_demo(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[Live]:
    """A second deployment, of today's demo (``flask demo seed``: new Hưng Yên under the
    ministry, December 2026), for the modules that walk it: the demo's own journey first,
    then the second province's onboarding, which adds to it. SQLite, or the PostgreSQL
    database E2E_TODAY_DATABASE_URL names (with E2E_TODAY_MIGRATION_DATABASE_URL) — not
    E2E_DATABASE_URL, which is the legacy deployment's (``live``)."""
    own_pg = os.environ.get("E2E_TODAY_DATABASE_URL")
    saved = {k: os.environ.get(k) for k in ("E2E_DATABASE_URL", "E2E_MIGRATION_DATABASE_URL")}
    if own_pg:
        os.environ["E2E_DATABASE_URL"] = own_pg
        os.environ["E2E_MIGRATION_DATABASE_URL"] = os.environ.get(
            "E2E_TODAY_MIGRATION_DATABASE_URL", "")
    try:
        deployment = prepare(tmp_path_factory.mktemp("today"), seed_args=(),
                             sqlite=not own_pg)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        deployment.start_server()
        yield deployment
    finally:
        deployment.stop()


@pytest.fixture(scope="session")
def server(live: Live) -> str:
    return live.url


@pytest.fixture(scope="session")
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


# Every page the journeys open reports what the Content-Security-Policy refused (a
# script, a style, an inline handler); a journey that met one fails at its end.
CSP_REFUSALS: list[str] = []


@pytest.fixture(autouse=True)
def no_csp_refusals(request: pytest.FixtureRequest) -> Iterator[None]:
    CSP_REFUSALS.clear()
    yield
    if request.node.get_closest_marker("browser"):
        assert not CSP_REFUSALS, CSP_REFUSALS


def watch(page):
    """``page``, with its console watched for the CSP's refusals."""
    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            CSP_REFUSALS.append(f"{page.url}: {message.text}")
    page.on("console", on_console)
    return page


def press(page, button: str) -> None:
    """Click a button that submits a form, and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def sign_in(browser, server: str, username: str):
    page = watch(browser.new_page(viewport={"width": 1280, "height": 900}))
    page.goto(server + "/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    press(page, "Đăng nhập")
    return page


def shot(page, name: str, height: int | None = None) -> None:
    """The whole page, or its top ``height`` pixels (a long document's first page)."""
    ARTIFACTS.mkdir(exist_ok=True)
    clip = {"x": 0, "y": 0, "width": 1280, "height": height} if height else None
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, clip=clip)


# DOST's plan and its 2026 report, started if there is none yet (several journeys use them).
def department_plan(page, server: str) -> None:
    page.goto(server + "/units/33.SKHCN/plans")
    if page.get_by_role("button", name="Bắt đầu xây dựng").count():
        page.get_by_role("button", name="Bắt đầu xây dựng").click()
    else:
        page.locator("main table a[href^='/plans/']").first.click()
    page.wait_for_url("**/plans/*")


def department_report(page, server: str) -> None:
    page.goto(server + "/units/33.SKHCN/reports")
    row = page.locator("tr", has_text="2026")
    if row.get_by_role("button", name="Lập báo cáo").count():
        row.get_by_role("button", name="Lập báo cáo").click()
    else:
        row.locator("a[href^='/reports/']").click()
    page.wait_for_url("**/reports/*")
