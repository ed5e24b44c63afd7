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
from tests.conftest import csrf_token
from tests.test_permission_matrix import targets  # noqa: F401 - the matrix's objects

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>"\'</textarea>'
ESCAPED = "&lt;script&gt;alert("


def version_of(html: str, element_id: str) -> str:
    return re.search(rf'id="{re.escape(element_id)}" value="(\d+)"', html)[1]


def hx_save(client, url: str, token: str, page: str, version_id: str,  # type: ignore[no-untyped-def]
            headers: dict | None = None, **fields: str):
    """An autosave as htmx sends it, with the version the page showed."""
    return client.post(url, headers={"HX-Request": "true", **(headers or {})},
                       data={"csrf_token": token, "version": version_of(page, version_id),
                             **fields})


def assert_inert(html: str) -> None:
    """The payload is shown as text: escaped, never as a tag or an attribute."""
    assert "<script>alert" not in html and "<img src=x" not in html
    assert ESCAPED in html


# ---- headers ------------------------------------------------------------------------

def test_every_kind_of_response_carries_the_security_headers(app: Flask, login_as,  # type: ignore[no-untyped-def]
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


@pytest.mark.parametrize("role", ["drafter", "leader", "admin"])
def test_pages_hold_no_inline_script_style_or_handler(app: Flask, role: str, login_as,  # type: ignore[no-untyped-def]
                                                      targets) -> None:  # noqa: F811
    """What the CSP would refuse is not in the markup: no inline <script>, style=
    attribute, on…= handler or javascript: link, on every page a role opens."""
    client = login_as(role)
    own = targets["own"]
    pages = ["/", "/units/D1", "/units/D1/plans", "/units/D1/reports", "/units/D1/frameworks",
             f"/plans/{own['plan_id']}", f"/plans/{own['plan_id']}/history",
             f"/reports/{own['report_id']}", f"/consolidations/{own['consolidation_id']}",
             "/notifications", "/auth/password", "/units/D1/dashboard", "/units/D1/audit",
             "/units/D1/search?q=x"]
    seen = 0
    for path in pages:
        response = client.get(path)
        if response.status_code != 200:
            continue           # not this role's page (the permission matrix checks which)
        seen += 1
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle\s*=", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "javascript:" not in html, path
    assert seen >= 6


# ---- script in every text field ------------------------------------------------------------

def test_script_in_plan_texts_comes_back_as_text(app: Flask, login_as, targets,  # type: ignore[no-untyped-def] # noqa: F811
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
    assert reviewer.post(f"/plans/{plan_id}/comments", data={
        "csrf_token": csrf_token(reviewer, f"/plans/{plan_id}"), "body": XSS}
    ).status_code == 302
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


def test_script_in_report_texts_and_file_names_comes_back_as_text(app: Flask, login_as,  # type: ignore[no-untyped-def]
                                                                  targets) -> None:  # noqa: F811
    officer = login_as("drafter")
    report_id = targets["own"]["report_id"]
    token = csrf_token(officer, f"/reports/{report_id}")
    page = officer.get(f"/reports/{report_id}").get_data(as_text=True)
    assert hx_save(officer, f"/reports/{report_id}/narrative/results", token, page,
                   "version-narrative-results", text=XSS).status_code == 200
    rtask = targets["own"]["report_task_id"]
    hx_save(officer, f"/reports/{report_id}/tasks/{rtask}", token, page,
            f"version-rtask-{rtask}", status="in_progress", result=XSS)
    hostile_name = "<img src=x onerror=alert(1)>../../etc/passwd.pdf"
    uploaded = officer.post(f"/reports/{report_id}/evidence", content_type="multipart/form-data",
                            data={"csrf_token": token,
                                  "file": (io.BytesIO(b"%PDF-1.4 minh chung"), hostile_name)})
    assert uploaded.status_code in (200, 302, 303), re.findall(
        r"<li[^>]*>([^<]{5,200})</li>", uploaded.get_data(as_text=True))
    html = officer.get(f"/reports/{report_id}").get_data(as_text=True)
    assert_inert(html)
    assert "<img src=x onerror" not in html
    with system_scope("test"):
        stored = db.session.scalars(select(ReportEvidence).where(
            ReportEvidence.report_id == report_id)).all()
    names = [e.filename for e in stored]
    assert all("/" not in name and "\\" not in name and ".." not in name for name in names)
    newest = max(stored, key=lambda e: e.id)
    download = officer.get(f"/reports/{report_id}/evidence/{newest.id}", buffered=True)
    disposition = download.headers["Content-Disposition"]
    assert download.status_code == 200 and "\n" not in disposition and "<" not in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_script_in_unit_and_account_names_and_the_search_box(app: Flask, world, login_as,  # type: ignore[no-untyped-def]
                                                             targets) -> None:  # noqa: F811
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
def test_sql_looking_unit_codes_are_just_unknown_units(app: Flask, login_as, token_for,  # type: ignore[no-untyped-def]
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
    with system_scope("test"):
        assert db.session.scalar(select(func.count()).select_from(Unit)) >= 10


@pytest.mark.parametrize("path", [
    "/static/../portal/config.py", "/static/..%2fportal%2fconfig.py",
    "/static/%2e%2e/%2e%2e/wsgi.py", "/static/vendor/../../../wsgi.py",
])
def test_path_traversal_reaches_no_file(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 404
    assert b"SECRET_KEY" not in response.data and b"create_app" not in response.data


def test_stored_files_cannot_be_named_out_of_their_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = LocalStorage(tmp_path)
    for key in ("../../etc/passwd", "..", "a/b", "a\\b", "", "%2e%2e"):
        with pytest.raises(StorageError):
            store.open(key)
    for name in ("../../etc/passwd", "..\\..\\boot.ini", "/etc/shadow", "a\x00b.pdf",
                 "\r\nX: y.pdf"):
        cleaned = safe_filename(name)
        assert "/" not in cleaned and "\\" not in cleaned and not cleaned.startswith(".")
        assert "\x00" not in cleaned and "\n" not in cleaned and "\r" not in cleaned


def test_evidence_of_another_report_cannot_be_reached_through_mine(app: Flask, login_as,  # type: ignore[no-untyped-def]
                                                                   targets) -> None:  # noqa: F811
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

def test_tampered_htmx_requests_are_refused_and_change_nothing(app: Flask, login_as,  # type: ignore[no-untyped-def]
                                                               targets) -> None:  # noqa: F811
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
    if theirs["value_id"]:
        assert officer.post(f"/reports/{report_id}/values/{theirs['value_id']}", headers=hx,
                            data={"csrf_token": token, "version": "1", "value": "999"}
                            ).status_code == 404
    assert officer.post(f"/reports/{report_id}/tasks/{theirs['report_task_id']}", headers=hx,
                        data={"csrf_token": token, "version": "1", "status": "done"}
                        ).status_code == 404
    # versions and numbers that are not numbers; an unknown section; a forged status
    page = officer.get(f"/plans/{plan_id}").get_data(as_text=True)
    task_version = version_of(page, f"version-task-{mine['task_id']}")
    for data in ({"version": "1 OR 1=1"}, {"version": "-1"}, {"version": "9" * 40},
                 {"force_version": "abc"}, {"version": task_version, "coordinating": "x"},
                 {"version": task_version, "budget": "1e309"},
                 {"version": task_version, "start_date": "31/02/2026"}):
        response = officer.post(f"/plans/{plan_id}/tasks/{mine['task_id']}", headers=hx,
                                data={"csrf_token": token, "content": "sửa", **data})
        assert response.status_code in (400, 409, 422), (data, response.status_code)
    assert officer.post(f"/plans/{plan_id}/sections/__class__", headers=hx,
                        data={"csrf_token": token, "version": "1", "text": "x"}
                        ).status_code in (404, 422)
    assert officer.post(f"/reports/{report_id}/transitions",
                        data={"csrf_token": token, "action": "accept"}).status_code == 403
    assert officer.post(f"/reports/{report_id}/transitions",
                        data={"csrf_token": token, "action": "__init__"}).status_code == 422
    with system_scope("test"):
        task = db.session.get(PlanTask, theirs["task_id"])
        assert task.content != "chiếm"
        assert db.session.get(PlanTask, mine["task_id"]).content != "sửa"
        assert db.session.get(UnitReport, theirs["report_id"]).status == "draft"


def test_another_units_ids_in_form_fields_are_refused(app: Flask, world, login_as,  # type: ignore[no-untyped-def]
                                                      targets) -> None:  # noqa: F811
    officer = login_as("drafter")
    mine, theirs = targets["own"], targets["other"]
    token = csrf_token(officer, "/units/D1/plans")
    with system_scope("test"):
        plans_before = db.session.scalar(select(func.count()).select_from(UnitPlan))
    # start a plan on another province's framework
    officer.post("/units/D1/plans", data={"csrf_token": token,
                                          "framework_id": str(theirs["framework_id"])})
    # open a report on, and consolidate, another province's period
    officer.post("/units/D1/reports", data={"csrf_token": token,
                                            "period_id": str(theirs["period_id"])})
    consolidator = login_as("consolidator")
    refused = consolidator.post("/units/D1/consolidations",
                                data={"csrf_token": csrf_token(consolidator, "/units/D1"),
                                      "period_id": str(theirs["period_id"])})
    assert refused.status_code in (403, 404, 422)
    # name a unit of another province as a coordinating unit of my task
    page = officer.get(f"/plans/{mine['plan_id']}").get_data(as_text=True)
    response = officer.post(
        f"/plans/{mine['plan_id']}/tasks/{mine['task_id']}", headers={"HX-Request": "true"},
        data={"csrf_token": token, "content": "Nhiệm vụ", "coordinating": str(world.unit_ids["QC"]),
              "version": version_of(page, f"version-task-{mine['task_id']}")})
    assert response.status_code in (404, 422)
    with system_scope("test"):
        assert db.session.scalar(select(func.count()).select_from(UnitPlan)) == plans_before
        assert world.unit_ids["QC"] not in [
            c.coordinating_unit_id for c in db.session.get(PlanTask, mine["task_id"]).coordinating]
        assert db.session.scalar(select(func.count()).select_from(UnitReport).where(
            UnitReport.period_id == theirs["period_id"],
            UnitReport.unit_id == world.unit_ids["D1"])) == 0


def test_the_api_takes_no_other_units_ids(app: Flask, token_for, targets) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token_for('drafter')}"}
    theirs = targets["other"]
    assert client.get(f"/api/v1/plans/{theirs['plan_id']}", headers=auth).status_code == 404
    assert client.get(f"/api/v1/consolidations/{theirs['consolidation_id']}",
                      headers=auth).status_code == 404
    assert client.put(f"/api/v1/units/{theirs['code']}/reports/2026", headers=auth,
                      json={"narrative": {"results": "x"}}).status_code == 404
    # a body for my own report that is the wrong shape is a 4xx with an error, not a 500
    for body in ([], "x", {"values": "x"}, {"values": [{"indicator": None}]},
                 {"tasks": {"a": 1}}, {"narrative": []}, {"tasks": "x"}):
        response = client.put("/api/v1/units/D1/reports/2026", headers=auth, json=body)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert "error" in response.get_json()
    response = client.put("/api/v1/units/D1/reports/2026", headers=auth, data="{not json",
                          content_type="application/json")
    assert 400 <= response.status_code < 500


def test_the_request_id_reaches_the_audit_log(app: Flask, login_as, targets) -> None:  # type: ignore[no-untyped-def] # noqa: F811
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
