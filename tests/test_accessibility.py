"""WCAG 2.1 AA in a real browser: axe-core on the main pages as each demo role.

axe-core comes from npm (a devDependency pinned in package.json, installed by
scripts/setup.sh into node_modules, never copied into the repository) and is evaluated in
each page after it has loaded; any violation axe rates serious or critical fails the test,
listed page by page with the rule, what it asks and where. docs/accessibility.md says what
this does and does not check.
"""

from __future__ import annotations

import re

import pytest

from tests.browsing import department_plan, department_report, sign_in
from tests.live import ARTIFACTS, ROOT, Live

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source(live: Live) -> str:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run scripts/setup.sh (npm devDependencies)")
    # the dashboard and the review pages are empty without reports (idempotent)
    assert live.flask("demo", "reports").wait(timeout=300) == 0
    return AXE.read_text()


def violations(page, source: str) -> list[str]:
    """axe-core's serious and critical violations on the page, one readable line each."""
    page.wait_for_load_state("networkidle")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)          # DevTools evaluation: the page's CSP does not apply
    found = page.evaluate("() => axe.run(document).then(r => r.violations.map(v => ({"
                          "id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => "
                          "({target: n.target.join(' '), summary: n.failureSummary}))})))")
    lines = []
    for violation in found:
        if violation["impact"] not in FAILING:
            continue
        lines.append(f"{page.url}: {violation['id']} ({violation['impact']}): "
                     f"{violation['help']}, {len(violation['nodes'])} element(s)")
        for node in violation["nodes"][:4]:
            summary = " ".join((node["summary"] or "").split())[:240]
            lines.append(f"    {node['target']}  {summary}")
    return lines


def check(page, source: str, paths: list[str], server: str) -> list[str]:
    """Visit each path (or the page as it is, for ""), and gather the violations."""
    found: list[str] = []
    for path in paths:
        if path:
            response = page.goto(server + path)
            assert response is not None and response.status == 200, (path, response)
        found += violations(page, source)
    return found


def first_href(page, selector: str) -> str:
    link = page.locator(selector).first
    link.wait_for(state="attached", timeout=5000)
    return re.sub(r"^https?://[^/]+", "", link.get_attribute("href") or "")


def report(found: list[str]) -> str:
    return "axe-core found serious or critical violations:\n" + "\n".join(found)


def test_sign_in_page(browser, server: str, axe_source: str) -> None:
    page = browser.new_page()
    page.goto(server + "/auth/login")
    found = violations(page, axe_source)
    page.close()
    assert not found, report(found)


def test_commune_officer(browser, server: str, axe_source: str) -> None:
    """Lạc Đạo's plan and reports are the journeys' (tests/test_browser.py): only read here."""
    page = sign_in(browser, server, "canbo.xa")
    found = check(page, axe_source, ["", "/units/11989/plans", "/units/11989/reports",
                                     "/notifications", "/notifications/settings",
                                     "/auth/password"], server)
    page.close()
    assert not found, report(found)


def test_department_drafter_edits_plan_and_report(browser, server: str,
                                                  axe_source: str) -> None:
    """The plan editor and the report form while they can still be edited."""
    page = sign_in(browser, server, "canbo.skhcn")
    department_plan(page, server)
    found = violations(page, axe_source)
    department_report(page, server)
    found += violations(page, axe_source)
    page.close()
    assert not found, report(found)


def test_the_autosave_status_is_one_region_that_stays(browser, server: str,
                                                    axe_source: str) -> None:
    """Issue 17 item 7: a new live region for each answer may never be spoken; the card's
    one region stays in the page and only its text changes, "Chưa lưu" then "Đã lưu"."""
    page = sign_in(browser, server, "canbo.skhcn")
    department_report(page, server)
    card = page.locator("form.autosave[id^=value-]").first
    card.locator("[role=status]").evaluate(
        "e => { window.region = e; window.said = []; new MutationObserver(() => "
        "window.said.push(e.textContent.trim())).observe(e, {childList: true, "
        "subtree: true, characterData: true}); }")
    card.get_by_label("Ghi chú").fill("Theo báo cáo của các phòng")
    page.wait_for_function("() => window.said.some(t => t.startsWith('Đã lưu lúc'))",
                           timeout=8000)
    said = page.evaluate("() => window.said")
    assert said[0] == "Chưa lưu", said
    assert page.evaluate("() => window.region.isConnected && "
                         "window.region === document.querySelector('#' + window.region.id)")
    assert card.locator("[role=status]").count() == 1
    card.get_by_label("Ghi chú").focus()                  # the ring, for docs/accessibility.md
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=str(ARTIFACTS / "accessibility-card-focus.png"))
    page.close()


