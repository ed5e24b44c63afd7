"""The register of outgoing documents (issue 20 items 1, 5, 6, 7; docs/documents.md):
numbers per issuing body and year from 01 (Vietnam time), numbers taken outside,
collisions, the number given back by a failed issue, two heads issuing at the same
second (PostgreSQL), replacement, correction, recall, the electronic identifier, the
Appendix VI metadata, the paper copy, the list and its export, and isolation."""

from __future__ import annotations

import io
import json
import os
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import create_engine, select, text

from portal import clock
from portal.extensions import db
from portal.plans.plan import UnitPlan
from portal.plans.service import in_force, issue
from portal.register.entry import RegisterCounter, RegisterEntry
from portal.register.service import (
    Issue,
    RegisterError,
    assign_number,
    check_electronic_id,
    entry_of,
    next_number,
    record_outside,
    set_identity,
)
from portal.unit_of_work import unit_of_work
from tenants.scoping import Scope, system_scope, use_scope
from tenants.unit import Unit
from tests.builders import clerk_issues
from tests.conftest import csrf_token

ISSUE = {"signing_formula": "TM.", "signing_body": "Ủy ban nhân dân",
         "signer_title": "Phó Chủ tịch", "signer_name": "Trần Thị Bình",
         "recipients": "- UBND tỉnh;\n- Sở Khoa học và Công nghệ;"}


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/auth/password"), **data})


def issued_plan(plan_id: int, login_as) -> tuple:
    drafter, head = login_as("drafter"), login_as("head")
    assert post(drafter, f"/plans/{plan_id}/submit", confirm="1").status_code == 302
    assert post(head, f"/plans/{plan_id}/issue", **ISSUE).status_code == 302   # approved
    clerk_issues(login_as, plan_id)                  # the clerk issues: the number now
    return drafter, head


def entry_id_of(plan_id: int, number: int = -1) -> int:
    with system_scope("test"):
        plan = db.session.get(UnitPlan, plan_id)
        return entry_of("plan_revision", plan.revisions[number].id).id


# ---- numbers --------------------------------------------------------------------------


def test_numbers_run_from_01_per_body_per_vietnamese_year(app: Flask, world) -> None:
    with system_scope("test"):
        district, department = unit("D1"), unit("P1.SKHCN")
        # 23:59 on 31 December in Vietnam (16:59 UTC): still the year 2026
        with clock.frozen_at(datetime(2026, 12, 31, 16, 59, tzinfo=UTC)):
            first = assign_number(district, "KH", Issue(subject="Kế hoạch A"))
            second = assign_number(district, "BC", Issue(subject="Báo cáo B"))
            other_body = assign_number(department, "BC", Issue(subject="Báo cáo C"))
        # 00:00 on 1 January in Vietnam (17:00 UTC on 31 December): the new year's 01
        with clock.frozen_at(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)):
            new_year = assign_number(district, "KH", Issue(subject="Kế hoạch D"))
        assert [(e.year, e.notation) for e in (first, second, other_body, new_year)] == [
            (2026, "01/KH-UBND"), (2026, "02/BC-UBND"),   # shared by every kind
            (2026, "01/BC-SKHCN"),                          # a department: its own letters
            (2027, "01/KH-UBND")]
        assert new_year.issued_on == date(2027, 1, 1)
        set_identity(department, "KHCN", None)               # the admin's letters win
        assert assign_number(department, "BC", Issue(subject="E"),
                             on=date(2026, 12, 1)).notation == "02/BC-KHCN"


def test_numbers_taken_outside_are_followed_and_never_taken_twice(app: Flask, world) -> None:
    with system_scope("test"), force_locale("vi"):
        district = unit("D1")
        on = clock.today().strftime("%d/%m/%Y")
        record_outside(district, {"number": "30", "kind": "QĐ", "issued_on": on,
                                  "subject": "Quyết định giấy"})
        assert assign_number(district, "KH", Issue(subject="Kế hoạch")).number == 31
        record_outside(district, {"number": "5", "kind": "CV", "issued_on": on,
                                  "subject": "Công văn giấy"})   # a free lower number: kept
        assert next_number(district) == 32                       # the highest still leads
        for taken in ("30", "31", "05"):
            with pytest.raises(RegisterError) as refused:
                record_outside(district, {"number": taken, "kind": "TB", "issued_on": on,
                                          "subject": "Trùng"})
            assert "đã có trong sổ" in refused.value.problems["number"]
        with pytest.raises(RegisterError) as bad:
            record_outside(district, {"number": "mười", "kind": "XX",
                                      "issued_on": "31/02/2026", "subject": " "})
        assert set(bad.value.problems) == {"number", "kind", "issued_on", "subject"}
        assert "số nguyên" in bad.value.problems["number"]
        notations = [e.notation for e in db.session.scalars(select(RegisterEntry).where(
            RegisterEntry.unit_id == district.id).order_by(RegisterEntry.number))]
        assert notations == ["05/UBND", "30/QĐ-UBND", "31/KH-UBND"]


