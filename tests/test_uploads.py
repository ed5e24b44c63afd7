"""Uploads that could exhaust memory (issue 14, findings 5 and 8): every upload path
checks an Office file before parsing it (portal/archives.py) and reads spreadsheets as a
stream that stops at the row limit (portal/spreadsheets.py).

Expectations: a bomb (100 MB of XML in a few hundred KB), a billion-laughs or
entity-declaring file, an archive of thousands of parts, a sheet of half a million rows —
each is a 422 (or the evidence form's refusal) with a clear message in Vietnamese, and
nothing is written. The memory each costs is measured by benchmarks/upload_memory.py.
"""

from __future__ import annotations

import io

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.accounts.user import User
from portal.archives import ArchiveError, ArchiveLimits, check_archive
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.parser import DocumentError, parse_file
from portal.reports.evidence import ReportEvidence
from portal.spreadsheets import TableError, read_table
from tenants.scoping import system_scope
from tests import hostile_files as hostile
from tests.conftest import csrf_token

TOO_BIG = "Tệp giải nén ra lớn hơn mức một văn bản loại này có thể có"
DOCTYPE = "Tệp có khai báo kiểu tài liệu (DOCTYPE hoặc ENTITY)"
RATIO = "Tệp bị nén bất thường"
PARTS = "Tệp có hơn 2000 phần"
ROWS = "Tệp có hơn 5000 dòng; mỗi lần chỉ nhập tối đa 5000 dòng."


def count(model) -> int:
    with system_scope("test"):
        return db.session.scalar(select(func.count()).select_from(model))


# ---- the guard itself -----------------------------------------------------------------

@pytest.mark.parametrize(("make", "reason"), [
    (hostile.docx_bomb, "too-large"),
    (hostile.docx_laughs, "doctype"),
    (hostile.xlsx_entity, "doctype"),
    (hostile.xlsx_rows, "ratio"),
    (hostile.zip_of_parts, "parts"),
    (lambda: b"PK\x03\x04 not an archive at all", "corrupt"),
])
def test_the_guard_refuses_each_hostile_archive(make, reason: str) -> None:
    with pytest.raises(ArchiveError) as refused:
        check_archive(make())
    assert refused.value.reason == reason
    assert list(refused.value.problems) == ["file"]


def test_the_guard_passes_real_office_files_and_counts_unpacked_bytes() -> None:
    check_archive(hostile.plain_docx(400))
    check_archive(hostile.plain_xlsx(4000))
    check_archive(hostile.xlsx_rows(20_000, distinct=True))
    check_archive(hostile.docx_largest(6.9))     # the benchmark's largest accepted file
    with pytest.raises(ArchiveError) as over:
        check_archive(hostile.docx_largest(8))   # past the 8 MB of XML
    assert over.value.reason == "too-large"
    # the XML budget counts what is really unpacked, part by part
    with pytest.raises(ArchiveError) as refused:
        check_archive(hostile.plain_docx(400), ArchiveLimits(max_xml=20_000))
    assert refused.value.reason == "too-large"


def test_an_entity_split_across_chunks_or_in_utf16_is_found(monkeypatch) -> None:
    import portal.archives as archives

    monkeypatch.setattr(archives, "CHUNK", 7)     # "<!DOCTYPE" falls across chunks
    with pytest.raises(ArchiveError, match="DOCTYPE"):
        check_archive(hostile.docx_laughs())
    xml = ('<?xml version="1.0" encoding="UTF-16"?>' + hostile.LAUGHS + "<a/>")
    data = hostile._replace(hostile.plain_docx(1), "word/document.xml",
                            ["\ufeff".encode("utf-16-le") + xml.encode("utf-16-le")])
    with pytest.raises(ArchiveError, match="DOCTYPE"):
        check_archive(data)


DAMAGED_FROM = (hostile.plain_docx(3), hostile.plain_xlsx(5), hostile.docx_laughs())


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(which=st.integers(0, len(DAMAGED_FROM) - 1), cut=st.integers(0, 40_000),
       flips=st.lists(st.tuples(st.integers(0, 40_000), st.integers(0, 255)), max_size=12))
def test_a_damaged_archive_is_passed_or_refused_never_an_error(which: int, cut: int,
                                                               flips) -> None:
    data = bytearray(DAMAGED_FROM[which][:cut or None])
    for where, byte in flips:
        if data:
            data[where % len(data)] = byte
    try:
        check_archive(bytes(data))
    except ArchiveError as refused:
        assert refused.reason in ("corrupt", "too-large", "ratio", "doctype", "parts")


@pytest.mark.parametrize(("signature", "offset"), [
    (b"PK\x01\x02", 6),     # the "version needed" of the first part in the list
    (b"PK\x01\x02", 10),    # the packing method of the first part
    (b"PK\x05\x06", 16),    # where the list of parts starts
])
def test_a_damaged_header_field_is_a_refusal(signature: bytes, offset: int) -> None:
    data = bytearray(hostile.plain_docx(3))
    at = data.find(signature) + offset
    data[at:at + 2] = b"\x63\x11"
    with pytest.raises(ArchiveError) as refused:
        check_archive(bytes(data))
    assert refused.value.reason == "corrupt"


