"""The tests' data builders and plain helpers, in one module: plan documents and
frameworks, filed reports, the dashboard's province, the permission matrix's objects, text
as old Windows files store it, a minimal PDF and an htmx autosave.

Test modules import builders from here, never from one another; fixtures are in
conftest.py."""

from __future__ import annotations

import email
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from email.header import decode_header, make_header
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.frameworks.document_ingest import DocumentIngest
from portal.frameworks.document_page import DocumentPage
from portal.frameworks.framework import Framework, FrameworkNode
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.responsibility import Responsibility
from portal.frameworks.service import (
    add_default_periods,
    apply_indicator_settings,
    create_from_document,
    new_draft,
    publish,
    update_meta,
)
from portal.plans.service import add_comment, start_plan
from portal.register.paper import attach_paper_scan
from portal.register.service import Issue, assign_number
from portal.reports.consolidation import Consolidation, launch, run_consolidation
from portal.reports.consolidation_file import prepare
from portal.reports.evidence import add_evidence
from portal.reports.obligations import add_default_obligation
from portal.reports.report import ReportSubmission, ReportTask, ReportTransition, UnitReport
from portal.reports.service import open_report, save_value
from portal.storage import page_storage
from portal.validation.rule import ValidationRule
from portal.validation.runs import run_validation
from portal.validation.service import create_rule
from tenants.scoping import system_scope
from tenants.unit import Unit

SMALL_PLAN = """ỦY BAN NHÂN DÂN
TỈNH MỘT
Số: 12/KH-UBND
Tỉnh Một, ngày 05 tháng 02 năm 2026
KẾ HOẠCH
Thực hiện công tác tiêu chuẩn, đo lường, chất lượng
Căn cứ Kế hoạch số 108/KH-UBND, UBND tỉnh ban hành Kế hoạch như sau:
I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
Nâng cao nhận thức.
2. Yêu cầu
Cụ thể, khả thi.
II. CHỈ TIÊU
1. Đến năm 2030
a) 100% công chức được đào tạo.
b) Tổ chức ít nhất 30 lớp tập huấn.
III. NHIỆM VỤ VÀ GIẢI PHÁP
1. Tuyên truyền
a) Tổ chức tuyên truyền Chỉ thị số 38-CT/TW.
b) Tổ chức diễn đàn đối thoại.
IV. KINH PHÍ THỰC HIỆN
Ngân sách nhà nước.
V. TỔ CHỨC THỰC HIỆN
1. Trách nhiệm chung
Các sở, ban, ngành, UBND huyện, UBND xã xây dựng kế hoạch.
2. Sở Khoa học và Công nghệ
Chủ trì, tổng hợp, báo cáo.
3. Các Sở, ban, ngành tỉnh; UBND huyện (hoặc UBND cấp dưới trực tiếp của UBND tỉnh); các Hội cấp tỉnh
Tổ chức thực hiện./.
"""


# How the owner configures the two indicators of SMALL_PLAN.
INDICATORS = {
    "II.1.a": {"kind": "ratio", "aggregation": "ratio_of_sums", "time_behaviour": "stock",
               "numerator_label": "Đã đào tạo", "denominator_label": "Tổng số",
               "unit_of_measure": "%", "target_final": 1, "target_year": 2030,
               "reporting_kinds": "department,district,commune"},
    "II.1.b": {"kind": "count", "aggregation": "sum", "time_behaviour": "cumulative",
               "unit_of_measure": "lớp", "target_final": 30, "target_year": 2030,
               "reporting_kinds": "department,district,commune"},
}


def make_framework(owner_code: str, *, published: bool = True, with_draft: bool = False,
                   text: str = SMALL_PLAN, indicators: dict | None = None) -> int:
    """A framework owned by ``owner_code``: version 1 (published) and maybe a draft 2."""
    with system_scope("test framework"):
        owner = db.session.scalar(select(Unit).where(Unit.code == owner_code))
        framework = create_from_document(owner, "kh.txt", text.encode())
        version = framework.versions[0]
        apply_indicator_settings(version, indicators or INDICATORS)
        if published:
            update_meta(version, {"doc_number": "12/KH-UBND", "issued_on": "05/02/2026",
                                  "issuer": "UBND", "place": "", "title": version.title})
            publish(version, None)
            add_default_periods(framework, [2026, 2027])
            add_default_obligation(framework)   # the test world's default: to P1.SKHCN
            if with_draft:
                new_draft(framework, None)
        db.session.commit()
        return framework.id


