"""Hostile input: script in every text field and file name, SQL-looking codes, path
traversal, forged and tampered requests, another unit's ids in forms and the API.

Expectations: stored text comes back escaped (never as markup), a hostile address is a
404, a tampered request is refused without a 500 and changes nothing, and every response
carries the security headers (portal/security.py). The permission matrix checks every
route's URL ids; here the ids travel in form fields, htmx requests and API bodies.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docx import Document
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.plans.plan import PlanTask, UnitPlan
from portal.reports.evidence import ReportEvidence, safe_filename
from portal.reports.report import UnitReport
from portal.storage import LocalStorage, StorageError
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import hx_save, version_of
from tests.conftest import csrf_token, login

# The world and the matrix's objects are built once for the module; each test runs in a
# savepoint rolled back after it (tests/conftest.py, shared_world).
pytestmark = pytest.mark.shared_world

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>"\'</textarea>'
ESCAPED = "&lt;script&gt;alert("


def assert_inert(html: str) -> None:
    """The payload is shown as text: escaped, never as a tag or an attribute."""
    assert "<script>alert" not in html and "<img src=x" not in html
    assert ESCAPED in html


# ---- headers ------------------------------------------------------------------------

def test_every_kind_of_response_carries_the_security_headers(app: Flask, login_as,
                                                             token_for) -> None:
    officer = login_as("drafter")
    api = {"Authorization": f"Bearer {token_for('drafter')}"}
    responses = {
        "page": officer.get("/units/D1"),
        "fragment": officer.get("/units/D1", headers={"HX-Request": "true"}),
        "not found": officer.get("/units/NOWHERE"),
        "sign-in": app.test_client().get("/auth/login"),
        "api": app.test_client().get("/api/v1/me", headers=api),
        "admin": login_as("admin").get("/unit-admin/"),
        "health": app.test_client().get("/health"),
    }
    for kind, response in responses.items():
        csp = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self' 'nonce-" in csp and "'unsafe-inline'" not in csp, kind
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, kind
        assert response.headers["X-Content-Type-Options"] == "nosniff", kind
        assert response.headers["X-Frame-Options"] == "DENY", kind
        assert response.headers["Referrer-Policy"] == "same-origin", kind
        assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-ID"]), kind
    # a signed-in page is not kept by a shared office computer's cache; the sign-in page may be
    assert responses["page"].headers["Cache-Control"] == "no-store"
    assert "no-store" not in responses["sign-in"].headers.get("Cache-Control", "")
    # Flask-Admin's scripts carry this response's nonce, and no other script runs
    admin = responses["admin"]
    nonce = re.search(r"'nonce-([^']+)'", admin.headers["Content-Security-Policy"])[1]
    scripts = re.findall(r"<script([^>]*)>", admin.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in attrs for attrs in scripts)


def test_a_sane_request_id_from_the_proxy_is_kept_and_a_hostile_one_replaced(app: Flask) -> None:
    client = app.test_client()
    kept = client.get("/auth/login", headers={"X-Request-ID": "lb-7f3a9c21e0"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c21e0"
    for hostile in ("<script>alert(1)</script>", "a b c d e f g h", "x" * 500, "short"):
        replaced = client.get("/auth/login", headers={"X-Request-ID": hostile})
        assert re.fullmatch(r"[0-9a-f]{16}", replaced.headers["X-Request-ID"]), hostile


# The pages a role is refused (the permission matrix checks why); every other one is a 200.
NOT_OPENED = {
    "drafter": {"/": 302, "/units/D1/dashboard": 403, "/units/D1/audit": 403,
                "/units/D1/search?q=x": 404},
    "leader": {"/": 302, "/units/D1/audit": 403},
    "admin": {"/": 302},
}


@pytest.mark.parametrize("role", ["drafter", "leader", "admin"])
def test_pages_hold_no_inline_script_style_or_handler(app: Flask, role: str, login_as,
                                                      targets) -> None:
    """What the CSP would refuse is not in the markup: no inline <script>, style=
    attribute, on…= handler or javascript: link, on every page a role opens — and on the
    redirects and refusals of those it may not."""
    client = login_as(role)
    own = targets["own"]
    pages = ["/", "/units/D1", "/units/D1/plans", "/units/D1/reports", "/units/D1/frameworks",
             f"/plans/{own['plan_id']}", f"/plans/{own['plan_id']}/history",
             f"/reports/{own['report_id']}", f"/reports/{own['report_id']}/print",
             f"/consolidations/{own['consolidation_id']}",
             "/notifications", "/auth/password", "/units/D1/dashboard", "/units/D1/audit",
             "/units/D1/search?q=x"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == NOT_OPENED[role].get(path, 200), path
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle\s*=", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "javascript:" not in html, path


# ---- script in every text field ------------------------------------------------------------

def test_script_in_plan_texts_comes_back_as_text(app: Flask, login_as, targets,
                                                 province_reviewer: str) -> None:
    officer = login_as("drafter")
    plan_id = targets["own"]["plan_id"]
    token = csrf_token(officer, f"/plans/{plan_id}")
    page = officer.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert hx_save(officer, f"/plans/{plan_id}/sections/purpose", token, page,
                   "version-section-purpose", text=XSS).status_code == 200
    task_id = targets["own"]["task_id"]
    saved = hx_save(officer, f"/plans/{plan_id}/tasks/{task_id}", token, page,
                    f"version-task-{task_id}", content=XSS, lead=XSS, outputs=XSS,
                    funding_source=XSS)
    assert saved.status_code == 200, saved.get_data(as_text=True)[:300]
    assert "<script>alert" not in saved.get_data(as_text=True)
    reviewer = login_as(province_reviewer)       # comments are the receiving level's
    commented = reviewer.post(f"/plans/{plan_id}/comments", data={
        "csrf_token": csrf_token(reviewer, f"/plans/{plan_id}"), "body": XSS})
    assert (commented.status_code, commented.location) == (302, f"/plans/{plan_id}")
    for path in (f"/plans/{plan_id}", f"/plans/{plan_id}/print", f"/plans/{plan_id}/history"):
        html = officer.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
    assert_inert(officer.get(f"/plans/{plan_id}").get_data(as_text=True))
    # the Word export holds it as plain text, in its runs, not as markup
    export = officer.get(f"/plans/{plan_id}/export.docx")
    assert export.status_code == 200
    document = Document(io.BytesIO(export.data))
    texts = [p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any(XSS in text for text in texts)


def test_script_in_report_texts_and_file_names_comes_back_as_text(app: Flask, login_as,
                                                                  targets) -> None:
    officer = login_as("drafter")
    report_id = targets["own"]["report_id"]
    token = csrf_token(officer, f"/reports/{report_id}")
    page = officer.get(f"/reports/{report_id}").get_data(as_text=True)
    assert hx_save(officer, f"/reports/{report_id}/narrative/results", token, page,
                   "version-narrative-results", text=XSS).status_code == 200
    rtask = targets["own"]["report_task_id"]
    assert hx_save(officer, f"/reports/{report_id}/tasks/{rtask}", token, page,
                   f"version-rtask-{rtask}", status="in_progress", result=XSS
                   ).status_code == 200
    hostile_name = "<img src=x onerror=alert(1)>../../etc/passwd.pdf"
    uploaded = officer.post(f"/reports/{report_id}/evidence", content_type="multipart/form-data",
                            data={"csrf_token": token,
                                  "file": (io.BytesIO(b"%PDF-1.4 minh chung"), hostile_name)})
    assert (uploaded.status_code, uploaded.location) == (
        302, f"/reports/{report_id}#evidence"), re.findall(
        r"<li[^>]*>([^<]{5,200})</li>", uploaded.get_data(as_text=True))
    html = officer.get(f"/reports/{report_id}").get_data(as_text=True)
    assert_inert(html)
    assert "<img src=x onerror" not in html
    # the report's document: its unit's name and its head's name are text too
    from portal.accounts.service import find_user

    with system_scope("test"):
        db.session.scalar(select(Unit).where(Unit.code == "D1")).name = XSS
        find_user("u.head").full_name = XSS
        db.session.commit()
    printed = officer.get(f"/reports/{report_id}/print").get_data(as_text=True)
    assert_inert(printed)
    assert "<img src=x" not in printed and "<script>alert" not in printed.lower()
    document = Document(io.BytesIO(officer.get(f"/reports/{report_id}/document.docx").data))
    texts = [p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any(XSS in text for text in texts)             # the narrative, as written
    assert any(XSS.upper() in text for text in texts)     # the unit's name, in capitals
    with system_scope("test"):
        stored = db.session.scalars(select(ReportEvidence).where(
            ReportEvidence.report_id == report_id)).all()
    # the matrix's own file, and the hostile one under the last part of its name only
    assert sorted(e.filename for e in stored) == ["minh-chung.pdf", "passwd.pdf"]
    newest = max(stored, key=lambda e: e.id)
    assert newest.filename == "passwd.pdf"
    download = officer.get(f"/reports/{report_id}/evidence/{newest.id}", buffered=True)
    disposition = download.headers["Content-Disposition"]
    assert download.status_code == 200 and "\n" not in disposition and "<" not in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_script_in_unit_and_account_names_and_the_search_box(app: Flask, world, login_as,
                                                             targets) -> None:
    from portal.accounts.service import find_user

    with system_scope("test"):
        db.session.scalar(select(Unit).where(Unit.code == "C11")).name = XSS
        find_user(world.usernames["leader"]).full_name = XSS
        db.session.commit()
    leader = login_as("leader")
    for path in ("/units/D1", "/units/C11", "/units/D1/dashboard",
                 "/units/D1/search?q=" + XSS):
        html = leader.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
    assert_inert(leader.get("/units/C11").get_data(as_text=True))
    workbook = leader.get("/units/D1/dashboard.xlsx", buffered=True)
    assert workbook.mimetype.endswith("spreadsheetml.sheet")
    with zipfile.ZipFile(io.BytesIO(workbook.data)) as archive:   # a cell, not a formula
        sheets = "".join(archive.read(n).decode() for n in archive.namelist()
                         if n.startswith("xl/"))
    assert "<script>" not in sheets


# ---- hostile addresses -----------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "D1' OR '1'='1", "D1'; DROP TABLE unit;--", "D1%27%20OR%201=1", "1 UNION SELECT 1",
    "../P1", "..%2fP1", "%00", "D1\u0000",
])
def test_sql_looking_unit_codes_are_just_unknown_units(app: Flask, login_as, token_for,
                                                       code: str) -> None:
    from urllib.parse import unquote

    leader = login_as("leader")
    api = app.test_client()
    token = {"Authorization": f"Bearer {token_for('leader')}"}
    expected = 400 if "\x00" in unquote(code) else 404   # a NUL byte is refused at the door
    for path in (f"/units/{code}", f"/units/{code}/dashboard", f"/units/{code}/plans"):
        assert leader.get(path).status_code == expected, path
    assert api.get(f"/api/v1/units/{code}", headers=token).status_code == expected
    assert leader.get("/units/D1/search?q=" + code).status_code == (
        200 if expected == 404 else 400)
    with system_scope("test"):                     # the world's ten units, none dropped
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 10


@pytest.mark.parametrize("path", [
    "/static/../portal/config.py", "/static/..%2fportal%2fconfig.py",
    "/static/%2e%2e/%2e%2e/wsgi.py", "/static/vendor/../../../wsgi.py",
])
def test_path_traversal_reaches_no_file(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 404
    assert b"SECRET_KEY" not in response.data and b"create_app" not in response.data


def test_stored_files_cannot_be_named_out_of_their_folder(tmp_path) -> None:
    store = LocalStorage(tmp_path)
    for key in ("../../etc/passwd", "..", "a/b", "a\\b", "", "%2e%2e"):
        with pytest.raises(StorageError):
            store.open(key)
    for name in ("../../etc/passwd", "..\\..\\boot.ini", "/etc/shadow", "a\x00b.pdf",
                 "\r\nX: y.pdf"):
        cleaned = safe_filename(name)
        assert "/" not in cleaned and "\\" not in cleaned and not cleaned.startswith(".")
        assert "\x00" not in cleaned and "\n" not in cleaned and "\r" not in cleaned


def test_evidence_of_another_report_cannot_be_reached_through_mine(app: Flask, login_as,
                                                                   targets) -> None:
    officer = login_as("drafter")
    mine, theirs = targets["own"], targets["other"]
    token = csrf_token(officer, f"/reports/{mine['report_id']}")
    assert officer.get(f"/reports/{mine['report_id']}/evidence/{theirs['evidence_id']}"
                       ).status_code == 404
    assert officer.post(f"/reports/{mine['report_id']}/evidence/{theirs['evidence_id']}/delete",
                        data={"csrf_token": token}).status_code == 404
    with system_scope("test"):
        assert db.session.get(ReportEvidence, theirs["evidence_id"]) is not None


# ---- tampered htmx requests and another unit's ids in the body ----------------------------

def test_tampered_htmx_requests_are_refused_and_change_nothing(app: Flask, login_as,
                                                               targets) -> None:
    officer = login_as("drafter")
    mine, theirs = targets["own"], targets["other"]
    plan_id = mine["plan_id"]
    token = csrf_token(officer, f"/plans/{plan_id}")
    hx = {"HX-Request": "true", "HX-Target": "status-task-1", "HX-Current-URL": "http://evil/"}
    # another plan's task, through my plan's address
    assert officer.post(f"/plans/{plan_id}/tasks/{theirs['task_id']}", headers=hx,
                        data={"csrf_token": token, "version": "1", "content": "chiếm"}
                        ).status_code == 404
    # another report's value and task, through my report's address
    report_id = mine["report_id"]
    assert theirs["value_id"]                     # the other province's report has figures
    assert officer.post(f"/reports/{report_id}/values/{theirs['value_id']}", headers=hx,
                        data={"csrf_token": token, "version": "1", "value": "999"}
                        ).status_code == 404
    assert officer.post(f"/reports/{report_id}/tasks/{theirs['report_task_id']}", headers=hx,
                        data={"csrf_token": token, "version": "1", "status": "done"}
                        ).status_code == 404
    # versions and numbers that are not numbers; an unknown section; a forged status
    page = officer.get(f"/plans/{plan_id}").get_data(as_text=True)
    task_version = version_of(page, f"version-task-{mine['task_id']}")
    # a version that is not the page's (not a number, or none) is a conflict: 409; a unit id
    # that is not a number is a bad request: 400; a figure or a date out of range is that
    # field's message beside it, the other fields saved: 200 (here the others are as stored)
    with system_scope("test"):
        stored = db.session.get(PlanTask, mine["task_id"]).content
    for data, status in (({"version": "1 OR 1=1"}, 409), ({"version": "-1"}, 409),
                         ({"version": "9" * 40}, 409), ({"force_version": "abc"}, 409),
                         ({"version": task_version, "coordinating": "x"}, 400),
                         ({"version": task_version, "content": stored, "budget": "1e309"}, 200),
                         ({"version": task_version, "content": stored,
                           "start_date": "31/02/2026"}, 200)):
        response = officer.post(f"/plans/{plan_id}/tasks/{mine['task_id']}", headers=hx,
                                data={"csrf_token": token, "content": "sửa", **data})
        assert response.status_code == status, (data, response.status_code)
    assert officer.post(f"/plans/{plan_id}/sections/__class__", headers=hx,
                        data={"csrf_token": token, "version": "1", "text": "x"}
                        ).status_code == 404                    # no such section
    assert officer.post(f"/reports/{report_id}/transitions",
                        data={"csrf_token": token, "action": "accept"}).status_code == 403
    assert officer.post(f"/reports/{report_id}/transitions",
                        data={"csrf_token": token, "action": "__init__"}).status_code == 422
    with system_scope("test"):
        task = db.session.get(PlanTask, theirs["task_id"])
        assert task.content != "chiếm"
        assert db.session.get(PlanTask, mine["task_id"]).content != "sửa"
        assert db.session.get(UnitReport, theirs["report_id"]).status == "draft"


def test_another_units_ids_in_form_fields_are_refused(app: Flask, world, login_as,
                                                      targets) -> None:
    officer = login_as("drafter")
    mine, theirs = targets["own"], targets["other"]
    token = csrf_token(officer, "/units/D1/plans")
    with system_scope("test"):
        plans_before = db.session.scalar(select(func.count()).select_from(UnitPlan))
    # start a plan on another province's framework: back to the plans, "choose the plan"
    started = officer.post("/units/D1/plans", data={
        "csrf_token": token, "framework_id": str(theirs["framework_id"])})
    assert (started.status_code, started.location) == (303, "/units/D1/plans")
    # open a report on, and consolidate, another province's period
    opened = officer.post("/units/D1/reports", data={"csrf_token": token,
                                                     "period_id": str(theirs["period_id"])})
    assert (opened.status_code, opened.location) == (303, "/units/D1/reports")
    consolidator = login_as("consolidator")
    refused = consolidator.post("/units/D1/consolidations",
                                data={"csrf_token": csrf_token(consolidator, "/units/D1"),
                                      "period_id": str(theirs["period_id"])})
    assert refused.status_code == 422
    # name a unit of another province as a coordinating unit of my task
    page = officer.get(f"/plans/{mine['plan_id']}").get_data(as_text=True)
    response = officer.post(
        f"/plans/{mine['plan_id']}/tasks/{mine['task_id']}", headers={"HX-Request": "true"},
        data={"csrf_token": token, "content": "Nhiệm vụ", "coordinating": str(world.unit_ids["QC"]),
              "version": version_of(page, f"version-task-{mine['task_id']}")})
    assert response.status_code == 200 and "cùng tỉnh" in response.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.scalar(select(func.count()).select_from(UnitPlan)) == plans_before
        assert world.unit_ids["QC"] not in [
            c.coordinating_unit_id for c in db.session.get(PlanTask, mine["task_id"]).coordinating]
        assert db.session.scalar(select(func.count()).select_from(UnitReport).where(
            UnitReport.period_id == theirs["period_id"],
            UnitReport.unit_id == world.unit_ids["D1"])) == 0


def test_the_api_takes_no_other_units_ids(app: Flask, token_for, targets) -> None:
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token_for('drafter')}"}
    theirs = targets["other"]
    assert client.get(f"/api/v1/plans/{theirs['plan_id']}", headers=auth).status_code == 404
    assert client.get(f"/api/v1/consolidations/{theirs['consolidation_id']}",
                      headers=auth).status_code == 404
    assert client.put(f"/api/v1/units/{theirs['code']}/reports/2026", headers=auth,
                      json={"narrative": {"results": "x"}}).status_code == 404
    # a body for my own report that is the wrong shape is a 400 saying what to send; a task
    # that is not the report's is a 422 naming it; never a 500
    shape = {"code": "bad_request", "message": "send a JSON object"}
    for body, status, error in (
            ([], 400, shape), ("x", 400, shape),
            ({"values": "x"}, 400, {"code": "bad_request",
                                    "message": "values: send an object keyed by code or id"}),
            ({"values": [{"indicator": None}]}, 400, {
                "code": "bad_request", "message": "values: send an object keyed by code or id"}),
            ({"tasks": {"a": 1}}, 422, {"code": "invalid", "message": "not a task of this report",
                                        "fields": {"tasks.a": "not a task of this report"}}),
            ({"narrative": []}, 400, {
                "code": "bad_request", "message": "narrative: send an object keyed by code or id"}),
            ({"tasks": "x"}, 400, {"code": "bad_request",
                                   "message": "tasks: send an object keyed by code or id"})):
        response = client.put("/api/v1/units/D1/reports/2026", headers=auth, json=body)
        assert (response.status_code, response.get_json()) == (status, {"error": error}), body
    response = client.put("/api/v1/units/D1/reports/2026", headers=auth, data="{not json",
                          content_type="application/json")
    assert (response.status_code, response.get_json()) == (400, {"error": shape})


def test_the_request_id_reaches_the_audit_log(app: Flask, login_as, targets) -> None:
    """A change in the audit log leads back to its request's log lines."""
    from portal.audit.entry import AuditEntry

    officer = login_as("drafter")
    plan_id = targets["own"]["plan_id"]
    page = officer.get(f"/plans/{plan_id}").get_data(as_text=True)
    saved = hx_save(officer, f"/plans/{plan_id}/sections/purpose",
                    csrf_token(officer, f"/plans/{plan_id}"), page, "version-section-purpose",
                    headers={"X-Request-ID": "probe-0123456789"}, text="Mục đích mới")
    assert saved.status_code == 200 and saved.headers["X-Request-ID"] == "probe-0123456789"
    with system_scope("test"):
        latest = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert latest.request_id == "probe-0123456789"