# ---- the framework upload (.docx) and the parser's command line -------------------------

@pytest.mark.parametrize(("make", "message"), [
    (hostile.docx_bomb, TOO_BIG), (hostile.docx_laughs, DOCTYPE),
    (hostile.zip_of_parts, PARTS),
])
def test_the_framework_upload_refuses_hostile_documents(app: Flask, login_as, make,
                                                        message: str) -> None:
    owner = login_as("consolidator")
    token = csrf_token(owner, "/units/D1/frameworks")
    response = owner.post("/units/D1/frameworks", content_type="multipart/form-data", data={
        "csrf_token": token, "document": (io.BytesIO(make()), "ke-hoach.docx")})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Framework) == 0


def test_the_parser_refuses_a_billion_laughs_docx_with_its_reason() -> None:
    with pytest.raises(DocumentError) as refused:
        parse_file("ke-hoach.docx", hostile.docx_laughs())
    assert refused.value.code == "archive" and "DOCTYPE" in str(refused.value)
    assert parse_file("ke-hoach.docx", hostile.plain_docx(3)).outline[0].label == "I"


# ---- spreadsheets: account import, unit import, reorganization ------------------------

def test_a_sheet_is_read_as_a_stream_and_stops_at_the_row_limit(monkeypatch) -> None:
    import openpyxl.worksheet._read_only as read_only

    seen = []
    original = read_only.ReadOnlyWorksheet._cells_by_row

    def counted(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            seen.append(1)
            yield row

    monkeypatch.setattr(read_only.ReadOnlyWorksheet, "_cells_by_row", counted)
    with pytest.raises(TableError) as refused:
        read_table("tai-khoan.xlsx", hostile.xlsx_rows(50_000, distinct=True), {})
    assert refused.value.messages == [ROWS]
    assert len(seen) == 5002          # the header, 5,000 rows, and the one too many
    table = read_table("tai-khoan.xlsx", hostile.xlsx_rows(5000, distinct=True), {})
    assert len(table.rows) == 5000 and table.rows[-1][1]["username"] == "import.5001"


@pytest.mark.parametrize(("make", "message"), [
    (hostile.xlsx_rows, RATIO),                                    # 500,000 rows, 170 KB
    (lambda: hostile.xlsx_rows(50_000, distinct=True), ROWS),
    (hostile.xlsx_entity, DOCTYPE), (hostile.docx_bomb, TOO_BIG),
    (hostile.zip_of_parts, PARTS),
])
@pytest.mark.parametrize("area", ["/unit-admin", "/admin"])
def test_the_account_import_refuses_hostile_sheets(login_as, make, message: str,
                                                   area: str) -> None:
    client = login_as("admin" if area == "/unit-admin" else "platform")
    before = count(User)
    token = csrf_token(client, "/auth/password")
    response = client.post(f"{area}/import-accounts/", data={
        "csrf_token": token, "file": (io.BytesIO(make()), "tai-khoan.xlsx")})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(User) == before


@pytest.mark.parametrize(("make", "message"), [
    (hostile.xlsx_entity, DOCTYPE), (hostile.xlsx_rows, RATIO), (hostile.docx_bomb, TOO_BIG),
])
def test_the_reorganization_mapping_refuses_hostile_sheets(login_as, make,
                                                           message: str) -> None:
    operator = login_as("platform")
    token = csrf_token(operator, "/auth/password")
    response = operator.post("/admin/reorganize/", data={
        "csrf_token": token, "effective": "01/07/2025", "parent": "P1",
        "file": (io.BytesIO(make()), "sap-xep.xlsx")})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_the_unit_import_refuses_an_archive_clearly(login_as) -> None:
    """Unit lists are CSV only: an archive is not text, and nothing unpacks it."""
    operator = login_as("platform")
    token = csrf_token(operator, "/auth/password")
    response = operator.post("/admin/import-units/", data={
        "csrf_token": token, "file": (io.BytesIO(hostile.docx_bomb()), "don-vi.csv")})
    assert response.status_code == 422
    assert "UTF-8" in response.get_data(as_text=True)


# ---- evidence files (stored, not parsed: only the list of parts is read) ---------------

def test_an_evidence_archive_of_thousands_of_parts_is_refused(report_id: int,
                                                              login_as) -> None:
    drafter = login_as("drafter")
    token = csrf_token(drafter, f"/reports/{report_id}")
    response = drafter.post(f"/reports/{report_id}/evidence",
                            content_type="multipart/form-data", data={
                                "csrf_token": token,
                                "file": (io.BytesIO(hostile.zip_of_parts()), "minh-chung.docx")})
    assert response.status_code == 422
    assert PARTS in response.get_data(as_text=True)
    assert count(ReportEvidence) == 0