def test_commune_head(browser, server: str, axe_source: str) -> None:
    page = sign_in(browser, server, "chutich.xa")
    found = check(page, axe_source, ["", "/units/11989/reports", "/notifications"], server)
    page.close()
    assert not found, report(found)


def test_district_reviewer(browser, server: str, axe_source: str) -> None:
    page = sign_in(browser, server, "chuyenvien.huyen")
    found = check(page, axe_source, ["/review", "/units/325", "/units/325/reports"], server)
    missing = first_href(page, "[data-testid=missing-link]")
    # 2025: the demo files the communes' 2025 reports (2026 is left to the journeys)
    year_2025 = page.locator("#below-period option", has_text="2025").get_attribute("value")
    page.goto(f"{server}/units/325/reports?period_id={year_2025}")
    a_commune_report = first_href(page, "[data-testid=below-statuses] a[href^='/reports/']")
    found += check(page, axe_source, [missing, a_commune_report], server)
    page.close()
    assert not found, report(found)


def test_dost_consolidator(browser, server: str, axe_source: str) -> None:
    page = sign_in(browser, server, "tonghop.skhcn")
    found = check(page, axe_source, ["/review", "/units/33/frameworks"], server)
    framework = first_href(page, "main a[href^='/frameworks/']")
    found += check(page, axe_source, [framework, framework + "/periods"], server)
    page.goto(server + "/units/33/reports")
    found += violations(page, axe_source)
    page.locator("tr", has_text="2025").get_by_role("button", name="Tổng hợp").first.click()
    page.wait_for_url("**/consolidations/*")
    page.get_by_test_id("reporting").wait_for(timeout=120000)
    found += violations(page, axe_source)
    page.close()
    assert not found, report(found)


def test_provincial_leader(browser, server: str, axe_source: str) -> None:
    page = sign_in(browser, server, "lanhdao.tinh")
    found = check(page, axe_source, ["", "/units/33/dashboard",
                                     "/units/33/dashboard/sources?figure=submitted&year=2025",
                                     "/units/325"], server)
    page.close()
    assert not found, report(found)


def test_tenant_admin(browser, server: str, axe_source: str) -> None:
    page = sign_in(browser, server, "quantri.tinh")
    found = check(page, axe_source, ["/unit-admin/", "/unit-admin/user_account/",
                                     "/unit-admin/unit/", "/unit-admin/import-accounts/",
                                     "/units/33/audit"], server)
    found += check(page, axe_source, ["/unit-admin/user_account/new/"], server)
    page.close()
    assert not found, report(found)


def test_operator(browser, server: str, axe_source: str) -> None:
    page = sign_in(browser, server, "vanhanh")
    found = check(page, axe_source, ["/admin/", "/admin/import-units/",
                                     "/admin/import-accounts/"], server)
    menu = page.locator("a.nav-link[href^='/admin/'], a.dropdown-item[href^='/admin/']")
    lists = sorted({re.sub(r"^https?://[^/]+", "", menu.nth(i).get_attribute("href") or "")
                    for i in range(menu.count())} - {"/admin/"})
    found += check(page, axe_source, lists[:6], server)
    page.close()
    assert not found, report(found)


def test_the_pages_say_their_language(browser, server: str, axe_source: str) -> None:
    """Issue 17 item 7: /admin and /unit-admin had no lang (a screen reader guesses)."""
    page = sign_in(browser, server, "vanhanh")
    for path in ("/admin/", "/units/33"):
        page.goto(server + path)
        assert page.locator("html").get_attribute("lang") == "vi", path
    page.close()
    page = sign_in(browser, server, "quantri.tinh")
    page.goto(server + "/unit-admin/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.close()


@pytest.mark.parametrize(("username", "unit", "button"), [
    ("canbo.skhcn", "33.SKHCN", "Lập báo cáo"), ("tonghop.skhcn", "33", "Tổng hợp")])
def test_repeated_buttons_say_their_year(browser, server: str, axe_source: str,
                                         username: str, unit: str, button: str) -> None:
    """Issue 17 item 7: "Lập báo cáo" once per year, each the same name to a screen reader."""
    page = sign_in(browser, server, username)
    page.goto(f"{server}/units/{unit}/reports")
    buttons = page.get_by_role("button", name=re.compile(f"^{button}"))
    names = [buttons.nth(i).evaluate("e => e.getAttribute('aria-label') || e.innerText")
             for i in range(buttons.count())]
    page.close()
    assert names and len(set(names)) == len(names), names     # (one a year)
    assert all(re.fullmatch(rf"{button} 20\d\d", " ".join(n.split())) for n in names), names