def framework(framework_id: int) -> Framework:
    return db.session.scalar(select(Framework).where(Framework.id == framework_id))


# ---- filed reports ------------------------------------------------------------------------

# A plan of five indicators, one per kind of aggregation (tests/test_aggregate.py).
AGGREGATE_PLAN = """KẾ HOẠCH
Thử nghiệm tổng hợp
I. MỤC ĐÍCH
Kiểm tra.
II. CHỈ TIÊU
1. Đến năm 2030
a) Các đơn vị quán triệt Chỉ thị.
b) Hội nghị hằng năm.
c) Nhiệm vụ khoa học.
d) Công chức được đào tạo.
e) Năng lực thử nghiệm.
III. NHIỆM VỤ
1. Tuyên truyền
a) Tuyên truyền./.
"""
ALL = "department,district,commune"
AGGREGATE_SETTINGS = {
    "II.1.a": {"kind": "yes_no", "aggregation": "share_of_expected",
               "time_behaviour": "per_year", "reporting_kinds": ALL},
    "II.1.b": {"kind": "count", "aggregation": "sum", "time_behaviour": "per_year",
               "reporting_kinds": ALL},
    "II.1.c": {"kind": "count", "aggregation": "sum", "time_behaviour": "cumulative",
               "reporting_kinds": ALL},
    "II.1.d": {"kind": "ratio", "aggregation": "ratio_of_sums", "time_behaviour": "stock",
               "numerator_label": "Đã đào tạo", "denominator_label": "Tổng số",
               "reporting_kinds": ALL},
    "II.1.e": {"kind": "text", "aggregation": "none", "time_behaviour": "per_year",
               "reporting_kinds": ALL},
}
# When a 2026 report was submitted, against the due date 30/11/2026.
ON_TIME = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
LAST_MINUTE = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)   # 23:30 on 30/11 in Vietnam
LATE = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)           # 00:30 on 1/12 in Vietnam


@contextmanager
def during(year: int) -> Iterator[None]:
    """Inside the block it is November of ``year`` if that year has not begun yet: a report
    of a later year can be opened only once its year has begun (``open_report``)."""
    if year <= clock.today().year:
        yield
        return
    with clock.frozen_at(datetime(year, 11, 15, 3, 0, tzinfo=UTC)):   # 10:00 in Vietnam
        yield


def file_report(fid: int, code: str, year: int, values: dict, status: str,
                submitted: datetime | None) -> None:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    period = db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == fid, ReportingPeriod.year == year))
    with during(year):
        report = open_report(unit, period, None)
    codes = dict(db.session.execute(select(Indicator.id, Indicator.code)).tuples().all())
    for row in report.values:
        given = values.get(codes[row.indicator_id])
        if given is not None:
            save_value(row, report, given, check_version=False)
    report.status, report.first_submitted_at, report.submitted_at = status, submitted, submitted


def file_status(fid: int, code: str, year: int, status: str, submitted: datetime | None = None,
                *, times: int = 1, reason: str = "") -> int:
    """A report of ``code`` in ``status`` (no values), submitted ``times`` times (the last at
    ``submitted``), with ``reason`` as its latest return or reopening; its id. Inside a
    system scope."""
    file_report(fid, code, year, {}, status, submitted)
    report = db.session.scalar(select(UnitReport).join(Unit, Unit.id == UnitReport.unit_id)
                               .join(ReportingPeriod,
                                     ReportingPeriod.id == UnitReport.period_id)
                               .where(Unit.code == code, ReportingPeriod.framework_id == fid,
                                      ReportingPeriod.year == year))
    for number in range(1, times + 1) if submitted else ():
        db.session.add(ReportSubmission(report_id=report.id, unit_id=report.unit_id,
                                        number=number, submitted_at=submitted, content={}))
    if reason:
        action = "reopen" if status == "reopened" else "return"
        db.session.add(ReportTransition(report_id=report.id, unit_id=report.unit_id,
                                        action=action, from_status="submitted",
                                        to_status=status, reason=reason, at=submitted
                                        or datetime(2026, 11, 1, tzinfo=UTC)))
    db.session.flush()
    return report.id


