"""Browser journey of the office flow (issue 20; docs/signing.md § The flow): a district's
head approves its 2026 report for issue, the clerk issues it with the register's number,
the head signs the PDF of record with their own certificate (as outside signing software
does) and uploads it, the clerk applies the organisation's signature with the
certificate the province configured (tests.signing_pki.configure_live), and the signed
PDF downloads and verifies. Screenshots: test-artifacts/signflow-approved.png,
signflow-numbered.png, signflow-issued.png."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.browsing import PASSWORD, press, shot, sign_in
from tests.signing_pki import issue_cert, outside_sign

pytestmark = pytest.mark.browser

HEAD_NAME = "Lý Thị Ký"

# The head and the clerk of the unit, and its 2026 report handed to the head.
PREPARE = """
import json, sys
from sqlalchemy import select
from composition import create_app
from portal.accounts.service import create_user, find_user, grant
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.plans.plan import UnitPlan
from portal.plans.service import start_plan
from portal.reports.report import UnitReport
from portal.reports.service import open_report
from tenants.scoping import system_scope
from tenants.unit import Unit
code, head_name, password = sys.argv[1:4]
app = create_app()
with app.app_context(), system_scope("signing journey"):
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    for username, name, role in (("thutruong.kyso", head_name, "head"),
                                 ("vanthu.kyso", "Đặng Văn Thư", "clerk")):
        user = find_user(username) or create_user(username, password, full_name=name)
        grant(user, unit, role)
    period = db.session.scalars(select(ReportingPeriod).join(
        Framework, Framework.id == ReportingPeriod.framework_id).where(
        ReportingPeriod.year == 2026).order_by(ReportingPeriod.id)).first()
    framework = db.session.get(Framework, period.framework_id)
    if db.session.scalar(select(UnitPlan.id).where(
            UnitPlan.unit_id == unit.id, UnitPlan.framework_id == framework.id)) is None:
        start_plan(unit, framework, None).revisions[-1].status = "issued"
        db.session.flush()
    report = db.session.scalar(select(UnitReport).where(
        UnitReport.unit_id == unit.id, UnitReport.period_id == period.id))
    report = report or open_report(unit, period, None)
    report.status = "with_head"
    db.session.commit()
    print(json.dumps(report.id))
"""


@pytest.fixture(scope="module")
def journey(live) -> dict:
    if not live.signing:
        pytest.fail("the live deployment has no district to sign for")
    report_id = json.loads(live.script(PREPARE, live.signing["unit"], HEAD_NAME, PASSWORD))
    return {**live.signing, "report": report_id}


def test_the_head_approves_the_clerk_issues_and_the_signed_pdf_verifies(
        browser, server: str, journey: dict) -> None:
    head = sign_in(browser, server, "thutruong.kyso")
    head.goto(f"{server}/reports/{journey['report']}")
    press(head, "Bản PDF chính thức và ký số")            # the head approves
    assert re.search(r"/records/\d+$", head.url)
    record_url = head.url
    status = head.get_by_test_id("record-status")
    assert status.get_attribute("data-status") == "approved"
    assert head.get_by_test_id("issue-number").count() == 0   # only the clerk issues
    shot(head, "signflow-approved")

    clerk = sign_in(browser, server, "vanthu.kyso")
    clerk.goto(record_url)
    press(clerk, "Cấp số và ban hành")                       # the register's number now
    numbered = clerk.get_by_test_id("numbered").inner_text()
    number = re.search(r"\d{2,}/BC-[A-ZĐ0-9]+", numbered)
    assert number, numbered
    clerk.get_by_test_id("download-record").wait_for(timeout=180_000)   # the PDF job
    shot(clerk, "signflow-numbered")

    head.goto(record_url)
    with head.expect_download() as download:
        head.get_by_test_id("download-record").click()
    pdf = download.value.path().read_bytes()
    from pypdf import PdfReader

    printed = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    assert number[0] in printed and HEAD_NAME in printed      # the number, as signed
    certificate = issue_cert(journey["root"], HEAD_NAME)
    signed = outside_sign(pdf, certificate, "NguoiKy")         # the head's own software
    upload = journey["trust"].parent / "ky-so.pdf"
    upload.write_bytes(signed)
    head.locator("#signed-file").set_input_files(str(upload))
    press(head, "Tải lên và kiểm tra")
    head.get_by_test_id("signer-done").wait_for()

    clerk.goto(record_url)
    press(clerk, "Ban hành bằng chứng thư số của cơ quan")
    assert journey["name"] in clerk.get_by_test_id("issued-done").inner_text()
    history = clerk.get_by_test_id("document-history").inner_text()
    for words in ("Phê duyệt của người ký", f"Văn thư ban hành với số {number[0]}",
                  "Người ký đã ký số", "Đã ký số của cơ quan", HEAD_NAME, "Đặng Văn Thư"):
        assert words in history, words
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", history)
    shot(clerk, "signflow-issued")
    with clerk.expect_download() as download:
        clerk.get_by_test_id("download-signed").click()
    final = download.value.path().read_bytes()
    assert final.startswith(signed) and final.startswith(pdf)

    # the downloaded bytes pass every check of verify.py again, here
    from portal.signing.verify import Expected, load_trust_roots, verify

    verified = verify(final, base_sha256=hashlib.sha256(signed).hexdigest(),
                      base_size=len(signed), base_signatures=1,
                      expected=Expected(names=(journey["name"],), organisation=True),
                      trust_roots=load_trust_roots(str(journey["trust"])),
                      not_before=datetime.now(UTC) - timedelta(hours=1))
    assert verified.common_name == journey["name"]
    assert verified.checks == ("prefix", "count", "intact", "coverage", "trust", "time",
                               "signer")