# ---- accounts beyond the administrator's reach (penetration test, issue 14) ------------

@pytest.fixture
def dual(world):
    """x.dual: drafter of commune C11 (inside district D1) and administrator of the other
    province Q1; x.inside: drafter of C11 and C12 (both inside D1). Each has an API token."""
    from portal.accounts.service import create_user, grant, issue_token

    with system_scope("test"):
        units = {u.code: u for u in db.session.scalars(select(Unit))}
        ids, tokens = {}, {}
        for username, roles in (("x.dual", (("C11", "drafter"), ("Q1", "admin"))),
                                ("x.inside", (("C11", "drafter"), ("C12", "drafter")))):
            user = create_user(username, "Mat-khau-2025", full_name=f"Người {username}",
                               email=f"{username}@example.org")
            for code, role in roles:
                grant(user, units[code], role)
            ids[username] = user.id
            tokens[username] = issue_token(user)
        unit_ids = {code: unit.id for code, unit in units.items()}
        db.session.commit()
    return {"ids": ids, "tokens": tokens, "units": unit_ids}


def _account(username: str):
    from portal.accounts.service import find_user

    with system_scope("test"):
        user = find_user(username)
        return {"hash": user.password_hash, "active": user.active, "email": user.email,
                "full_name": user.full_name, "must_change": user.must_change_password,
                "version": user.session_version}


