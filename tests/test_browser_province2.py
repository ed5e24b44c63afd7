"""Browser journey of a second province, end to end, from its own document (issue 21 item
4; docs/frameworks.md § A second province): on today's demo, where the ministry (BKHCN)
owns the national plan of Decision 1703 and Hưng Yên's Plan 108 implements it,

1. the operator imports new Bắc Ninh (code 24 of the official list of 1 July 2025, its 99
   communes and wards) under the ministry: the list, "only this unit and below", "attach
   below BKHCN", the dry run, then the import; and creates the account of the province's
   framework owner (a consolidator of unit 24) from an accounts sheet;
2. the owner uploads Plan 48/KH-UBND of Bắc Ninh (tests/corpus: an excerpt, its purpose
   only, no province line in the header); the reader finds its number, date and place but
   no indicator, so the owner completes the issuer, adds three indicators in the draft
   (the step this journey added to the product), says what each measures, publishes
   version 1 and adds the 2026 reporting period;
3. the owner declares that it implements the national plan and maps its indicators: a
   count with the same meaning (training classes, national II.1.đ), an amount in thousand
   đồng by a factor of 0,001 (national II.1.h, million đồng) — and a ratio mapped to a
   count is refused on the page, then marked as having no counterpart;
4. two Bắc Ninh communes' 2026 reports carry figures — Phường Bắc Giang's typed on its
   report page by its officer and sent by its chair, Xã Xuân Lương's written by a script
   with the report service (the values only) — and the ministry's
   leader opens the national dashboard: Hưng Yên and Bắc Ninh side by side, each
   national figure the sum of the two provinces' mapped values computed by hand.

On the deployment of today's demo that tests/test_browser_demo.py walks first
(tests/browsing.py, ``today_demo``: SQLite, or E2E_TODAY_DATABASE_URL).
Screenshots: test-artifacts/province2-*.png.
"""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.browsing import press, shot, sign_in
from tests.live import ROOT, Live
from tests.test_browser import first_password, slip_password

pytestmark = pytest.mark.browser

OFFICIAL_LIST = ROOT / "portal" / "data" / "admin-units-vn-2025-07.csv"
PLAN_48 = ROOT / "tests" / "corpus" / "bac-ninh-48-kh-ubnd-2025.txt"
BAC_NINH = "24"
OWNER = "tonghop.bacninh"
# The indicators the owner adds (code given by the platform: CT1, CT2, CT3), as the
# indicator page is filled in: kind, unit of measure, time, aggregation, numerator and
# denominator labels.
INDICATORS = [
    ("Lớp đào tạo, tập huấn nghiệp vụ về đo lường", "count", "lớp", "cumulative", "sum",
     "", ""),
    ("Kinh phí đầu tư chuẩn đo lường, phương tiện đo", "amount", "nghìn đồng", "per_year",
     "sum", "", ""),
    ("Tỷ lệ doanh nghiệp được hướng dẫn áp dụng hệ thống quản lý đo lường", "ratio", "%",
     "per_year", "ratio_of_sums", "Doanh nghiệp được hướng dẫn", "Doanh nghiệp trên địa bàn"),
]
# Two communes' 2026 figures: CT1 (classes), CT2 (thousand đồng), CT3 (numerator, total).
# Phường Bắc Giang's officer types hers on the report page and its chair sends it; Xã
# Xuân Lương's are written by the script below (the values only).
TYPED = {"CT1": "12", "CT2": "250000", "CT3": ("3", "10")}               # Phường Bắc Giang
FIGURES = {"07246": {"CT1": "7", "CT2": "150000", "CT3": ("1", "4")}}     # Xã Xuân Lương

