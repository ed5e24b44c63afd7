"""The plan editor as a clerk uses it (issue 17 item 3): the title says "Kế hoạch" once,
the signer is filled in, the issue form's errors stand beside their fields, hints are
not mistaken for values, the coordinating units and the dates have pickers that leave the
plain form working without JavaScript."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.plans.service import start_plan
from portal.titles import subject_after
from tenants.scoping import system_scope
from tenants.text import search_key
from tenants.unit import Unit
from tests.builders import framework, make_framework
from tests.conftest import csrf_token


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/auth/password"), **data})


def save_title(client, plan_id: int, text: str) -> None:
    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    version = re.search(r'id="version-section-title" value="(\d+)"', page)[1]
    response = client.post(f"/plans/{plan_id}/sections/title",
                           data={"csrf_token": csrf_token(client, f"/plans/{plan_id}"),
                                 "version": version, "text": text},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)


def doubled(text: str) -> bool:
    """"Kế hoạch Kế hoạch", "KẾ HOẠCH / Kế hoạch …" or "Kế hoạch số Kế hoạch" in ``text``."""
    return re.search(r"ke hoach (so )?ke hoach", search_key(text)) is not None


# ---- (f) no "Kế hoạch Kế hoạch" -------------------------------------------------------------


@pytest.mark.parametrize(("subject", "expected"), [
    ("Kế hoạch triển khai Kế hoạch số 108/KH-UBND", "Triển khai Kế hoạch số 108/KH-UBND"),
    ("KẾ HOẠCH: thực hiện công tác tiêu chuẩn", "Thực hiện công tác tiêu chuẩn"),
    ("Ke hoach so 108/KH-UBND", "108/KH-UBND"),
    ("Kế hoạch 108/KH-UBND: tiêu chuẩn, đo lường", "108/KH-UBND: tiêu chuẩn, đo lường"),
    ("Triển khai thực hiện Kế hoạch số 108", "Triển khai thực hiện Kế hoạch số 108"),
    ("Kế hoạchxyz", "Kế hoạchxyz"),                       # a whole word only
])
def test_a_subject_loses_the_kind_word_put_before_it(subject: str, expected: str) -> None:
    assert subject_after(subject) == expected


def test_the_word_document_says_ke_hoach_once(app: Flask, plan_id: int, login_as) -> None:
    drafter = login_as("drafter")
    save_title(drafter, plan_id, "Kế hoạch triển khai thực hiện Kế hoạch số 12/KH-UBND")
    response = drafter.get(f"/plans/{plan_id}/export.docx")
    paragraphs = [p.text for p in Document(io.BytesIO(response.data)).paragraphs if p.text]
    kind = paragraphs.index("KẾ HOẠCH")
    assert paragraphs[kind + 1] == "Triển khai thực hiện Kế hoạch số 12/KH-UBND"
    # the title names the plan implemented: no "Thực hiện Kế hoạch số 12/KH-UBND" again
    assert not paragraphs[kind + 2].startswith("Thực hiện Kế hoạch số")
    printed = drafter.get(f"/plans/{plan_id}/print").get_data(as_text=True)
    heading = re.search(r"<h1>KẾ HOẠCH</h1>\s*<h2>([^<]*)</h2>", printed)[1]
    assert heading == "Triển khai thực hiện Kế hoạch số 12/KH-UBND"
    assert "Thực hiện Kế hoạch số" not in printed


def test_the_print_view_names_the_plan_implemented_when_the_title_does_not(
        app: Flask, plan_id: int, login_as) -> None:
    drafter = login_as("drafter")
    save_title(drafter, plan_id, "Kế hoạch về tiêu chuẩn, đo lường, chất lượng")
    printed = drafter.get(f"/plans/{plan_id}/print").get_data(as_text=True)
    assert "<h2>Về tiêu chuẩn, đo lường, chất lượng</h2>" in printed
    assert "Thực hiện Kế hoạch số 12/KH-UBND" in printed


def test_a_framework_without_a_number_gives_no_doubled_title(app: Flask, world) -> None:
    fid = make_framework("P1")
    with system_scope("test"):
        chosen = framework(fid)
        chosen.name = "Kế hoạch số 7 về tiêu chuẩn, đo lường, chất lượng"
        chosen.published().doc_number = None
        unit = db.session.scalar(select(Unit).where(Unit.code == "D1"))
        title = start_plan(unit, chosen, None).revisions[-1].title
        db.session.rollback()
    assert not doubled(title), title
    assert title == "Triển khai thực hiện Kế hoạch số 7 về tiêu chuẩn, đo lường, chất lượng"
