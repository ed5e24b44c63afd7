"""Evidence files: checked by content, stored outside the database, all or nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.reports.evidence import ReportEvidence, safe_filename, sniff
from tenants.scoping import system_scope
from tests.builders import PDF
from tests.conftest import csrf_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(client, report_id: int, name: str, data: bytes):
    token = csrf_token(client, f"/reports/{report_id}")
    return client.post(f"/reports/{report_id}/evidence", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), name)})


def count() -> int:
    with system_scope("test"):
        return db.session.scalar(select(func.count()).select_from(ReportEvidence))


@pytest.mark.parametrize(("data", "expected"), [
    (PDF, ("application/pdf", ".pdf")), (PNG, ("image/png", ".png")),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 8, ("image/jpeg", ".jpg")),
    (b"MZ\x90\x00" + b"\x00" * 60, None),                # a Windows program
    (b"\x7fELF" + b"\x00" * 60, None),                    # a Linux program
    (b"<html><script>alert(1)</script>", None),
    (b"PK\x03\x04not a zip", None),
])
def test_content_decides_the_type(data: bytes, expected) -> None:
    assert sniff(data) == expected
    assert sniff(docx_bytes())[1] == ".docx"


def test_file_names_are_made_safe() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\a\\Báo cáo.pdf") == "Báo cáo.pdf"
    assert safe_filename('x"<script>.pdf') == "xscript.pdf"
    assert safe_filename("") == "tep"


def test_upload_download_and_remove(app: Flask, report_id: int, login_as) -> None:
    drafter, leader = login_as("drafter"), login_as("leader")
    assert upload(drafter, report_id, "Biên bản.pdf", PDF).status_code == 302
    assert upload(drafter, report_id, "ket-qua.docx", docx_bytes()).status_code == 302
    page = leader.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Biên bản.pdf" in page
    with system_scope("test"):
        first = db.session.scalars(select(ReportEvidence).order_by(ReportEvidence.id)).first()
    response = leader.get(f"/reports/{report_id}/evidence/{first.id}")
    assert response.status_code == 200 and response.data == PDF
    assert "attachment" in response.headers["Content-Disposition"]
    response.close()
    assert upload(leader, report_id, "x.pdf", PDF).status_code == 403
    token = csrf_token(drafter, f"/reports/{report_id}")
    assert drafter.post(f"/reports/{report_id}/evidence/{first.id}/delete",
                        data={"csrf_token": token}).status_code == 302
    assert count() == 1


@pytest.mark.parametrize(("name", "data", "message"), [
    ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 60, "chỉ chấp nhận"),   # a program called .pdf
    ("anh.pdf", PNG, "nội dung là PNG"),                             # the wrong extension
    ("rong.pdf", b"", "Tệp rỗng"),
    ("lon.pdf", PDF + b"0" * 200_000, "tối đa 0.1 MB"),               # over the limit
])
def test_bad_files_are_refused_and_nothing_is_kept(app: Flask, report_id: int,
                                                   login_as, name: str, data: bytes,
                                                   message: str, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 100_000)
    response = upload(login_as("drafter"), report_id, name, data)
    assert response.status_code == 422
    assert message.lower() in response.get_data(as_text=True).lower()
    assert count() == 0


def test_an_unwritable_store_is_a_clear_error(app: Flask, report_id: int, login_as,
                                              tmp_path, monkeypatch) -> None:
    # A folder that runs through a regular file cannot be written, not even by root.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(blocker / "evidence"))
    response = upload(login_as("drafter"), report_id, "a.pdf", PDF)
    assert response.status_code == 422
    assert "không ghi được" in response.get_data(as_text=True)
    assert count() == 0


def test_a_full_disk_is_a_clear_error(app: Flask, report_id: int, login_as,
                                      monkeypatch) -> None:
    import portal.storage

    def full(self, data):
        raise portal.storage.StorageError("[Errno 28] No space left on device")

    monkeypatch.setattr(portal.storage.LocalStorage, "save", full)
    response = upload(login_as("drafter"), report_id, "a.pdf", PDF)
    assert response.status_code == 422
    assert "đầy" in response.get_data(as_text=True)
    assert count() == 0