def test_a_district_admin_cannot_take_over_an_account_holding_roles_beyond_it(
        app: Flask, login_as, dual) -> None:
    """Finding 1: an account-wide change needs reach over every unit the account is in."""
    admin = login_as("admin")                      # administrator of district D1
    token = csrf_token(admin, "/auth/password")
    before = _account("x.dual")
    dual_id = dual["ids"]["x.dual"]
    # the list shows the account, marks it, and offers neither its edit form nor its checkbox
    listing = admin.get("/unit-admin/user_account/").get_data(as_text=True)
    assert "x.dual" in listing and "các đơn vị bạn không quản trị" in listing
    assert f"edit/?id={dual_id}&" not in listing and f'value="{dual_id}"' not in listing
    assert f'value="{dual["ids"]["x.inside"]}"' in listing
    details = admin.get(f"/unit-admin/user_account/details/?id={dual_id}")
    assert details.status_code == 200 and "edit/?id=" not in details.get_data(as_text=True)
    inside = admin.get(f"/unit-admin/user_account/details/?id={dual['ids']['x.inside']}")
    assert "edit/?id=" in inside.get_data(as_text=True)
    # every bulk action is refused with the reason, for all the selected accounts
    for name in ("reset_password", "deactivate", "unlock", "reactivate"):
        response = admin.post("/unit-admin/user_account/action/", follow_redirects=True, data={
            "action": name, "csrf_token": token,
            "rowid": [str(dual_id), str(dual["ids"]["x.inside"])]})
        page = response.get_data(as_text=True)
        start = page.index("x.dual còn giữ vai trò tại 1 đơn vị bạn không quản trị")
        refusal = page[start:page.index("<", start)]
        assert "Q1" not in refusal, name                # the other units are not named
        # no temporary password was handed out (form tokens and nonces left aside: random)
        assert "Tm-" not in re.sub(r'(value|nonce|content)="[^"]*"', "", page), name
        assert _account("x.dual") == before, name
    assert _account("x.inside")["active"] is True     # all or nothing
    # the edit form, read or forged, is refused
    assert admin.get(f"/unit-admin/user_account/edit/?id={dual_id}").status_code == 403
    response = admin.post(f"/unit-admin/user_account/edit/?id={dual_id}", data={
        "full_name": "Chiếm", "email": "attacker@example.org", "csrf_token": token})
    assert response.status_code == 403
    assert _account("x.dual") == before
    # no inline edit either (the account view has no editable column)
    response = admin.post("/unit-admin/user_account/ajax/update/", data={
        "list_form_pk": str(dual_id), "email": "attacker@example.org", "csrf_token": token})
    assert response.status_code == 404
    assert _account("x.dual") == before
    # the API token still works and nobody signed in with a new password
    api = app.test_client().get("/api/v1/me", headers={
        "Authorization": f"Bearer {dual['tokens']['x.dual']}"})
    assert api.status_code == 200
    # what stays the district's: the account's role in its commune, one by one or in bulk
    from tenants.membership import Membership

    with system_scope("test"):
        inside = db.session.scalar(select(Membership.id).where(
            Membership.user_id == dual_id, Membership.unit_id == dual["units"]["C11"]))
        outside = db.session.scalar(select(Membership.id).where(
            Membership.user_id == dual_id, Membership.unit_id == dual["units"]["Q1"]))
    response = admin.post("/unit-admin/membership/action/", data={
        "action": "delete", "csrf_token": token, "rowid": [str(inside), str(outside)]})
    assert response.status_code == 302
    with system_scope("test"):
        left = set(db.session.scalars(select(Membership.id).where(
            Membership.user_id == dual_id)))
    assert left == {outside}