# The dashboard's province (the ``province`` fixture of tests/test_dashboard.py and
# tests/test_exports.py): test_aggregate's plan and reports, plus targets, issued plans for
# D1 and C11 whose one task both report overdue, and commune C21 closed before the 2026
# cut-off.
TARGETED = {**AGGREGATE_SETTINGS,
            "II.1.b": {**AGGREGATE_SETTINGS["II.1.b"], "targets": {2026: 8}},
            "II.1.c": {**AGGREGATE_SETTINGS["II.1.c"], "target_final": 10, "target_year": 2030},
            "II.1.d": {**AGGREGATE_SETTINGS["II.1.d"], "target_final": 1, "target_year": 2030}}


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def build_dashboard_province() -> int:
    """Province P1's framework with the dashboard's reports filed (the ``province``
    fixture); returns its id."""
    fid = make_framework("P1", text=AGGREGATE_PLAN, indicators=TARGETED)
    with system_scope("test data"):
        fw = framework(fid)
        db.session.add(ReportingPeriod(framework_id=fid, owner_unit_id=fw.owner_unit_id,
                                       year=2025, due_date=date(2025, 11, 30),
                                       cutoff_date=date(2025, 11, 15)))
        for code in ("D1", "C11"):
            start_plan(_unit(code), fw, None).revisions[-1].status = "issued"
        db.session.flush()
        _unit("C21").valid_to = date(2026, 7, 1)
        file_report(fid, "D1", 2026, {"II.1.a": {"yes_no": "yes"}, "II.1.b": {"value": "2"},
                                      "II.1.c": {"value": "1"},
                                      "II.1.d": {"numerator": "10", "denominator": "10"},
                                      "II.1.e": {"text": "Đã tập huấn"}},
                    "submitted", ON_TIME)
        file_report(fid, "C11", 2026, {"II.1.a": {"yes_no": "no"}, "II.1.b": {"value": "1"},
                                       "II.1.c": {"value": "0"},
                                       "II.1.d": {"numerator": "0", "denominator": "90"}},
                    "submitted", LATE)
        file_report(fid, "C12", 2026, {"II.1.b": {"value": "100"}}, "draft", None)
        file_report(fid, "D2", 2025, {"II.1.b": {"value": "7"}, "II.1.c": {"value": "4"},
                                      "II.1.d": {"numerator": "5", "denominator": "20"}},
                    "accepted", datetime(2025, 11, 10, tzinfo=UTC))
        file_report(fid, "D2", 2026, {"II.1.a": {"yes_no": "yes"}, "II.1.b": {"value": "3"},
                                      "II.1.c": {"value": "2"}},
                    "accepted", LAST_MINUTE)
        file_report(fid, "P1.SKHCN", 2026, {"II.1.a": {"yes_no": "yes"},
                                            "II.1.b": {"value": "0"}},
                    "submitted", ON_TIME)
        db.session.flush()
        for task in db.session.scalars(select(ReportTask)):
            task.status = "overdue"   # D1's and C11's one task (III.1.a)
        db.session.commit()
    return fid


# ---- text as old Windows files store it --------------------------------------------------

TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: letters with â, ê, ô, ơ, ư, ă precomposed, tone
    marks as separate combining characters."""
    out = []
    for char in text:
        try:
            char.encode("cp1258")
            out.append(char)
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            tones = "".join(m for m in marks if m in TONES)
            rest = "".join(m for m in marks if m not in TONES)
            out.append(unicodedata.normalize("NFC", base + rest) + tones)
    return "".join(out).encode("cp1258")


# ---- the permission matrix's objects ------------------------------------------------------

# Every role account holds its role in district D1 (conftest.make_world); the targets are
# its own unit, its province, its commune, its sibling and a unit of the other province.
TARGET_UNITS = {"own": "D1", "parent": "P1", "child": "C11", "sibling": "D2", "other": "QD"}
TARGET_FRAMEWORK_OWNERS = {"own": "D1", "parent": "P1", "child": "C11", "sibling": "D2",
                           "other": "Q1"}


def build_targets(world) -> dict[str, dict]:
    """The objects of the permission matrix (the ``targets`` fixture), per target: its unit
    code, its framework's draft parts, its plan, report, evidence and consolidation."""
    out = {}
    for target, owner in TARGET_FRAMEWORK_OWNERS.items():
        fid = make_framework(owner, with_draft=True)
        with system_scope("test ids"):
            draft = framework(fid).draft()
            out[target] = {
                "code": TARGET_UNITS[target], "framework_id": fid,
                "node_id": db.session.scalar(select(FrameworkNode.id).where(
                    FrameworkNode.version_id == draft.id).limit(1)),
                "indicator_id": db.session.scalar(select(Indicator.id).where(
                    Indicator.version_id == draft.id).limit(1)),
                "responsibility_id": db.session.scalar(select(Responsibility.id).where(
                    Responsibility.version_id == draft.id).limit(1)),
                "period_id": db.session.scalar(select(ReportingPeriod.id).where(
                    ReportingPeriod.framework_id == fid).limit(1)),
                # a unit outside the owner's tree, which a responsibility cannot name
                "outside_unit_id": str(world.unit_ids["C11" if target == "other" else "QC"]),
                "rule_id": create_rule(framework(fid), TARGET_RULE).id,
                "page": 1,     # a page image of the draft (checked against the page)
            }
            db.session.add(DocumentPage(
                version_id=draft.id, owner_unit_id=draft.owner_unit_id, number=1,
                storage_key=page_storage().save(TINY_JPEG), width=1, height=1,
                size=len(TINY_JPEG), source="ocr", confidence=90.0, words=1))
            db.session.commit()
    # A plan of each target unit, implementing its province's framework.
    for target, code in TARGET_UNITS.items():
        province_framework = out["other" if target == "other" else "parent"]["framework_id"]
        with system_scope("test plans"):
            unit = db.session.scalar(select(Unit).where(Unit.code == code))
            plan = start_plan(unit, framework(province_framework), None)
            revision = plan.revisions[-1]
            revision_id = revision.id
            comment = add_comment(plan, None, "Góp ý")
            db.session.commit()
            out[target].update({
                "plan_id": plan.id, "name": "purpose", "comment_id": comment.id,
                "task_id": next(t.id for t in revision.task_rows if t.framework_node_id),
                # (a province reports no indicator: its target is never reached anyway)
                "target_id": revision.target_rows[0].id if revision.target_rows else 0})
            # …and its report for 2026, on that plan (issued)
            revision.status = "issued"
            period = db.session.scalar(select(ReportingPeriod).where(
                ReportingPeriod.framework_id == province_framework,
                ReportingPeriod.year == 2026))
            report = open_report(unit, period, None)
            revision.status = "draft"  # the plan-edit routes are checked on a draft
            evidence = add_evidence(report, "minh-chung.pdf", b"%PDF-1.4 minh chung", None)
            db.session.commit()
            out[target]["evidence_id"] = evidence.id
            period_id, unit_id = period.id, unit.id
            out[target].update({
                "report_id": report.id, "year": 2026,
                "value_id": report.values[0].id if report.values else 0,
                "report_task_id": report.tasks[0].id})
            # …and a finished consolidation of its subtree
            consolidation = launch(unit, framework(province_framework), 2026, None)
            db.session.commit()
            run_consolidation(consolidation.id, unit.id)
            out[target]["consolidation_id"] = consolidation.id
            # …with its Word and Excel files prepared (the job runs after the commit)
            with system_scope("test files"):
                finished = db.session.get_one(Consolidation, consolidation.id)
                config = current_app.config
                queue, config["REDIS_URL"] = config.get("REDIS_URL"), None  # jobs run here
                try:
                    for kind in ("docx", "xlsx"):
                        prepare(finished, kind, None)
                    db.session.commit()
                finally:
                    config["REDIS_URL"] = queue
            # …a validation rule of the plan it reports on, and a run over its subtree
            with system_scope("test validation"):
                out[target]["report_rule_id"] = db.session.scalar(select(ValidationRule.id).where(
                    ValidationRule.framework_id == province_framework))
                out[target]["run_id"] = run_validation(
                    db.session.get(Unit, unit_id), db.session.get(ReportingPeriod, period_id),
                    None).id
                db.session.commit()
            # …and a scan of a plan its unit uploaded, waiting to be read by OCR
            ingest = DocumentIngest(unit_id=unit.id, filename="scan.pdf", data=b"%PDF",
                                    pages=1)
            db.session.add(ingest)
            db.session.commit()
            out[target]["ingest_id"] = ingest.id
            # …and a number of its register, with the scan of its paper copy
            entry = assign_number(unit, "KH", Issue(subject="Kế hoạch giấy"))
            attach_paper_scan(entry, "ban-giay.pdf", b"%PDF-1.4 ban giay", None)
            db.session.commit()
            out[target]["entry_id"] = entry.id
            # …and the PDF of record of its plan, signed by its head (docs/signing.md)
            from portal.signing.record import DocumentRecord
            from portal.storage import evidence_storage

            key = evidence_storage().save(b"%PDF-1.7 record")
            record = DocumentRecord(unit_id=unit.id, kind="plan", object_id=revision_id,
                                    title="Kế hoạch", status="signed", pdf_key=key,
                                    pdf_sha256="0" * 64, pdf_size=15, signed_key=key,
                                    signed_sha256="0" * 64, signed_size=15)
            db.session.add(record)
            db.session.commit()
            out[target]["record_id"] = record.id
    return out