# The communes' reports with their figures (accepted on 02/12/2026, inside the ministry's
# year); prints Hưng Yên's own sums of Plan 108's II.1.đ (classes: cumulative, every year
# up to 2026) and II.1.h (investment in đồng, 2026) read straight from its counted
# reports, for the hand computation.
REPORTS = """
import json, sys
from datetime import UTC, datetime
from decimal import Decimal
from sqlalchemy import func, select
from composition import create_app
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkVersion
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.reports.report import ReportValue, UnitReport
from portal.reports.service import open_report, save_value
from tenants.scoping import system_scope
from tenants.unit import Unit, UnitClosure
figures = json.loads(sys.argv[1])
app = create_app()
with app.app_context(), system_scope("second province journey: figures"):
    owner = db.session.scalar(select(Unit).where(Unit.code == "24"))
    period = db.session.scalar(select(ReportingPeriod).join(
        Framework, Framework.id == ReportingPeriod.framework_id).where(
        Framework.owner_unit_id == owner.id, ReportingPeriod.year == 2026))
    at = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    for code, given in figures.items():
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        report = open_report(unit, period, None)
        codes = {i.id: i.code for i in db.session.scalars(select(Indicator).where(
            Indicator.version_id == report.framework_version_id))}
        for row in report.values:
            value = given[codes[row.indicator_id]]
            data = ({"numerator": value[0], "denominator": value[1]}
                    if isinstance(value, list) else {"value": value})
            save_value(row, report, data, check_version=False)
        report.status = "accepted"
        report.first_submitted_at = report.submitted_at = report.accepted_at = at
    hung_yen = db.session.scalar(select(Unit).where(Unit.code == "33"))
    plan = db.session.scalar(select(FrameworkVersion).where(
        FrameworkVersion.doc_number == "108/KH-UBND", FrameworkVersion.status == "published"))
    sums = {}
    for code, years in (("II.1.đ", (2025, 2026)), ("II.1.h", (2026,))):
        sums[code] = str(db.session.scalar(
            select(func.coalesce(func.sum(ReportValue.value), 0))
            .join(UnitReport, UnitReport.id == ReportValue.report_id)
            .join(ReportingPeriod, ReportingPeriod.id == UnitReport.period_id)
            .join(Indicator, Indicator.id == ReportValue.indicator_id)
            .join(UnitClosure, UnitClosure.descendant_id == UnitReport.unit_id)
            .where(UnitClosure.ancestor_id == hung_yen.id, ReportingPeriod.year.in_(years),
                   Indicator.version_id == plan.id, Indicator.code == code,
                   UnitReport.status.in_(("submitted", "accepted")))))
    db.session.commit()
    print(json.dumps(sums))
"""


@pytest.fixture
def today(today_demo: Live) -> Live:
    return today_demo     # tests/browsing.py: today's demo, after the demo's own journey


def _number(text: str) -> Decimal:
    """A figure as the pages print it (1.234,5; a province's rank after it) as a number."""
    return Decimal(text.split()[0].replace(".", "").replace(",", "."))


def _province_rows() -> int:
    with OFFICIAL_LIST.open(encoding="utf-8") as handle:
        return sum(1 for row in csv.DictReader(handle) if row["parent_code"] == BAC_NINH)