def test_an_account_inside_the_reach_is_changed_and_logged_in_each_of_its_units(
        app: Flask, login_as, dual) -> None:
    """Finding 1 (audit) and 7: a reset by an administrator reaches the log of every unit
    the account is in, and the account's API tokens stop working."""
    from portal.audit.entry import AuditEntry

    admin = login_as("admin")
    token = csrf_token(admin, "/auth/password")
    inside_id = dual["ids"]["x.inside"]
    response = admin.post("/unit-admin/user_account/action/", follow_redirects=True, data={
        "action": "reset_password", "csrf_token": token, "rowid": [str(inside_id)]})
    assert "Tm-" in response.get_data(as_text=True)
    assert _account("x.inside")["must_change"] is True
    api = app.test_client().get("/api/v1/me", headers={
        "Authorization": f"Bearer {dual['tokens']['x.inside']}"})
    assert api.status_code == 401
    response = admin.post(f"/unit-admin/user_account/edit/?id={inside_id}", data={
        "full_name": "Tên Mới", "email": "moi@example.org", "csrf_token": token})
    assert response.status_code == 302
    assert _account("x.inside")["email"] == "moi@example.org"
    with system_scope("test"):
        logged = db.session.execute(select(AuditEntry.unit_id, AuditEntry.after).where(
            AuditEntry.object_type == "user_account", AuditEntry.object_id == inside_id,
            AuditEntry.action == "update")).all()
    resets = sorted(u for u, after in logged if "password_hash" in (after or {}))
    edits = sorted(u for u, after in logged if (after or {}).get("email") == "moi@example.org")
    assert resets == edits == sorted([dual["units"]["C11"], dual["units"]["C12"]])
    with system_scope("test"):
        from portal.accounts.api_token import ApiToken

        revoked = sorted(db.session.scalars(select(AuditEntry.unit_id).where(
            AuditEntry.object_type == "api_token", AuditEntry.action == "update",
            AuditEntry.object_id.in_(select(ApiToken.id).where(
                ApiToken.user_id == inside_id)))))
    assert revoked == sorted([dual["units"]["C11"], dual["units"]["C12"]])
    # the account's history shows each change once
    history = admin.get(f"/audit/user_account/{inside_id}").get_data(as_text=True)
    assert history.count("moi@example.org") == 1


