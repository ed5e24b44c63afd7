"""The PDF of record and its digital signatures (docs/signing.md): the PDF made by
LibreOffice and checked, the signer's signature verified (and refused when the document
changed, the PDF is another one, the chain is untrusted, the certificate expired, the
signer is not the unit's head), the organisation's signature applied with a PKCS#12 the
province configured, and who may do what."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.plans.plan import PlanRevision
from portal.signing import render as render_module
from portal.signing.record import DocumentRecord, RecordStatus
from portal.signing.render import ORGANISATION_FIELD, SIGNER_FIELD, check, facts
from portal.signing.verify import VerificationError
from tenants.scoping import system_scope
from tests.conftest import csrf_token
from tests.signing_pki import (
    Identity,
    issue_cert,
    make_ca,
    outside_sign,
    png,
    write_pkcs12,
    write_root,
)

HEAD = "Người head"           # the full name of D1's head (tests.conftest)
ISSUE = {"doc_number": "25/KH-UBND", "issued_on": "05/01/2026", "signing_formula": "TM.",
         "signing_body": "Ủy ban nhân dân", "signing_authority": "CHỦ TỊCH",
         "signer_title": "Chủ tịch", "signer_name": HEAD, "place": "Văn Lâm",
         "recipients": "UBND tỉnh;"}
PASSWORD = b"mat-khau-p12"


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> dict[str, Identity | Path]:
    folder = tmp_path_factory.mktemp("pki")
    root, stranger = make_ca("CA thử nghiệm"), make_ca("CA lạ")
    out: dict = {
        "root": root, "trust": write_root(root, folder / "trust"),
        "head": issue_cert(root, HEAD),
        "drafter": issue_cert(root, "Người drafter"),
        "expired": issue_cert(root, HEAD, expired=True),
        "untrusted": issue_cert(stranger, HEAD),
        "organisation": issue_cert(root, "Huyện Một", "Huyện Một"),
    }
    out["p12"] = write_pkcs12(out["organisation"], folder / "org.p12", PASSWORD)
    (folder / "org.pass").write_bytes(PASSWORD)
    out["pass"] = folder / "org.pass"
    return out


_PDFS: dict[bytes, bytes] = {}


@pytest.fixture
def signing_config(app: Flask, pki, monkeypatch: pytest.MonkeyPatch):
    """Trust roots and D1's organisation certificate; LibreOffice runs once per document
    per session (the same Word file gives the same PDF: it is kept)."""
    import json

    monkeypatch.setitem(app.config, "TRUST_ROOTS_DIR", str(pki["trust"]))
    monkeypatch.setitem(app.config, "ORGANISATION_CERTIFICATES", json.dumps(
        {"D1": {"pkcs12": str(pki["p12"]), "password_file": str(pki["pass"])}}))
    real = render_module.docx_to_pdf

    def cached(docx: bytes, timeout: int = 120) -> bytes:
        if docx not in _PDFS:
            _PDFS[docx] = real(docx, timeout)
        return _PDFS[docx]

    monkeypatch.setattr("portal.signing.service.docx_to_pdf", cached)
    return pki


def issued_plan(plan_id: int) -> None:
    from portal.plans.plan import UnitPlan
    from portal.plans.service import issue, submit

    with system_scope("test"):
        plan = db.session.get_one(UnitPlan, plan_id)
        revision = plan.revisions[-1]
        for task in revision.task_rows:
            task.content = task.content or "Nhiệm vụ"
        submit(plan, None)
        issue(plan, None, ISSUE)
        db.session.commit()


def make_record(plan_id: int) -> int:
    from portal.plans.plan import UnitPlan
    from portal.signing import request_record, source_of_plan

    issued_plan(plan_id)
    with system_scope("test"):
        return request_record(source_of_plan(db.session.get_one(UnitPlan, plan_id)), None)


def record(record_id: int) -> DocumentRecord:
    with system_scope("test"):
        db.session.expire_all()
        row = db.session.get_one(DocumentRecord, record_id)
        db.session.expunge(row)
        return row


def stored(key: str) -> bytes:
    from portal.signing.service import read_file

    return read_file(key)


def accept(record_id: int, data: bytes, organisation: bool = False):
    from portal.signing import accept_signed
    from portal.unit_of_work import unit_of_work

    with system_scope("test"), unit_of_work():
        return accept_signed(db.session.get_one(DocumentRecord, record_id), data, None,
                             organisation=organisation)


@pytest.fixture(autouse=True)
def in_process(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDF-of-record job runs in-process (CI sets REDIS_URL, with no worker for the
    app client)."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)


# ---- the PDF of record -------------------------------------------------------------------


def test_the_pdf_of_record_is_a4_with_its_fonts_embedded_and_its_signature_fields(
        app: Flask, plan_id: int, signing_config) -> None:
    record_id = make_record(plan_id)
    row = record(record_id)
    assert row.status == RecordStatus.RENDERED.value, row.error
    # the number and date the register gave the plan on issue (docs/documents.md)
    with system_scope("test"):
        issued = db.session.scalars(select(PlanRevision).where(
            PlanRevision.plan_id == plan_id, PlanRevision.doc_number.is_not(None))).one()
    assert re.fullmatch(r"\d{2,}/KH-UBND", row.doc_number)
    assert (row.doc_number, row.issued_on) == (issued.doc_number, issued.issued_on)
    pdf = stored(row.pdf_key)
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == row.pdf_sha256 and len(pdf) == row.pdf_size
    found = facts(pdf)
    assert found.a4 and found.fonts and all(found.fonts.values()), found.fonts
    assert found.numbered and found.pages == row.pages
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    fields = reader.get_fields() or {}
    assert {SIGNER_FIELD, ORGANISATION_FIELD} <= set(fields)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert row.doc_number in text and HEAD in text
    # the signer's box lies above the name, the seal over its left third
    signer, seal = row.layout["signer"], row.layout["organisation"]
    assert seal[0] < signer[0] < seal[2] < signer[2]
    assert seal[2] - signer[0] == pytest.approx((signer[2] - signer[0]) / 3, abs=1)


def test_a_pdf_without_embedded_fonts_is_refused() -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(595.28, 841.89)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(render_module.RenderError) as refused:
        check(out.getvalue())
    assert "Helvetica" in str(refused.value)


def test_without_libreoffice_the_message_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(render_module.shutil, "which", lambda _name: None)
    with pytest.raises(render_module.RenderError) as refused:
        render_module.docx_to_pdf(b"PK")
    assert refused.value.code == "office-missing"
    assert "libreoffice-writer-nogui" in str(refused.value)


# ---- the signer's signature, verified ----------------------------------------------------


def test_the_heads_signature_is_accepted_then_the_organisation_issues(
        app: Flask, plan_id: int, signing_config) -> None:
    record_id = make_record(plan_id)
    pdf = stored(record(record_id).pdf_key)
    signed = outside_sign(pdf, signing_config["head"], SIGNER_FIELD,
                          image=png((20, 40, 200)))
    verified = accept(record_id, signed)
    assert verified.common_name == HEAD
    row = record(record_id)
    assert row.status == RecordStatus.SIGNED.value and stored(row.signed_key) == signed
    assert signed[:row.pdf_size] == pdf                    # the rendered bytes, signed
    # the clerk: the organisation's signature with the configured PKCS#12
    from portal.signing import sign_as_organisation
    from portal.unit_of_work import unit_of_work

    with system_scope("test"), unit_of_work():
        organisation = sign_as_organisation(db.session.get_one(DocumentRecord, record_id),
                                            None)
    assert organisation.common_name == "Huyện Một"
    row = record(record_id)
    assert row.status == RecordStatus.ISSUED.value
    final = stored(row.issued_key)
    assert final[:row.signed_size] == signed
    from pyhanko.pdf_utils.reader import PdfFileReader

    names = [s.field_name for s in PdfFileReader(io.BytesIO(final)).embedded_signatures]
    assert names == [SIGNER_FIELD, ORGANISATION_FIELD]


def refused(record_id: int, data: bytes, organisation: bool = False) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        accept(record_id, data, organisation)
    assert record(record_id).status == (RecordStatus.SIGNED.value if organisation
                                        else RecordStatus.RENDERED.value)
    return caught.value


def test_verification_refuses_each_bad_signature(app: Flask, plan_id: int,
                                                 signing_config) -> None:
    record_id = make_record(plan_id)
    pdf = stored(record(record_id).pdf_key)
    head = signing_config["head"]
    good = outside_sign(pdf, head, SIGNER_FIELD)

    # a document changed after signing: a byte the signature covers altered (its date)…
    at = good.index(b"/Filter /Adobe.PPKLite", len(pdf)) + len(b"/Filter /Adobe.")
    changed = bytearray(good)
    changed[at:at + 7] = b"PPKLitx"
    error = refused(record_id, bytes(changed))
    assert error.check == "intact" and "thay đổi sau khi ký" in str(error)
    # …a byte of the rendered document itself…
    tampered = bytearray(good)
    tampered[len(pdf) // 2] ^= 0x01
    assert refused(record_id, bytes(tampered)).check == "prefix"
    # …or content appended after the signature (an incremental update)
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(good), strict=False)
    writer.root["/Lang"] = pdf_name("/vi")
    writer.update_root()
    appended = io.BytesIO()
    writer.write(appended)
    assert refused(record_id, appended.getvalue()).check == "coverage"
    # a signature over a different PDF
    # (the same document written out again: another file, with the same field)
    from pypdf import PdfWriter

    rewritten = io.BytesIO()
    PdfWriter(clone_from=io.BytesIO(pdf)).write(rewritten)
    other = outside_sign(rewritten.getvalue(), head, SIGNER_FIELD)
    assert refused(record_id, other).check == "prefix"
    # an untrusted chain, an expired certificate, someone who is not the unit's head
    error = refused(record_id, outside_sign(pdf, signing_config["untrusted"], SIGNER_FIELD))
    assert error.check == "trust" and "gốc tin cậy" in str(error)
    error = refused(record_id, outside_sign(pdf, signing_config["expired"], SIGNER_FIELD))
    assert error.check == "trust" and "không còn hiệu lực" in str(error)
    error = refused(record_id, outside_sign(pdf, signing_config["drafter"], SIGNER_FIELD))
    assert error.check == "signer" and "Người drafter" in str(error)
    # the good one is still accepted after all of that
    assert accept(record_id, good).common_name == HEAD


def test_the_organisation_signature_must_be_the_units(app: Flask, plan_id: int,
                                                      signing_config) -> None:
    record_id = make_record(plan_id)
    pdf = stored(record(record_id).pdf_key)
    signed = outside_sign(pdf, signing_config["head"], SIGNER_FIELD)
    accept(record_id, signed)
    # the head's own certificate is not the organisation's
    error = refused(record_id, outside_sign(signed, signing_config["head"],
                                            ORGANISATION_FIELD), organisation=True)
    assert error.check == "signer"
    sealed = outside_sign(signed, signing_config["organisation"], ORGANISATION_FIELD)
    assert accept(record_id, sealed, organisation=True).common_name == "Huyện Một"



def test_an_attachment_is_signed_by_the_organisation_at_the_top_right(
        app: Flask, plan_id: int, signing_config) -> None:
    from portal.plans.plan import UnitPlan
    from portal.signing import request_record, sign_as_organisation, source_of_plan
    from portal.signing.organisation import stamp_text
    from portal.unit_of_work import unit_of_work

    issued_plan(plan_id)
    with system_scope("test"):
        record_id = request_record(source_of_plan(db.session.get_one(UnitPlan, plan_id)),
                                   None, attachment=True)
    row = record(record_id)
    _x1, _y1, x2, y2 = row.layout["organisation"]
    assert row.layout["page"] == 0 and x2 > 500 and y2 > 800      # top right of page 1
    with system_scope("test"), unit_of_work():
        sign_as_organisation(db.session.get_one(DocumentRecord, record_id), None)
    row = record(record_id)
    assert row.status == RecordStatus.ISSUED.value and row.signed_key is None
    from pyhanko.pdf_utils.reader import PdfFileReader

    final = stored(row.issued_key)
    (signature,) = PdfFileReader(io.BytesIO(final)).embedded_signatures
    assert signature.field_name == ORGANISATION_FIELD
    from datetime import UTC, datetime

    text = stamp_text("25/KH-UBND", datetime(2026, 1, 5, 2, 30, tzinfo=UTC))
    assert text == "25/KH-UBND\n2026-01-05T09:30:00+07:00"   # ISO 8601, Vietnam time


def test_on_the_pages_the_head_signs_and_the_clerk_issues(
        app: Flask, plan_id: int, signing_config, login_as) -> None:
    record_id = make_record(plan_id)
    pdf = stored(record(record_id).pdf_key)
    head, clerk = login_as("head"), login_as("clerk")
    page = head.get(f"/records/{record_id}")
    assert page.status_code == 200 and HEAD in page.get_data(as_text=True)
    assert head.get(f"/records/{record_id}/record.pdf").data == pdf
    assert head.get(f"/records/{record_id}/signed.pdf").status_code == 404
    token = csrf_token(head, f"/records/{record_id}")
    # the drafter's certificate: refused, with the check that failed, nothing kept
    wrong = outside_sign(pdf, signing_config["drafter"], SIGNER_FIELD)
    answer = head.post(f"/records/{record_id}/sign", data={
        "csrf_token": token, "file": (io.BytesIO(wrong), "ky.pdf")})
    assert answer.status_code == 422
    assert "không phải “Người head”" in answer.get_data(as_text=True)
    assert record(record_id).status == RecordStatus.RENDERED.value
    # the clerk may not sign for the head
    signed = outside_sign(pdf, signing_config["head"], SIGNER_FIELD)
    clerk_token = csrf_token(clerk, f"/records/{record_id}")
    assert clerk.post(f"/records/{record_id}/sign", data={
        "csrf_token": clerk_token, "file": (io.BytesIO(signed), "ky.pdf")}).status_code == 403
    answer = head.post(f"/records/{record_id}/sign", data={
        "csrf_token": token, "file": (io.BytesIO(signed), "ky.pdf")})
    assert answer.status_code == 303
    assert record(record_id).status == RecordStatus.SIGNED.value
    # the head may not issue; the clerk does, with the configured certificate
    assert head.post(f"/records/{record_id}/issue", data={
        "csrf_token": token, "how": "certificate"}).status_code == 403
    answer = clerk.post(f"/records/{record_id}/issue", data={
        "csrf_token": clerk_token, "how": "certificate"})
    assert answer.status_code == 303
    final = head.get(f"/records/{record_id}/signed.pdf")
    assert final.status_code == 200 and final.data.startswith(signed)
    assert "Huyện Một" in clerk.get(f"/records/{record_id}").get_data(as_text=True)


def test_another_units_documents_of_record_are_not_found(
        app: Flask, plan_id: int, signing_config, login_as) -> None:
    from portal.accounts.service import create_user, grant
    from tenants.unit import Unit
    from tests.conftest import PASSWORD, login

    record_id = make_record(plan_id)
    with system_scope("test"):
        sibling = db.session.scalar(select(Unit).where(Unit.code == "D2"))
        grant(create_user("u.d2.head", PASSWORD, full_name=HEAD), sibling, "head")
        grant(create_user("u.d2.clerk", PASSWORD), sibling, "clerk")
        db.session.commit()
    for username in ("u.d2.head", "u.d2.clerk"):
        client = app.test_client()
        login(client, username)
        for url in (f"/records/{record_id}", f"/records/{record_id}/record.pdf",
                    f"/records/{record_id}/signed.pdf", "/units/D1/signing"):
            assert client.get(url).status_code == 404, (username, url)
        token = csrf_token(client, "/auth/password")
        assert client.post(f"/records/{record_id}/sign", data={
            "csrf_token": token}).status_code == 404
        assert client.post(f"/records/{record_id}/issue", data={
            "csrf_token": token, "how": "certificate"}).status_code == 404
    assert record(record_id).status == RecordStatus.RENDERED.value


def test_seal_and_signature_images_are_small_transparent_pngs_in_their_colour(
        app: Flask, world, login_as) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/units/D1/signing")

    def upload(kind: str, data: bytes, user_id: int | str = ""):
        return admin.post("/units/D1/signing/images", data={
            "csrf_token": token, "kind": kind, "user_id": str(user_id),
            "file": (io.BytesIO(data), "anh.png")})

    from portal.accounts.service import find_user

    with system_scope("test"):
        head_id = find_user("u.head").id
    assert upload("seal", png((200, 20, 20))).status_code == 303
    assert upload("signature", png((20, 40, 200)), head_id).status_code == 303
    refusals = {
        "màu đỏ": upload("seal", png((20, 40, 200))),             # a blue seal
        "nền trong suốt": upload("seal", _opaque_png()),
        "300 KB": upload("seal", b"\x89PNG\r\n\x1a\n" + b"0" * 310_000),
        "tệp PNG": upload("seal", b"GIF89a"),
        "người của đơn vị": upload("signature", png((20, 40, 200)), 999_999),
    }
    for words, answer in refusals.items():
        assert answer.status_code == 422 and words in answer.get_data(as_text=True), words
    page = admin.get("/units/D1/signing").get_data(as_text=True)
    assert page.count("240 × 100 px") == 2
    # only administrators upload
    head = login_as("head")
    assert head.post("/units/D1/signing/images", data={
        "csrf_token": csrf_token(head, "/units/D1/signing"), "kind": "seal",
        "file": (io.BytesIO(png((200, 20, 20))), "anh.png")}).status_code == 403


def _opaque_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (50, 50), (200, 20, 20)).save(out, "PNG")
    return out.getvalue()


def test_a_report_handed_to_its_head_becomes_a_pdf_of_record_signed_by_the_head(
        app: Flask, report_id: int, signing_config) -> None:
    from portal.reports.report import UnitReport
    from portal.signing import request_record, source_of_report

    with system_scope("test"):
        report = db.session.get_one(UnitReport, report_id)
        with pytest.raises(Exception, match="trình thủ trưởng"):
            source_of_report(report)              # a draft is not signed
        report.status = "with_head"
        db.session.commit()
        source = source_of_report(report)
        assert (source.title, source.signer_name) == ("Báo cáo năm 2026", HEAD)
        record_id = request_record(source, None)
    row = record(record_id)
    assert row.status == RecordStatus.RENDERED.value, row.error
    pdf = stored(row.pdf_key)
    assert HEAD in "".join(p.extract_text() for p in __import__("pypdf").PdfReader(
        io.BytesIO(pdf)).pages)
    assert accept(record_id, outside_sign(pdf, signing_config["head"], SIGNER_FIELD)
                  ).common_name == HEAD


def test_a_consolidated_report_is_signed_by_the_units_leader(app: Flask, world) -> None:
    from portal.signing.service import expected_signer_names, signer_role
    from tenants.membership import Role

    with system_scope("test"):
        assert signer_role("consolidation") == Role.LEADER
        assert expected_signer_names("consolidation", world.unit_ids["D1"]) == ["Người leader"]
        assert expected_signer_names("plan", world.unit_ids["D1"]) == [HEAD]
