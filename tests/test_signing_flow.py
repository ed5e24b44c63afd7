"""The office flow of a document going out (issue 20 item 3; docs/signing.md § The flow):
the signer approves, the clerk issues — the register's number and date taken at the
clerk's step, printed in the PDF of record both signatures cover — for a plan, a unit's
report and a consolidated report; and each step in the document's history, with who and
when (Vietnam time)."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.plans.plan import UnitPlan
from portal.register.entry import RegisterEntry
from portal.signing.record import DocumentRecord, RecordKind, RecordStatus
from portal.signing.render import SIGNER_FIELD
from portal.signing.service import record_of
from tenants.scoping import system_scope
from tests.conftest import csrf_token
from tests.signing_pki import outside_sign

# the signing tests' fixtures, by their own names
from tests.test_signing import HEAD, ISSUE, in_process, pki, record, signing_config, stored  # noqa: F401

MOMENT = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")
HEAD_FORM = {k: v for k, v in ISSUE.items() if k not in ("doc_number", "issued_on")}


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/auth/password"), **data})


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def entries(unit_code: str = "D1") -> list[RegisterEntry]:
    from tenants.unit import Unit

    with system_scope("test"):
        db.session.expire_all()
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit_code))
        return list(db.session.scalars(select(RegisterEntry).where(
            RegisterEntry.unit_id == unit_id).order_by(RegisterEntry.number)))


def submitted_plan(plan_id: int, login_as) -> None:
    from portal.plans.service import submit

    with system_scope("test"):
        plan = db.session.get_one(UnitPlan, plan_id)
        for task in plan.revisions[-1].task_rows:
            task.content = task.content or "Nhiệm vụ"
        submit(plan, None)
        db.session.commit()


def plan_record_id(plan_id: int) -> int:
    with system_scope("test"):
        db.session.expire_all()
        plan = db.session.get_one(UnitPlan, plan_id)
        row = record_of(RecordKind.PLAN, plan.revisions[-1].id)
        assert row is not None
        return row.id


def test_the_head_approves_the_clerk_issues_and_the_number_is_in_the_signed_pdf(
        app: Flask, plan_id: int, signing_config, login_as) -> None:  # noqa: F811
    submitted_plan(plan_id, login_as)
    head, clerk = login_as("head"), login_as("clerk")
    page = head.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "Duyệt kế hoạch" in page                     # the head approves, not issues
    assert post(head, f"/plans/{plan_id}/issue", **HEAD_FORM).status_code == 302
    assert entries() == []                               # no number at the approval
    record_id = plan_record_id(plan_id)
    assert record(record_id).status == RecordStatus.APPROVED.value
    on_plan = clerk.get(f"/plans/{plan_id}").get_data(as_text=True)   # the clerk's way in
    assert "Đã phê duyệt, chờ cấp số" in on_plan and f"/records/{record_id}" in on_plan
    assert "Cấp số và ban hành" in on_plan
    # only the clerk issues; the head cannot take the number
    assert post(head, f"/records/{record_id}/number", confirm="1").status_code == 403
    assert post(clerk, f"/records/{record_id}/number").status_code == 422   # not confirmed
    answer = post(clerk, f"/records/{record_id}/number", confirm="1")
    assert answer.status_code == 303
    [entry] = entries()
    today = clock.today()
    assert (entry.notation, entry.issued_on, entry.document_type) == (
        "01/KH-UBND", today, "plan_revision")
    row = record(record_id)
    assert row.status == RecordStatus.RENDERED.value, row.error
    assert (row.doc_number, row.issued_on) == ("01/KH-UBND", today)
    pdf = stored(row.pdf_key)
    printed = text_of(pdf)
    assert "01/KH-UBND" in printed                         # the number and the date printed
    month = f"{today.month:02d}" if today.month <= 2 else str(today.month)
    assert f"ngày {today.day:02d} tháng {month} năm {today.year}" in printed
    # a second press does not take another number
    assert post(clerk, f"/records/{record_id}/number", confirm="1").status_code == 422
    assert len(entries()) == 1
    # the head signs the PDF with the number; the clerk applies the organisation's
    signed = outside_sign(pdf, signing_config["head"], SIGNER_FIELD)
    token = csrf_token(head, f"/records/{record_id}")
    assert head.post(f"/records/{record_id}/sign", data={
        "csrf_token": token, "file": (io.BytesIO(signed), "ky.pdf")}).status_code == 303
    assert post(clerk, f"/records/{record_id}/issue", how="certificate").status_code == 303
    final = head.get(f"/records/{record_id}/signed.pdf").data
    assert final.startswith(signed) and final[:row.pdf_size] == pdf
    from portal.signing.service import verify_upload

    with system_scope("test"):     # the downloaded file passes every check again
        kept = db.session.get_one(DocumentRecord, record_id)
        assert verify_upload(kept, final, organisation=True).common_name == "Huyện Một"
    [entry] = entries()
    assert entry.signed_copy == "digital" and entry.page_amount == row.pages
    # each step in the history, with who and when (dd/mm/yyyy HH:MM)
    history = head.get(f"/plans/{plan_id}/history").get_data(as_text=True)
    for words in ("được thủ trưởng phê duyệt", "Phê duyệt của người ký",
                  "Văn thư ban hành với số 01/KH-UBND", "Tạo bản PDF chính thức",
                  "Người ký đã ký số", "Đã ký số của cơ quan", "Người clerk", HEAD):
        assert words in history, words
    section = history[history.index("Phê duyệt của người ký") - 400:]
    assert MOMENT.search(section)
    on_record = head.get(f"/records/{record_id}").get_data(as_text=True)
    assert "Văn thư ban hành với số 01/KH-UBND" in on_record


def test_a_unit_without_a_clerk_issues_on_the_heads_approval(
        app: Flask, plan_id: int, login_as) -> None:
    from portal.accounts.user import User

    with system_scope("test"):
        db.session.scalar(select(User).where(User.username == "u.clerk")).active = False
        db.session.commit()
    submitted_plan(plan_id, login_as)
    head = login_as("head")
    assert "Ban hành kế hoạch" in head.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert post(head, f"/plans/{plan_id}/issue", **HEAD_FORM).status_code == 302
    assert [e.notation for e in entries()] == ["01/KH-UBND"]
    with system_scope("test"):
        assert db.session.get_one(UnitPlan, plan_id).revisions[-1].status == "issued"


def test_a_report_is_approved_by_its_head_and_numbered_by_the_clerk(
        app: Flask, report_id: int, signing_config, login_as) -> None:  # noqa: F811
    from portal.reports.report import UnitReport

    with system_scope("test"):
        db.session.get_one(UnitReport, report_id).status = "with_head"
        db.session.commit()
    head, clerk, drafter = login_as("head"), login_as("clerk"), login_as("drafter")
    # the clerk cannot approve for the head; the drafter takes no part
    assert post(clerk, f"/reports/{report_id}/record", confirm="1").status_code == 403
    assert post(drafter, f"/reports/{report_id}/record", confirm="1").status_code == 403
    answer = post(head, f"/reports/{report_id}/record", confirm="1")
    assert answer.status_code == 303
    record_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert record(record_id).status == RecordStatus.APPROVED.value and entries() == []
    assert post(clerk, f"/records/{record_id}/number", confirm="1").status_code == 303
    [entry] = entries()
    assert (entry.notation, entry.kind, entry.document_type, entry.issued_on) == (
        "01/BC-UBND", "BC", "unit_report", clock.today())
    assert entry.subject.startswith("Báo cáo kết quả thực hiện")
    row = record(record_id)
    assert row.status == RecordStatus.RENDERED.value, row.error
    pdf = stored(row.pdf_key)
    printed = text_of(pdf)
    assert "01/BC-UBND" in printed and "DỰ THẢO" not in printed
    signed = outside_sign(pdf, signing_config["head"], SIGNER_FIELD)
    token = csrf_token(head, f"/records/{record_id}")
    assert head.post(f"/records/{record_id}/sign", data={
        "csrf_token": token, "file": (io.BytesIO(signed), "ky.pdf")}).status_code == 303
    assert post(clerk, f"/records/{record_id}/issue", how="certificate").status_code == 303
    assert entries()[0].signed_copy == "digital"
    page = head.get(f"/reports/{report_id}").get_data(as_text=True)
    for words in ("Phê duyệt của người ký", "Văn thư ban hành với số 01/BC-UBND",
                  "Đã ký số của cơ quan"):
        assert words in page, words


def test_a_consolidated_report_is_approved_by_the_leader_and_numbered_by_the_clerk(
        app: Flask, province: int, signing_config, login_as) -> None:  # noqa: F811
    from tests.test_consolidation_exports import consolidate

    row_id = consolidate(province, "D1")
    leader, head, clerk = login_as("leader"), login_as("head"), login_as("clerk")
    assert post(head, f"/consolidations/{row_id}/record", confirm="1").status_code == 403
    answer = post(leader, f"/consolidations/{row_id}/record", confirm="1")
    assert answer.status_code == 303
    record_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert record(record_id).status == RecordStatus.APPROVED.value
    assert post(clerk, f"/records/{record_id}/number", confirm="1").status_code == 303
    [entry] = entries()
    assert (entry.notation, entry.document_type) == ("01/BC-UBND", "consolidation")
    row = record(record_id)
    assert row.status == RecordStatus.RENDERED.value, row.error
    assert "01/BC-UBND" in text_of(stored(row.pdf_key))
    page = leader.get(f"/consolidations/{row_id}").get_data(as_text=True)
    assert "Văn thư ban hành với số 01/BC-UBND" in page


def test_an_approved_document_cannot_be_rendered_without_its_number(
        app: Flask, report_id: int, login_as) -> None:
    from portal.reports.report import UnitReport
    from portal.signing import request_record, source_of_report
    from portal.signing.service import SigningError

    with system_scope("test"):
        db.session.get_one(UnitReport, report_id).status = "with_head"
        db.session.commit()
    assert post(login_as("head"), f"/reports/{report_id}/record",
                confirm="1").status_code == 303
    with system_scope("test"), pytest.raises(SigningError, match="văn thư"):
        request_record(source_of_report(db.session.get_one(UnitReport, report_id)), None)
    assert entries() == []