def test_a_second_province_from_its_own_document(browser, today: Live, tmp_path: Path) -> None:
    server = today.url
    # ---- 1. the operator: the province's units from the official list, its owner's account
    operator = sign_in(browser, server, "vanhanh")
    operator.goto(server + "/admin/import-units/")
    operator.set_input_files("#file", str(OFFICIAL_LIST))
    operator.locator("#only").fill(BAC_NINH)
    operator.locator("#under").fill("BKHCN")
    with operator.expect_navigation():
        operator.locator("form[enctype] button").click()
    communes = _province_rows()
    assert communes == 99                      # 33 wards and 66 communes since 01/07/2025
    assert operator.get_by_test_id("units-preview").inner_text() == (
        f"Chạy thử: sẽ thêm {communes + 1} đơn vị, 0 đơn vị đã có sẵn. Chưa ghi gì.")
    shot(operator, "province2-1-units-checked")
    with operator.expect_navigation():
        operator.locator("button[name=confirm]").click()
    assert f"Đã nhập {communes + 1} đơn vị" in operator.content(), operator.locator(
        ".alert").all_inner_texts()

    accounts = tmp_path / "tai-khoan-bac-ninh.csv"
    accounts.write_text("Tên đăng nhập,Họ và tên,Thư điện tử,Mã đơn vị,Vai trò\n"
                        f"{OWNER},Nguyễn Thị Thu,,{BAC_NINH},consolidator\n"
                        "canbo.bacgiang,Lê Văn Phúc,,07210,drafter\n"
                        "chutich.bacgiang,Đào Thị Hương,,07210,head\n",
                        encoding="utf-8-sig")
    operator.goto(server + "/admin/import-accounts/")
    operator.set_input_files("#file", str(accounts))
    press(operator, "Kiểm tra tệp")
    press(operator, "Nhập 3 tài khoản này")
    temporary = {name: slip_password(operator, name)
                 for name in (OWNER, "canbo.bacgiang", "chutich.bacgiang")}
    operator.close()

    # the ministry's leader sees the new province below the ministry
    leader = sign_in(browser, server, "lanhdao.bo")
    leader.goto(server + f"/units/{BAC_NINH}")
    assert leader.get_by_test_id("unit-name").inner_text() == "Bắc Ninh"
    assert leader.get_by_test_id("unit-children").locator("tbody tr").count() == communes
    shot(leader, "province2-2-province-imported")

    # ---- 2. the owner: the plan from its document, indicators added, published
    owner = first_password(browser, server, OWNER, temporary[OWNER])
    owner.goto(server + f"/units/{BAC_NINH}/frameworks")
    owner.set_input_files("#document", str(PLAN_48))
    with owner.expect_navigation():
        owner.locator("form[enctype] button").click()
    owner.wait_for_url("**/draft")
    framework_id = int(re.search(r"/frameworks/(\d+)/draft", owner.url)[1])
    # read from the header: number, date, place; the issuer lacks the province's line
    assert owner.locator("#doc_number").input_value() == "48/KH-UBND"
    assert owner.locator("#issued_on").input_value() == "28/08/2025"
    assert owner.locator("#place").input_value() == "Bắc Ninh"
    assert owner.locator("#issuer").input_value() == "ỦY BAN NHÂN DÂN"
    assert "Chưa có chỉ tiêu." in owner.locator("#indicators").inner_text()
    shot(owner, "province2-3-draft-read")
    owner.locator("#issuer").fill("ỦY BAN NHÂN DÂN TỈNH BẮC NINH")
    with owner.expect_navigation():
        owner.get_by_role("button", name="Lưu phần đầu").click()

    for name, kind, measure, behaviour, aggregation, numerator, denominator in INDICATORS:
        owner.locator("#new-indicator-name").fill(name)
        with owner.expect_navigation():
            owner.get_by_role("button", name="Thêm chỉ tiêu này").click()
        assert "/draft/indicators/" in owner.url
        owner.locator("#kind").select_option(kind)
        owner.locator("#unit_of_measure").fill(measure)
        owner.locator("#time_behaviour").select_option(behaviour)
        owner.locator("#aggregation").select_option(aggregation)
        if numerator:
            owner.locator("#numerator_label").fill(numerator)
            owner.locator("#denominator_label").fill(denominator)
        with owner.expect_navigation():
            owner.get_by_role("button", name="Lưu chỉ tiêu").click()
        assert "/draft/indicators/" not in owner.url, owner.locator(
            ".alert, .invalid-feedback, .field-error").all_inner_texts()
    listed = owner.locator("#indicators").inner_text()
    assert all(code in listed for code in ("CT1", "CT2", "CT3"))
    shot(owner, "province2-4-indicators-added")
    owner.get_by_label("Tôi đã kiểm tra bố cục, chỉ tiêu và phân công trách nhiệm").check()
    press(owner, "Ban hành phiên bản 1")
    assert "Phiên bản 1 đã được ban hành" in owner.content(), owner.locator(
        ".alert").all_inner_texts()

    owner.goto(server + f"/frameworks/{framework_id}/periods")
    owner.locator("#year").fill("2026")
    owner.locator("#cutoff_date").fill("15/11/2026")
    owner.locator("#due_date").fill("30/11/2026")
    with owner.expect_navigation():
        owner.locator("form:has(#year) button").click()
    assert "Đã thêm kỳ báo cáo" in owner.content(), owner.locator(".alert").all_inner_texts()

    # ---- 3. it implements the national plan; its indicators mapped to the national ones
    owner.goto(server + f"/frameworks/{framework_id}")
    with owner.expect_navigation():
        owner.get_by_test_id("mapping-link").click()
    owner.get_by_test_id("parent-select").select_option(
        label="Kế hoạch triển khai Chỉ thị 38-CT/TW (Quyết định 1703/QĐ-TTg)")
    with owner.expect_navigation():
        owner.locator("form:has([data-testid=parent-select]) button").click()
    assert owner.get_by_test_id("mapping-form").count() == 1

    def row(code: str):
        return owner.get_by_test_id(f"mapping-{code}")

    def national(code: str, target: str) -> None:
        select = row(code).locator("select[data-national-picker]")
        value = select.locator("option", has_text=f"{target}. ").get_attribute("value")
        select.select_option(value, force=True)

    row("CT1").locator("select[data-mapping-mode]").select_option("same")
    national("CT1", "II.1.đ")
    row("CT2").locator("select[data-mapping-mode]").select_option("factor")
    national("CT2", "II.1.h")
    row("CT2").locator("input[name^=factor]").fill("0,001")
    row("CT3").locator("select[data-mapping-mode]").select_option("same")
    national("CT3", "II.1.đ")           # a share of enterprises cannot feed a count
    with owner.expect_navigation():
        owner.get_by_role("button", name="Lưu ánh xạ").click()
    refusal = owner.locator(".alert-danger, [role=alert]").all_inner_texts()
    assert any("Tỷ lệ hoặc tỷ lệ đơn vị không thể cung cấp cho một chỉ tiêu đếm số lượng"
               in text for text in refusal), refusal
    shot(owner, "province2-5-mapping-refused")
    row("CT3").locator("select[data-mapping-mode]").select_option("none")
    row("CT3").locator("select[data-national-picker]").select_option("", force=True)
    with owner.expect_navigation():
        owner.get_by_role("button", name="Lưu ánh xạ").click()
    assert "Đã lưu ánh xạ" in owner.content(), owner.locator(".alert").all_inner_texts()
    shot(owner, "province2-6-mapping-saved")
    owner.close()

    # ---- 4. the communes' figures, then the ministry's dashboard, computed by hand
    officer = first_password(browser, server, "canbo.bacgiang", temporary["canbo.bacgiang"])
    officer.goto(server + "/units/07210/reports")
    officer.locator("tr", has_text="2026").get_by_role("button", name="Lập báo cáo").click()
    officer.wait_for_url("**/reports/*")
    report_url = officer.url

    def typed(code: str, **fields: str) -> None:
        form = officer.locator("#values form.autosave", has=officer.locator(
            "code", has_text=code))
        for label, value in fields.items():
            form.get_by_label(label, exact=True).fill(value)
            form.locator("[id^=status-value-]", has_text="Đã lưu").wait_for(timeout=8000)

    typed("CT1", **{"Giá trị": TYPED["CT1"]})
    typed("CT2", **{"Giá trị": TYPED["CT2"]})
    typed("CT3", **{"Doanh nghiệp được hướng dẫn": TYPED["CT3"][0],
                    "Doanh nghiệp trên địa bàn": TYPED["CT3"][1]})
    officer.get_by_label("Kết quả đạt được").fill(
        "Tổ chức 12 lớp tập huấn về đo lường cho doanh nghiệp trên địa bàn phường.")
    officer.locator("#status-narrative-results", has_text="Đã lưu").wait_for(timeout=8000)
    shot(officer, "province2-7-commune-report")
    press(officer, "Trình lãnh đạo")
    assert officer.get_by_test_id("report-status").inner_text() == "Đã trình lãnh đạo"
    officer.close()
    chair = first_password(browser, server, "chutich.bacgiang", temporary["chutich.bacgiang"])
    chair.goto(report_url)
    press(chair, "Gửi báo cáo")
    assert chair.get_by_test_id("report-status").inner_text() == "Đã gửi"
    chair.close()

    hung_yen = {k: Decimal(v) for k, v in json.loads(today.script(
        REPORTS, json.dumps(FIGURES))).items()}
    bac_ninh_classes = Decimal(12 + 7)                                     # CT1, same
    bac_ninh_money = (Decimal(250000) + Decimal(150000)) * Decimal("0.001")  # CT2 → 400
    hung_yen_money = hung_yen["II.1.h"] * Decimal("0.000001")      # đồng → million đồng
    assert hung_yen["II.1.đ"] > 0          # Hưng Yên's classes: a sum of two provinces
    leader.goto(server + "/units/BKHCN/national?year=2026")
    table = leader.get_by_test_id("national-table")
    header = table.locator("thead th").all_inner_texts()
    assert header[2:4] == ["Bắc Ninh", "Tỉnh Hưng Yên"], header   # side by side, by code
    classes = table.get_by_test_id("national-II.1.đ").locator("td").all_inner_texts()
    money = table.get_by_test_id("national-II.1.h").locator("td").all_inner_texts()
    assert _number(classes[1]) == bac_ninh_classes == 19
    assert _number(classes[2]) == hung_yen["II.1.đ"]
    assert _number(classes[0]) == hung_yen["II.1.đ"] + 19
    assert _number(money[1]) == bac_ninh_money == 400
    assert _number(money[2]) == hung_yen_money
    assert _number(money[0]) == hung_yen_money + 400
    # Bắc Ninh's plan has no counterpart of the products surveyed: not mapped, Hưng Yên's
    # figure alone is the national one
    products = table.get_by_test_id("national-II.1.g").locator("td").all_inner_texts()
    assert "chưa ánh xạ" in products[1] and _number(products[0]) == _number(products[2])
    # the ratio feeds nothing: the national ratio II.1.d has no Bắc Ninh figure
    assert "chưa ánh xạ" in table.get_by_test_id("national-II.1.d").locator(
        "td").all_inner_texts()[1]
    shot(leader, "province2-8-national-dashboard")
    leader.close()