TARGET_RULE = {"name": "Đã đào tạo không vượt tổng số", "left": "#{II.1.a:numerator}",
               "operator": "le", "right": "#{II.1.a:denominator}", "left_missing": "skip_if_any",
               "right_missing": "skip_if_any", "importance": "high", "instruction": ""}


def province_framework_id(report_id: int) -> int:
    """The framework a report was filed on (the report_id fixture's is province P1's)."""
    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        return db.session.get(ReportingPeriod, report.period_id).framework_id


# the smallest JPEG: a 1×1 grey pixel
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c"
    "140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27"
    "393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000"
    "000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300"
    "041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a"
    "25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475"
    "767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9ba"
    "c2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda"
    "0008010100003f00fbd3ffd9")
PDF = b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n%%EOF\n"   # the smallest file sniffed as a PDF


def version_of(html: str, element_id: str) -> str:
    return re.search(rf'id="{re.escape(element_id)}" value="(\d+)"', html)[1]


def hx_save(client, url: str, token: str, page: str, version_id: str,
            headers: dict | None = None, **fields: str):
    """An autosave as htmx sends it, with the version the page showed."""
    return client.post(url, headers={"HX-Request": "true", **(headers or {})},
                       data={"csrf_token": token, "version": version_of(page, version_id),
                             **fields})


def read_mail(folder: Path) -> list[tuple[str, str, str]]:
    """(to, subject, body) of every message written to ``folder`` (the mailbox), in order."""
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes())
        found.append((message["To"], str(make_header(decode_header(message["Subject"]))),
                      message.get_payload(decode=True).decode()))
    return found


def exported(client, consolidation_id: int, kind: str):
    """A consolidation's Word ("docx") or Excel ("xlsx") file as a person gets it: prepare
    it on the consolidation's page (the job runs in-process after the commit, without
    Redis), then download it."""
    page = f"/consolidations/{consolidation_id}"
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    config = client.application.config
    queue, config["REDIS_URL"] = config.get("REDIS_URL"), None   # the job runs here
    try:
        client.post(f"{page}/files/{kind}",
                    data={"csrf_token": match.group(1) if match else ""})
    finally:
        config["REDIS_URL"] = queue
    return client.get(f"{page}/{'report.docx' if kind == 'docx' else 'workbook.xlsx'}")


def clerk_issues(login_as, plan_id: int, *, render: bool = False) -> str:
    """The clerk issues the plan revision its head approved (issue 20's office flow):
    the register's number and date; the PDF of record's job is only queued unless
    ``render``. Returns the number and symbol."""
    from unittest import mock

    from portal.plans.plan import UnitPlan
    from portal.signing.record import RecordKind
    from portal.signing.service import record_of
    from tests.conftest import csrf_token

    with system_scope("test"):
        plan = db.session.get_one(UnitPlan, plan_id)
        record = record_of(RecordKind.PLAN, plan.revisions[-1].id)
        assert record is not None and record.status == "approved", record
        record_id = record.id
    clerk = login_as("clerk")
    token = csrf_token(clerk, f"/records/{record_id}")
    if render:
        answer = clerk.post(f"/records/{record_id}/number",
                            data={"csrf_token": token, "confirm": "1"})
    else:
        with mock.patch("portal.signing.service.enqueue"):
            answer = clerk.post(f"/records/{record_id}/number",
                                data={"csrf_token": token, "confirm": "1"})
    assert answer.status_code == 303, answer.get_data(as_text=True)[-2000:]
    with system_scope("test"):
        db.session.expire_all()
        return db.session.get_one(UnitPlan, plan_id).revisions[-1].doc_number