def test_an_operators_reset_of_a_two_province_account_is_in_both_provinces_logs(
        app: Flask, login_as, dual) -> None:
    """Finding 1: the province the district could not see shows the change too."""
    from portal.audit.entry import AuditEntry

    operator = login_as("platform")
    response = operator.post("/admin/user_account/action/", data={
        "action": "reset_password", "csrf_token": csrf_token(operator, "/auth/password"),
        "rowid": [str(dual["ids"]["x.dual"])]})
    assert response.status_code == 302
    with system_scope("test"):
        units = sorted(db.session.scalars(select(AuditEntry.unit_id).where(
            AuditEntry.object_type == "user_account",
            AuditEntry.object_id == dual["ids"]["x.dual"], AuditEntry.action == "update")))
    assert units == sorted([dual["units"]["C11"], dual["units"]["Q1"]])
    api = app.test_client().get("/api/v1/me", headers={
        "Authorization": f"Bearer {dual['tokens']['x.dual']}"})
    assert api.status_code == 401


def test_signing_out_ends_the_session_and_the_remember_me_cookie(app: Flask, world) -> None:
    """Finding 3: after POST /auth/logout neither the old session cookie nor the
    remember-me cookie opens a page, in any browser."""
    from tests.conftest import PASSWORD

    client = app.test_client()
    response = client.post("/auth/login", data={
        "username": "u.drafter", "password": PASSWORD, "remember": "y",
        "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value
    assert client.get("/units/D1").status_code == 200
    copied, remembered = app.test_client(), app.test_client()
    copied.set_cookie("session", session_cookie)
    remembered.set_cookie("remember_token", remember_cookie)
    assert remembered.get("/units/D1").status_code == 200       # the cookie alone works
    assert client.post("/auth/logout", data={
        "csrf_token": csrf_token(client, "/units/D1")}).status_code == 302
    for kind, other in (("session", copied), ("remember-me", remembered)):
        response = other.get("/units/D1")
        assert response.status_code == 302, kind
        assert "/auth/login" in response.headers["Location"], kind
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember_cookie)
    assert fresh.get("/units/D1").status_code == 302
    # signing in again works, and a password change still ends the other sessions
    assert login(app.test_client(), "u.drafter").status_code == 302


def test_refused_tokens_do_not_cut_valid_tokens_off_behind_one_address(
        app: Flask, token_for, monkeypatch) -> None:
    """Finding 9: a bad script behind an office's NAT stops only the guesses."""
    monkeypatch.setitem(app.config, "API_AUTH_FAILURE_LIMIT", "3 per minute")
    office = {"REMOTE_ADDR": "10.8.8.8"}
    client = app.test_client()
    guesses = [client.get("/api/v1/me", environ_base=office,
                          headers={"Authorization": f"Bearer tcd_guess{n}"}).status_code
               for n in range(4)]
    assert guesses == [401, 401, 401, 429]
    good = {"Authorization": f"Bearer {token_for('drafter')}"}
    assert [client.get("/api/v1/me", environ_base=office, headers=good).status_code
            for _ in range(3)] == [200, 200, 200]
    # and the guesses from there are still stopped
    assert client.get("/api/v1/me", environ_base=office,
                      headers={"Authorization": "Bearer tcd_guess9"}).status_code == 429
    assert client.get("/api/v1/me", environ_base=office).status_code == 429


def test_wrong_passwords_from_strangers_do_not_lock_the_owner_out(app: Flask, world) -> None:
    """Finding 9: ten wrong passwords from anywhere used to lock the account for everyone.
    The lock now holds only browsers the account never signed in from."""
    from tests.conftest import PASSWORD

    owner = app.test_client()                 # the owner's own computer, used before
    assert login(owner, "u.drafter").status_code == 302
    assert owner.post("/auth/logout", data={
        "csrf_token": csrf_token(owner, "/units/D1")}).status_code == 302
    stranger = app.test_client()
    for n in range(app.config["LOCKOUT_ATTEMPTS"]):
        assert login(stranger, "u.drafter", f"Sai-mat-khau-{n}").status_code == 422
    assert login(stranger, "u.drafter").status_code == 422          # held, with the password
    assert login(app.test_client(), "u.drafter").status_code == 422  # every new browser too
    response = owner.post("/auth/login", data={
        "username": "u.drafter", "password": PASSWORD, "csrf_token": csrf_token(owner)})
    assert response.status_code == 302                              # the owner is not
    # the owner's sign-in does not release the strangers
    assert login(app.test_client(), "u.drafter").status_code == 422
    # a forged device cookie is worth nothing
    forged = app.test_client()
    forged.set_cookie("known_device", "WzFd.forged.signature", path="/auth/")
    assert login(forged, "u.drafter").status_code == 422


def test_audit_filters_at_the_ends_of_the_calendar_are_a_clear_refusal(login_as, world) -> None:
    """Finding 8: since=01/01/0001&until=31/12/9999 was an OverflowError (500)."""
    admin = login_as("admin")
    for path in ("/units/D1/audit", "/units/D1/audit.csv"):
        response = admin.get(f"{path}?since=01/01/0001&until=31/12/9999")
        assert response.status_code == 422, path
        html = response.get_data(as_text=True)
        assert html.count('<div class="invalid-feedback"') == 2, path  # with its id
        assert "01/01/1900" in html and "31/12/9998" in html, path
    backwards = admin.get("/units/D1/audit?since=02/01/2026&until=01/01/2026")
    assert backwards.status_code == 422
    fine = admin.get("/units/D1/audit?since=01/01/1900&until=31/12/9998")
    assert fine.status_code == 200


def test_an_operators_password_reset_from_the_command_line_revokes_the_tokens(
        app: Flask, token_for) -> None:
    """Finding 7, the other administrator's reset: ``flask users set-password``."""
    token = token_for("drafter")
    api = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=api).status_code == 200
    result = app.test_cli_runner().invoke(args=[
        "users", "set-password", "u.drafter", "--password", "Mat-khau-moi-2026"])
    assert result.exit_code == 0, result.output
    assert app.test_client().get("/api/v1/me", headers=api).status_code == 401
