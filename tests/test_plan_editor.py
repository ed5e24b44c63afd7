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


# ---- (e) the signer, (c) errors beside their fields, (d) hints, not placeholders ----------


def submitted(plan_id: int, login_as):
    drafter, head = login_as("drafter"), login_as("head")
    assert post(drafter, f"/plans/{plan_id}/submit", confirm="1").status_code == 302
    return head


def field_tag(html: str, field_id: str) -> str:
    return re.search(rf'<(?:input|textarea|select)[^>]*\bid="{field_id}"[^>]*>', html)[0]


def test_the_signer_is_filled_in_with_the_head_issuing(app: Flask, plan_id: int,
                                                       login_as) -> None:
    head = submitted(plan_id, login_as)
    page = head.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert 'value="Người head"' in field_tag(page, "signer_name")
    # a district's people's committee signs "TM. ỦY BAN NHÂN DÂN", its chair
    assert 'value="ỦY BAN NHÂN DÂN"' in field_tag(page, "signing_body")
    assert 'value="CHỦ TỊCH"' in field_tag(page, "signer_title")
    assert re.search(r'<option value="TM\." selected', page)


def test_without_a_name_of_their_own_the_unit_head_is_named(app: Flask, world) -> None:
    from portal.accounts.service import create_user, grant
    from portal.plans.pages import head_name

    with system_scope("test"):
        d1 = db.session.scalar(select(Unit).where(Unit.code == "D1"))
        deputy = create_user("u.deputy", "Deputy@2025x", full_name="Phó Chủ tịch Hai")
        grant(deputy, d1, "head")
        db.session.flush()
        assert head_name(d1.id, deputy.id) == "Phó Chủ tịch Hai"     # the head issuing
        assert head_name(d1.id, None) == "Người head"                 # the first head
        assert head_name(world.unit_ids["C11"], None) == ""           # a unit with no head
        db.session.rollback()


def test_a_refused_issue_marks_each_field_beside_itself(app: Flask, plan_id: int,
                                                        login_as) -> None:
    head = submitted(plan_id, login_as)
    refused = post(head, f"/plans/{plan_id}/issue", signing_formula="XX.",
                   signer_title="CHỦ TỊCH", signer_name="")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    for name in ("signing_formula", "signer_name"):
        tag = field_tag(html, name)
        assert 'aria-invalid="true"' in tag and f"error-{name}" in tag, tag
        after = html[html.index(tag):][:900]          # the message follows its field
        assert re.search(rf'id="error-{name}">[^<]+<', after), after
    assert 'value="CHỦ TỊCH"' in field_tag(html, "signer_title")      # kept as typed
    assert 'aria-invalid' not in field_tag(html, "signer_title")
    # the summary above links each problem to its field
    assert 'href="#signing_formula"' in html and 'href="#signer_name"' in html
    returned = post(head, f"/plans/{plan_id}/return", reason="")
    tag = field_tag(returned.get_data(as_text=True), "reason")
    assert 'aria-invalid="true"' in tag and "error-reason" in tag


def test_no_hint_inside_a_field_can_pass_for_a_value(app: Flask, plan_id: int,
                                                     login_as) -> None:
    drafter = login_as("drafter")
    editing = drafter.get(f"/plans/{plan_id}").get_data(as_text=True)
    head = submitted(plan_id, login_as)
    issuing = head.get(f"/plans/{plan_id}").get_data(as_text=True)
    for html in (editing, issuing):
        assert not re.search(r'\splaceholder="', html), re.findall(r'\splaceholder="[^"]*"', html)
    assert 'id="doc_number"' not in issuing        # the register gives the number
    assert "hint-signing_body" in field_tag(issuing, "signing_body")
    start = re.search(r'<input[^>]*\bid="start-\d+"[^>]*>', editing)[0]
    assert re.search(r'aria-describedby="error-task-\d+-start_date hint-start-\d+"', start)


# ---- (a) (b) the pickers, and the plain form under them ------------------------------------


def test_the_pickers_enhance_plain_fields(app: Flask, plan_id: int, login_as) -> None:
    drafter = login_as("drafter")
    page = drafter.get(f"/plans/{plan_id}")
    html = page.get_data(as_text=True)
    select_tag = re.search(r'<select[^>]*\bid="coord-\d+"[^>]*>', html)[0]
    # without JavaScript: a multiple select of the province's units, named as before
    assert "multiple" in select_tag and 'name="coordinating"' in select_tag
    assert "data-unit-picker" in select_tag and 'data-placeholder="Gõ tên để tìm' in select_tag
    options = re.search(r"<select[^>]*coord-\d+.*?</select>", html, re.S)[0]
    assert "Huyện Hai" in options and "Xã Khác" not in options       # the same province only
    start = re.search(r'<input[^>]*\bid="start-\d+"[^>]*>', html)[0]
    assert "data-date-picker" in start and "type=" not in start        # a text field
    for path in ("vendor/tom-select.complete.min.js", "js/plan-editor.js"):
        assert f'src="/static/{path}"' in html
    # the scripts are the platform's own files: the policy needs no inline script or style
    policy = page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and " style=" not in html