def test_a_failed_issue_gives_its_number_back(app: Flask, plan_id: int, login_as,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    post(login_as("drafter"), f"/plans/{plan_id}/submit", confirm="1")
    post(login_as("head"), f"/plans/{plan_id}/issue", **ISSUE)    # approved by the head
    import portal.plans.service as plans

    def broken(*_args, **_kwargs) -> None:
        raise RuntimeError("the disk is full")

    db.session.commit()   # (the test's session began before the request's submit)
    with system_scope("test"):
        plan = db.session.get(UnitPlan, plan_id)
        assert plan.revisions[-1].status == "approved"
        monkeypatch.setattr(plans, "_record", broken)   # fails after the number is taken
        with pytest.raises(RuntimeError), unit_of_work():
            issue(plan, None)
        monkeypatch.undo()
        assert db.session.scalar(select(RegisterEntry.id).where(
            RegisterEntry.unit_id == plan.unit_id)) is None
        assert not db.session.scalar(select(RegisterCounter.last_number).where(
            RegisterCounter.unit_id == plan.unit_id))
    with system_scope("test"):
        assert db.session.get(UnitPlan, plan_id).revisions[-1].status == "approved"
    assert clerk_issues(login_as, plan_id) == "01/KH-UBND"


# ---- the plan's issue and the life of its document -------------------------------------


def test_the_plan_takes_its_number_on_issue_and_a_new_issue_replaces_it(
        app: Flask, plan_id: int, login_as) -> None:
    drafter, head = login_as("drafter"), login_as("head")
    post(drafter, f"/plans/{plan_id}/submit", confirm="1")
    form = head.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "01/KH-UBND" in form and 'id="doc_number"' not in form   # shown, not typed
    assert post(head, f"/plans/{plan_id}/issue", **ISSUE).status_code == 302
    assert clerk_issues(login_as, plan_id) == "01/KH-UBND"
    page = head.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "Đã ban hành, số 01/KH-UBND ngày " + clock.today().strftime("%d/%m/%Y") in page
    exported = head.get(f"/plans/{plan_id}/export.docx")
    assert exported.status_code == 200 and b"01-KH-UBND" in exported.headers[
        "Content-Disposition"].encode()
    # a content error: amend, and the revision issued next replaces the first
    assert post(drafter, f"/plans/{plan_id}/amend", from_revision="1").status_code == 302
    assert post(drafter, f"/plans/{plan_id}/submit", confirm="2").status_code == 302
    assert post(head, f"/plans/{plan_id}/issue", **ISSUE).status_code == 302
    assert clerk_issues(login_as, plan_id) == "02/KH-UBND"
    with system_scope("test"):
        plan = db.session.get(UnitPlan, plan_id)
        old = entry_of("plan_revision", plan.revisions[0].id)
        new = entry_of("plan_revision", plan.revisions[1].id)
        assert (old.notation, old.status) == ("01/KH-UBND", "replaced")
        assert (new.notation, new.status, new.replaces_id) == ("02/KH-UBND", "issued", old.id)
    earlier = head.get(f"/plans/{plan_id}?revision=1").get_data(as_text=True)
    assert "Bị thay thế bởi 02/KH-UBND" in earlier
    history = head.get(f"/plans/{plan_id}/history").get_data(as_text=True)
    assert "bị thay thế bởi" in history and "02/KH-UBND" in history
    listing = head.get("/units/D1/register").get_data(as_text=True)
    assert "thay thế 01/KH-UBND" in listing and "bị thay thế bởi 02/KH-UBND" in listing


def test_a_correction_notice_and_a_recall(app: Flask, plan_id: int, login_as) -> None:
    drafter, head = issued_plan(plan_id, login_as)
    entry_id = entry_id_of(plan_id)
    base = f"/units/D1/register/{entry_id}"
    assert post(drafter, base + "/correction", text="x").status_code == 403
    assert post(head, base + "/correction", text=" ").status_code == 422
    assert post(head, base + "/correction",
                text="trang 2, dòng 5: “2025” sửa thành “2026”").status_code == 302
    with system_scope("test"):
        notice = db.session.scalar(select(RegisterEntry).where(
            RegisterEntry.corrects_id == entry_id))
        assert notice.notation == "02/TB-UBND"
        assert notice.subject.startswith("Đính chính Kế hoạch số 01/KH-UBND ngày ")
    page = head.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "Thông báo đính chính 02/TB-UBND" in page
    refused = post(head, base + "/recall", reason="")
    assert refused.status_code == 422 and "lý do" in refused.get_data(as_text=True)
    assert post(head, base + "/recall", reason="Ban hành nhầm đơn vị").status_code == 302
    with system_scope("test"):
        plan = db.session.get(UnitPlan, plan_id)
        assert plan.revisions[-1].status == "recalled" and in_force(plan) is None
        assert db.session.get(RegisterEntry, entry_id).status == "recalled"
    assert post(head, base + "/recall", reason="Lần nữa").status_code == 422
    history = head.get(f"/plans/{plan_id}/history").get_data(as_text=True)
    for words in ("đính chính", "02/TB-UBND", "thu hồi", "Ban hành nhầm đơn vị"):
        assert words in history, words
    # a recalled plan can be amended and issued again, under a new number
    assert post(drafter, f"/plans/{plan_id}/amend", from_revision="1").status_code == 302


# ---- identifier and metadata -------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["000.00.31.H26", "H26", "G12.34.AB", "1" * 35])
def test_electronic_identifiers_that_are_right(identifier: str) -> None:
    check_electronic_id(identifier)


@pytest.mark.parametrize(("identifier", "words"), [
    ("000.00.31.h26", "chữ in hoa"), ("000..31", "chữ in hoa"), (".000", "chữ in hoa"),
    ("000.00-31", "chữ in hoa"), ("000 00", "chữ in hoa"), ("1" * 36, "35 ký tự")])
def test_electronic_identifiers_that_are_refused(app: Flask, identifier: str,
                                                 words: str) -> None:
    with app.app_context(), force_locale("vi"), pytest.raises(RegisterError) as refused:
        check_electronic_id(identifier)
    assert words in refused.value.problems["electronic_id"]


def test_the_admin_edits_the_identifier_and_the_letters(app: Flask, world, login_as) -> None:
    admin = login_as("admin")
    url = f"/unit-admin/unit/edit/?id={world.unit_ids['D1']}"
    token = csrf_token(admin, url)
    bad = admin.post(url, data={"csrf_token": token, "name": "Huyện Một",
                                "abbreviation": "UB ND", "electronic_id": "000.00.h26"},
                     follow_redirects=True).get_data(as_text=True)
    assert "Chữ viết tắt của đơn vị" in bad and "Mã định danh điện tử gồm" in bad
    with system_scope("test"):
        assert unit("D1").electronic_id is None
    admin.post(url, data={"csrf_token": token, "name": "Huyện Một", "abbreviation": "",
                          "electronic_id": "000.00.31.H26"})
    with system_scope("test"), force_locale("vi"):
        assert unit("D1").electronic_id == "000.00.31.H26"
        with pytest.raises(RegisterError) as taken:
            set_identity(unit("D2"), None, "000.00.31.H26")
        assert "000.00.31.H26" in taken.value.problems["electronic_id"]


def test_the_metadata_of_an_issued_document_as_json_and_xml(app: Flask, plan_id: int,
                                                            login_as) -> None:
    with system_scope("test"):
        set_identity(unit("D1"), None, "000.00.31.H26")
        set_identity(unit("P1.SKHCN"), None, "000.00.20.H26")
        db.session.commit()
    _drafter, head = issued_plan(plan_id, login_as)
    entry_id = entry_id_of(plan_id)
    answer = head.get(f"/units/D1/register/{entry_id}/metadata.json")
    assert answer.status_code == 200 and "01-KH-UBND-" in answer.headers["Content-Disposition"]
    record = json.loads(answer.get_data(as_text=True))
    assert {k: record[k] for k in ("OrganId", "CodeNumber", "CodeNotation", "IssuedDate",
                                   "OrganName", "TypeName", "Language")} == {
        "OrganId": "000.00.31.H26", "CodeNumber": "01", "CodeNotation": "KH-UBND",
        "IssuedDate": clock.today().isoformat(), "OrganName": "Huyện Một",
        "TypeName": "Kế hoạch", "Language": "vi"}
    assert record["SignerInfo"] == {"Position": "Phó Chủ tịch", "FullName": "Trần Thị Bình"}
    assert record["To"] == [{"OrganId": "", "OrganName": "UBND tỉnh"},
                            {"OrganId": "000.00.20.H26",
                             "OrganName": "Sở Khoa học và Công nghệ"}]
    assert record["Subject"] and record["Status"] == "issued"
    xml = head.get(f"/units/D1/register/{entry_id}/metadata.xml")
    assert xml.mimetype == "application/xml"
    root = ET.fromstring(xml.data)  # noqa: S314 - our own answer, parsed to check it
    assert root.tag == "OutgoingDocument"
    assert root.findtext("CodeNumber") == "01" and root.findtext("OrganId") == "000.00.31.H26"
    assert root.findtext("SignerInfo/FullName") == "Trần Thị Bình"
    assert [t.findtext("OrganName") for t in root.findall("To")] == [
        "UBND tỉnh", "Sở Khoa học và Công nghệ"]


# ---- paper -----------------------------------------------------------------------------


def test_a_paper_copy_is_kept_as_paper(app: Flask, plan_id: int, login_as,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    drafter, head = issued_plan(plan_id, login_as)
    entry_id = entry_id_of(plan_id)
    url = f"/units/D1/register/{entry_id}/scan"

    def upload(client, name: str, data: bytes):
        return client.post(url, data={"csrf_token": csrf_token(client, "/auth/password"),
                                      "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")

    assert upload(drafter, "ban-giay.pdf", b"%PDF-1.4 scan").status_code == 403
    wrong = upload(head, "ban-giay.pdf", b"<html>not a scan</html>")
    assert wrong.status_code == 422 and "PDF" in wrong.get_data(as_text=True)
    renamed = upload(head, "ban-giay.png", b"%PDF-1.4 scan")
    assert renamed.status_code == 422
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 100)
    assert "tối đa" in upload(head, "lon.pdf", b"%PDF-1.4" + b"0" * 200).get_data(as_text=True)
    monkeypatch.undo()
    assert head.get(url).status_code == 404                  # no scan yet
    assert upload(head, "ban-giay.pdf", b"%PDF-1.4 scan").status_code == 302
    with system_scope("test"):
        entry = db.session.get(RegisterEntry, entry_id)
        assert (entry.signed_copy, entry.scan_filename) == ("paper", "ban-giay.pdf")
    page = head.get("/units/D1/register").get_data(as_text=True)
    assert "bản giấy" in page and "ký số" not in page.lower()
    download = head.get(url)
    assert download.data == b"%PDF-1.4 scan"
    download.close()
    record = json.loads(head.get(f"/units/D1/register/{entry_id}/metadata.json").data)
    assert record["Description"] == "bản giấy"


# ---- the list, its export, isolation ------------------------------------------------------


def test_the_register_lists_and_exports_in_order(app: Flask, world, login_as) -> None:
    with system_scope("test"):
        district = unit("D1")
        for n in range(1, 12):
            assign_number(district, "BC" if n % 2 else "KH", Issue(subject=f"Văn bản {n}"),
                          on=date(2026, 3, n))
        db.session.commit()
    head = login_as("head")
    page = head.get("/units/D1/register?year=2026").get_data(as_text=True)
    positions = [page.index(f">{n:02d}/") for n in (1, 2, 10, 11)]
    assert positions == sorted(positions)                   # 02 before 10
    assert "05/03/2026" in page
    assert "Ghi số lấy ngoài nền tảng" in page            # the head records numbers
    assert "Ghi số lấy ngoài nền tảng" not in login_as("drafter").get(
        "/units/D1/register?year=2026").get_data(as_text=True)
    book = load_workbook(io.BytesIO(head.get("/units/D1/register.xlsx?year=2026").data))
    rows = [r for r in book.active.iter_rows(values_only=True) if r and r[1]]
    assert rows[0][1] == "Số, ký hiệu"
    assert [r[1] for r in rows[1:4]] == ["01/BC-UBND", "02/KH-UBND", "03/BC-UBND"]
    assert rows[1][2] == "01/03/2026"
    assert head.get("/units/D1/register?year=99999").status_code == 404


def test_another_units_register_is_not_found(app: Flask, world, login_as) -> None:
    with system_scope("test"):
        other = assign_number(unit("QD"), "KH", Issue(subject="Của tỉnh khác"))
        sibling = assign_number(unit("D2"), "KH", Issue(subject="Của huyện bên"))
        db.session.commit()
        ids = (other.id, sibling.id)
    head = login_as("head")
    for code in ("D2", "QD"):
        assert head.get(f"/units/{code}/register").status_code == 404
        assert head.get(f"/units/{code}/register.xlsx").status_code == 404
    for entry_id in ids:        # another unit's entry under one's own unit: not found either
        assert head.get(f"/units/D1/register/{entry_id}/metadata.json").status_code == 404
        assert post(head, f"/units/D1/register/{entry_id}/recall",
                    reason="x").status_code == 404


# ---- two heads issuing at the same second (PostgreSQL) ------------------------------------


@pytest.mark.postgres
def test_two_issues_at_the_same_second_take_two_numbers(app: Flask) -> None:
    """Real connections (not the test's rolled-back one): a second app on the same
    database, its own engine and pool; the rows it commits are deleted afterwards.
    SQLite has no concurrent writers to race (it locks the whole file): PostgreSQL only.
    """
    from composition import create_app
    from portal.config import TestingConfig

    other = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"],
                       TENANT_ORM_GUARD=True)
    url = os.environ.get("MIGRATION_DATABASE_URL") or os.environ["DATABASE_URL"]
    owner = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    code = f"RG{uuid.uuid4().hex[:8]}"
    with owner.begin() as connection:   # a province of its own, committed (and not audited)
        unit_id = connection.execute(text(
            "INSERT INTO unit (code, name, search_name, kind) VALUES (:c, 'Tỉnh Đua Số', "
            "'tinh dua so', 'province') RETURNING id"), {"c": code}).scalar_one()
        connection.execute(text("INSERT INTO unit_closure (ancestor_id, descendant_id, depth)"
                                " VALUES (:u, :u, 0)"), {"u": unit_id})
    started = threading.Barrier(3)
    results: list[tuple[int | str, float]] = []

    def issue_one(fail: bool) -> None:
        with other.app_context(), use_scope(Scope(units=frozenset({unit_id}))):
            started.wait()
            try:
                with unit_of_work():
                    here = db.session.get_one(Unit, unit_id)
                    entry = assign_number(here, "KH", Issue(subject="Đua"))
                    number = entry.number
                    time.sleep(0.3)              # hold the number while the others wait
                    if fail:
                        raise RuntimeError("issuing failed after the number was taken")
                results.append((number, time.monotonic()))
            except RuntimeError:
                results.append(("failed", time.monotonic()))
            finally:
                db.session.remove()

    try:
        threads = [threading.Thread(target=issue_one, args=(fail,))
                   for fail in (False, False, True)]
        begun = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        numbers = sorted(n for n, _t in results if n != "failed")
        assert len(results) == 3 and numbers == [1, 2], results   # no gap, no duplicate
        # they waited for each other on the counter row: about 3 × 0.3 s, not 0.3 s
        assert max(t for _n, t in results) - begun >= 0.85, results
        with other.app_context(), use_scope(Scope(units=frozenset({unit_id}))):
            here = db.session.get_one(Unit, unit_id)
            assert next_number(here) == 3
            db.session.remove()
    finally:
        with owner.begin() as connection:
            for statement in ("DELETE FROM register_entry WHERE unit_id = :u",
                              "DELETE FROM register_counter WHERE unit_id = :u",
                              "DELETE FROM unit_closure WHERE descendant_id = :u",
                              "DELETE FROM unit WHERE id = :u"):
                connection.execute(text(statement), {"u": unit_id})
        owner.dispose()
        with other.app_context():
            db.engine.dispose()


def test_a_report_issued_with_a_number_prints_it(app: Flask, report_id: int) -> None:
    from portal.reports.report import UnitReport
    from portal.reports.report_document import report_document

    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        assert report_document(report).number == "…/BC-UBND"      # not issued yet
        assign_number(unit("D1"), "KH", Issue(subject="Kế hoạch"))
        assign_number(unit("D1"), "BC", Issue(subject="Báo cáo năm 2026",
                                              document_type="unit_report",
                                              document_id=report_id))
        assert report_document(report).number == "02/BC-UBND"
