"""Every route × every role × own / parent / child / sibling / other-province target.

Routes come from ``app.url_map``: a route added later without an entry here fails
``test_every_route_is_declared``, so the matrix grows with the app. Expectations
are written out here, independently of the app's own access code.

Every role account holds its role in district D1 of province P1; the targets are
units (D1, its province P1, its commune C11, its sibling D2, QD of province Q1) and
the frameworks those units own.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.accounts.user import User
from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from tenants.membership import Membership
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import TARGET_FRAMEWORK_OWNERS, TARGET_UNITS, make_framework
from tests.conftest import csrf_token

# The world and the matrix's objects are built once for the module; each test runs in a
# savepoint rolled back after it (tests/conftest.py, shared_world).
pytestmark = pytest.mark.shared_world

# What each GET route requires.
#   read       the unit is in the caller's reach (own unit, or below a subtree role)
#   subtree    the caller reads the unit's whole subtree (leaders, reviewers, …)
#   fw-read    the framework's owner is the caller's unit, above it, or in its subtree
#   fw-manage  fw-read, and the caller maintains the owner's frameworks (else 403)
#   dashboard  read, and the caller reads the unit's whole subtree (else 403)
#   audit      read, and the caller administers the unit or a unit above it (else 403)
#   reviewing  read, and the caller is a reviewer or consolidator of the unit or above it
#   page       any signed-in user; anonymous callers are sent to sign in
#   api        any valid token; anonymous callers get 401
#   public     anyone
EXPECTED: dict[str, str] = {
    "units.home": "page",
    "units.show": "read",
    "units.search": "subtree",
    "auth.login": "public",
    "auth.password": "page",
    "frameworks.index": "read",
    "frameworks.show": "fw-read",
    "frameworks.draft": "fw-manage",
    "frameworks.indicator": "fw-manage",
    "frameworks.periods": "fw-read",
    "frameworks.obligations": "fw-read",          # who reports to whom, by which dates
    "frameworks.ingest": "unit-owner",            # a scan being read by OCR, by its unit
    "frameworks.ingest_progress": "unit-owner",
    "frameworks.review_pages": "fw-manage",      # the draft beside its page images
    "frameworks.page_image": "fw-manage",
    "frameworks.mapping": "fw-manage",           # the plan above and the indicator mapping
    "plans.index": "read",
    "reports.index": "read",
    "reports.show": "plan-read",
    "reports.report_word": "plan-read",
    "reports.report_print": "plan-read",
    "evidence.download": "plan-read",
    "plans.show": "plan-read",
    "plans.history": "plan-read",
    "plans.plan_docx": "plan-read",
    "plans.plan_print": "plan-read",
    "plans.framework_coverage": "fw-manage",
    "plans.framework_coverage_xlsx": "fw-manage",
    "api.me": "api",
    "api.unit": "read",
    "api.units": "read",
    "api.frameworks": "api",
    "api.framework": "fw-read",
    "api.unit_plans": "read",
    "api.plan": "plan-read",
    "api.plan_docx": "plan-read",
    "api.get_report": "read",
    "api.aggregates": "read",
    "api.unit_progress": "dashboard",
    "api.get_consolidation": "read",
    "consolidations.show": "read",
    "consolidations.progress": "read",
    "consolidations.docx": "read",
    "consolidations.xlsx": "read",
    "consolidations.file_status": "read",      # the state of a file being prepared
    "consolidations.units": "read",            # a page of the per-unit table (htmx)
    "consolidations.passages": "read",         # a page of what the units wrote (htmx)
    "api.openapi": "public",
    "static": "public",
    "notifications.index": "page",
    "notifications.settings": "page",
    "health.health": "public",
    "audit.unit_log": "audit",
    "audit.unit_log_csv": "audit",
    "audit.object_log": "plan-read",
    "dashboard.show": "dashboard",
    "dashboard.print_view": "dashboard",
    "dashboard.workbook": "dashboard",
    "dashboard.sources": "dashboard",
    # the ministry's dashboard: a unit of kind nation only (none among the targets: 404
    # for everyone, operators included; tests/test_national.py tries the ministry's own)
    "dashboard.national": "nation",
    "review.worklist": "page",          # 403 for those who review no unit (test_plain_routes)
    "review.missing": "reviewing",
    "outliers.rules": "fw-manage",
    "outliers.panel": "plan-read",
    "outliers.follow_ups": "reviewing",
    "validation.rules": "fw-read",
    "validation.runs": "reviewing",
    "validation.show": "reviewing",      # the run of the target unit's subtree
    "validation.export": "reviewing",
    "validation.status": "reviewing",    # polled while the run is a job
    # the register of outgoing documents: whoever sees the unit reads it (issue 20)
    "register.index": "read",
    "register.workbook": "read",
    "register.metadata_json": "read",
    "register.metadata_xml_file": "read",
    "register.scan": "read",
    # documents of record (docs/signing.md): whoever may see the document
    "signing.show": "read",
    "signing.record_pdf": "read",
    "signing.signed_pdf": "read",
    "signing.unit_signing": "read",
}
# POST routes: what they require, a harmless invalid payload, and what a caller who
# may act gets for it (the payload is refused, nothing changes).
POSTS: dict[str, tuple[str, dict[str, str], int]] = {
    "auth.logout": ("form", {}, 0),
    "auth.set_language": ("form", {}, 0),
    "auth.login": ("form", {}, 0),
    "auth.password": ("form", {}, 0),
    "notifications.mark_read": ("form", {}, 0),           # the caller's own notices only
    "notifications.settings": ("form", {}, 0),             # the caller's own choice only
    "frameworks.upload": ("unit-owner", {}, 422),
    "frameworks.start_draft": ("fw-manage", {"from_version": "999"}, 303),
    "frameworks.save_meta": ("fw-manage", {"title": ""}, 422),
    "frameworks.save_node": ("fw-manage", {"kind": "bogus"}, 422),
    "frameworks.add_draft_indicator": ("fw-manage", {"name": ""}, 422),
    "frameworks.indicator": ("fw-manage", {}, 422),
    "frameworks.save_responsibility": ("fw-manage", {"units": "OUTSIDE"}, 422),
    "frameworks.publish_draft": ("fw-manage", {}, 422),
    "frameworks.periods": ("fw-manage", {}, 422),
    "frameworks.save_period_view": ("fw-manage", {}, 422),
    "frameworks.obligations": ("fw-manage", {}, 422),        # no name, no receiver
    "frameworks.save_health": ("fw-manage", {}, 422),                 # no thresholds given
    "frameworks.mapping": ("fw-manage", {}, 422),                     # nothing to save
    "frameworks.save_parent": ("fw-manage", {"parent_id": "999999"}, 422),  # not above it
    "plans.start": ("unit-writer", {}, 303),
    "plans.save_section_view": ("plan-writer", {"text": "x"}, 409),   # no version: stale
    "plans.add_task_view": ("plan-writer", {}, 422),                  # not confirmed
    "plans.save_task_view": ("plan-writer", {"content": "x"}, 409),
    "plans.delete_task_view": ("plan-writer", {}, 303),               # a framework task stays
    "plans.save_target_view": ("plan-writer", {"value": "abc"}, 422),
    "plans.submit_view": ("plan-writer", {}, 422),                    # not confirmed
    "plans.amend_view": ("plan-writer", {}, 422),
    "plans.resolve_view": ("plan-writer", {}, 302),                   # idempotent
    "plans.return_view": ("plan-head", {}, 422),                      # a draft, not submitted
    "plans.issue_view": ("plan-head", {}, 422),
    "plans.comment_view": ("plan-reviewer", {}, 422),                 # no text
    "reports.open_view": ("unit-writer", {}, 303),                    # no period chosen
    "reports.save_value_view": ("plan-writer", {"value": "x"}, 409),  # no version: stale
    "reports.save_task_view": ("plan-writer", {"status": "x"}, 409),
    "reports.save_narrative_view": ("plan-writer", {"text": "x"}, 409),
    "reports.transition": ("plan-read", {"action": "bogus"}, 422),    # refused for anyone
    "evidence.upload": ("plan-writer", {}, 422),              # no file
    "evidence.delete": ("plan-writer", {}, 302),
    "api.report_transition": ("read", {}, 400),                       # no action given
    "consolidations.start": ("consolidator", {}, 422),                 # no period chosen
    # prepare the Excel file: whoever reads the consolidation (the ready one is kept)
    "consolidations.prepare_file": ("read", {}, 303),
    "api.start_consolidation": ("consolidator", {}, 400),             # no year given
    # the consolidated narrative: consolidators of the unit or above only, not leaders
    "consolidations.save_narrative_view": ("narrative-editor", {"text": "x"}, 409),  # stale
    "review.remind": ("reviewing", {}, 422),                          # no period chosen
    "outliers.save_rules": ("fw-manage", {}, 422),                    # no indicator chosen
    # the value's thread: the unit's writers and the level reviewing it, no one else
    "outliers.comment": ("value-party", {}, 422),                     # no text
    "outliers.follow_up": ("plan-reviewer", {}, 422),                 # neither set nor clear
    "validation.create": ("fw-manage", {}, 422),                      # no name, no sides
    "validation.update": ("fw-manage", {}, 422),
    "validation.delete": ("fw-manage", {}, 422),                      # not confirmed
    "validation.explain": ("plan-writer", {}, 303),                   # empty: nothing kept
    "validation.start": ("reviewing", {}, 303),                       # no period chosen
    # the register: the unit's own head and administrator act, no one else (issue 20)
    "register.record": ("register-keeper", {}, 422),                  # nothing given
    "register.upload_scan": ("register-keeper", {}, 422),             # no file
    "register.recall_view": ("register-keeper", {}, 422),             # no reason
    "register.correction": ("register-keeper", {}, 422),              # nothing corrected
    # the PDF of record: made by the unit's head, leader or clerk (not confirmed: 422)
    "signing.plan_record": ("signing-party", {}, 422),
    "signing.report_record": ("signing-party", {}, 422),
    "signing.consolidation_record": ("signing-party", {}, 422),
    "signing.sign": ("plan-head", {}, 422),              # the head signs a plan; no file
    "signing.issue": ("clerk", {}, 422),                 # the clerk issues; no choice made
    "signing.number": ("clerk", {}, 422),                # the clerk numbers; not confirmed
    "signing.upload_image_view": ("unit-admin", {}, 422),     # no image chosen
}
# Other methods: (what they require, a harmless invalid body, the answer to it).
OTHER_METHODS: dict[tuple[str, str], tuple[str, object, int]] = {
    ("PUT", "api.put_report"): ("api-writer", [], 400),               # not a JSON object
}
PLAIN_KINDS = {"page", "api", "public"}   # tried by test_plain_routes
SUBTREE_ROLES = {"reviewer", "consolidator", "leader", "admin"}
OWNER_ROLES = {"consolidator", "admin"}
WRITER_ROLES = {"drafter", "head"}
REVIEWER_ROLES = {"reviewer", "consolidator"}
# What a platform operator may not do: act as a member of a unit.
MEMBER_ONLY = {"unit-writer", "plan-writer", "plan-head", "api-writer", "narrative-editor",
               "register-keeper", "signing-party", "clerk"}
ROLES = ["drafter", "head", "reviewer", "consolidator", "leader", "admin", "clerk",
         "platform", "anonymous"]
ARGUMENTS = {"code", "framework_id", "node_id", "indicator_id", "responsibility_id",
             "period_id", "filename", "plan_id", "task_id", "target_id", "comment_id", "name",
             "report_id", "value_id", "year", "evidence_id", "consolidation_id",
             "object_type", "object_id", "rule_id", "run_id", "ingest_id", "page",
             "entry_id", "kind", "record_id"}


def allowed(kind: str, role: str, target: str) -> str:
    """'ok', 'forbidden' or 'hidden' for a signed-in, non-operator role."""
    subtree = role in SUBTREE_ROLES
    if kind in ("read", "unit-owner", "unit-writer", "api-writer", "consolidator",
                "narrative-editor", "dashboard", "audit", "reviewing", "value-party",
                "register-keeper", "signing-party", "clerk", "unit-admin") or \
            kind.startswith("plan-"):
        visible = target == "own" or (target == "child" and subtree)
    elif kind == "subtree":
        visible = subtree and target in ("own", "child")
    else:  # fw-read, fw-manage: a framework is read from below its owner too
        visible = target in ("own", "parent") or (target == "child" and subtree)
    if not visible or kind == "nation":
        return "hidden"
    if kind in ("fw-manage", "unit-owner"):
        return "ok" if role in OWNER_ROLES and target in ("own", "child") else "forbidden"
    if kind in ("unit-writer", "plan-writer", "api-writer"):
        return "ok" if role in WRITER_ROLES and target == "own" else "forbidden"
    if kind == "consolidator":  # consolidators and leaders of the unit or above it
        return "ok" if role in {"consolidator", "leader"} and target in ("own", "child") \
            else "forbidden"
    if kind == "narrative-editor":  # consolidators of the unit or above it, no one else
        return "ok" if role == "consolidator" and target in ("own", "child") else "forbidden"
    if kind == "dashboard":
        return "ok" if subtree else "forbidden"
    if kind == "signing-party":   # the unit's own head, leader and clerk
        return "ok" if role in {"head", "leader", "clerk"} and target == "own" else "forbidden"
    if kind == "clerk":
        return "ok" if role == "clerk" and target == "own" else "forbidden"
    if kind == "unit-admin":      # administrators of the unit or above it
        return "ok" if role == "admin" and target in ("own", "child") else "forbidden"
    if kind == "audit":
        return "ok" if role == "admin" else "forbidden"
    if kind == "reviewing":  # reviewers and consolidators of the unit or above it
        return "ok" if role in REVIEWER_ROLES and target in ("own", "child") else "forbidden"
    if kind == "plan-head":
        return "ok" if role == "head" and target == "own" else "forbidden"
    if kind == "register-keeper":  # the unit's own head or administrator
        return "ok" if role in {"head", "admin"} and target == "own" else "forbidden"
    if kind == "plan-reviewer":  # the level receiving the plan: never its own unit
        return "ok" if role in REVIEWER_ROLES and target == "child" else "forbidden"
    if kind == "value-party":  # the unit's writers, or the level receiving its report
        return "ok" if (role in WRITER_ROLES and target == "own") or (
            role in REVIEWER_ROLES and target == "child") else "forbidden"
    return "ok"


def expected_status(kind: str, role: str, target: str, api: bool, ok: int = 200) -> int:
    if role == "anonymous":
        return 401 if api else 302
    if role == "platform":
        if kind == "nation":   # no target is a ministry: not found, whoever asks
            return 404
        return 403 if kind in MEMBER_ONLY else ok
    return {"ok": ok, "forbidden": 403, "hidden": 404}[allowed(kind, role, target)]


def no_such_value(rule: str, ids: dict, want: int) -> int:
    """A value route on a report with no value (the province reports no indicator: its
    value_id is 0) is not found by whoever may see the report."""
    if "<int:value_id>" in rule and not ids["value_id"] and want not in (302, 401, 403):
        return 404
    return want


def build_url(endpoint: str, rule: str, ids: dict) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if endpoint.startswith("reports.") and name in ("task_id", "name"):
            return str(ids["report_task_id"]) if name == "task_id" else "results"
        if endpoint.startswith("consolidations.") and name == "name":
            return "results"
        if endpoint.startswith("consolidations.") and name == "kind":
            return "xlsx"
        if endpoint == "validation.explain" and name == "rule_id":  # a rule of the report's plan
            return str(ids["report_rule_id"])
        if name in ("object_type", "object_id"):   # the history of the target's report
            return "unit_report" if name == "object_type" else str(ids["report_id"])
        return str(ids[name])

    url = re.sub(r"<(?:int:)?(\w+)>", fill, rule)
    if endpoint == "units.search":
        url += "?q=x"
    if endpoint == "api.units":
        url += f"?under={ids['code']}"
    if endpoint == "api.aggregates":
        url += "?year=2026"
    if endpoint == "dashboard.sources":
        url += "?figure=submitted"
    return url


def test_every_route_is_declared(app: Flask) -> None:
    """Every route and method of the app, the administration's included, has an entry."""
    undeclared, unknown_arguments, seen = [], [], set()
    for rule in app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        seen.add(rule.endpoint)
        view = rule.endpoint.rsplit(".", 1)[0]
        for method in methods:
            if admin_view_of(rule.endpoint):
                declared = view in ADMIN_VIEWS and (method, rule.endpoint.rsplit(".", 1)[1]) \
                    in ADMIN_ROUTES
                where = "ADMIN_VIEWS (the view) and ADMIN_ROUTES (its route)"
            elif method == "GET":
                declared, where = rule.endpoint in EXPECTED, "EXPECTED"
            elif method == "POST":
                declared, where = rule.endpoint in POSTS, "POSTS"
            else:
                declared, where = (method, rule.endpoint) in OTHER_METHODS, "OTHER_METHODS"
            if not declared:
                undeclared.append(f"{method} {rule.rule} (endpoint {rule.endpoint}): "
                                  f"declare it in {where}")
        if set(rule.arguments) - ARGUMENTS - ADMIN_ARGUMENTS:
            unknown_arguments.append(f"{rule.rule}: teach the matrix the arguments "
                                     f"{set(rule.arguments) - ARGUMENTS - ADMIN_ARGUMENTS}")
    # A renamed endpoint leaves its old entry behind: say so, so the rename is one edit.
    stale = sorted({*EXPECTED, *POSTS, *(e for _m, e in OTHER_METHODS)} - seen) + sorted(
        f"ADMIN_VIEWS[{v!r}]" for v in ADMIN_VIEWS
        if not any(e.rsplit(".", 1)[0] == v for e in seen))
    assert not undeclared + unknown_arguments, "\n".join(undeclared + unknown_arguments)
    assert not stale, "declared, but no such route (renamed?): " + ", ".join(stale)


def scoped_rules(app: Flask, method: str, kinds: set[str]) -> list[tuple[str, str]]:
    table = EXPECTED if method == "GET" else {k: v[0] for k, v in POSTS.items()}
    return sorted((r.endpoint, r.rule) for r in app.url_map.iter_rules()
                  if method in (r.methods or set()) and table.get(r.endpoint) in kinds)


@pytest.mark.parametrize("role", ROLES)
def test_get_routes(app: Flask, role: str, login_as, token_for, targets) -> None:
    page_client = login_as(role)
    api_client = app.test_client()
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    kinds = {"read", "subtree", "fw-read", "fw-manage", "plan-read", "dashboard", "audit",
             "reviewing", "unit-owner", "nation"}
    untried = {e for e, kind in EXPECTED.items() if kind not in kinds | PLAIN_KINDS}
    assert not untried, f"no test tries these GET routes: {sorted(untried)}"
    routes = scoped_rules(app, "GET", kinds)
    assert len(routes) >= 24
    failures = []
    for endpoint, rule in routes:
        api = rule.startswith("/api/")
        for target in TARGET_UNITS:
            url = build_url(endpoint, rule, targets[target])
            response = (api_client.get(url, headers=headers) if api
                        else page_client.get(url))
            want = no_such_value(rule, targets[target],
                                 expected_status(EXPECTED[endpoint], role, target, api))
            if response.status_code != want:
                failures.append(f"{role} GET {url} ({target}): {response.status_code}, "
                                f"expected {want}")
            if api and want in (401, 404):
                assert "error" in response.get_json()
            response.close()  # streamed bodies (file downloads) hold their file open
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_post_routes(app: Flask, role: str, login_as, token_for, targets) -> None:
    client = login_as(role)
    api_client = app.test_client()
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    token = csrf_token(client, "/auth/login" if role == "anonymous" else "/auth/password")
    kinds = {"unit-owner", "fw-manage", "unit-writer", "plan-writer", "plan-head",
             "register-keeper",
             "plan-reviewer", "plan-read", "read", "consolidator", "narrative-editor",
             "reviewing", "value-party", "signing-party", "clerk", "unit-admin"}
    # "form": the caller's own session, language and notices, with no unit to reach
    untried = {e for e, (kind, _p, _s) in POSTS.items() if kind not in kinds | {"form"}}
    assert not untried, f"no test tries these POST routes: {sorted(untried)}"
    routes = scoped_rules(app, "POST", kinds)
    assert len(routes) >= 27
    failures = []
    for endpoint, rule in routes:
        kind, payload, ok = POSTS[endpoint]
        api = rule.startswith("/api/")
        for target in TARGET_UNITS:
            url = build_url(endpoint, rule, targets[target])
            data = {k: (targets[target]["outside_unit_id"] if v == "OUTSIDE" else v)
                    for k, v in payload.items()}
            if api:
                response = api_client.post(url, json=data, headers=headers)
            else:
                response = client.post(url, data={**data, "csrf_token": token})
            want = no_such_value(rule, targets[target],
                                 expected_status(kind, role, target, api, ok))
            if response.status_code != want:
                failures.append(f"{role} POST {url} ({target}): {response.status_code}, "
                                f"expected {want}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_plain_routes(app: Flask, role: str, login_as, token_for) -> None:
    client = login_as(role)
    api_headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    signed_in = role != "anonymous"
    cases = {
        "units.home": ("/", 200 if role == "platform" else 302),
        "auth.login": ("/auth/login", 302 if signed_in else 200),
        "auth.password": ("/auth/password", 200 if signed_in else 302),
        "api.me": ("/api/v1/me", 200 if signed_in else 401),
        "api.frameworks": ("/api/v1/frameworks", 200 if signed_in else 401),
        "api.openapi": ("/api/v1/openapi.json", 200),
        "static": ("/static/css/portal.css", 200),
        "notifications.index": ("/notifications", 200 if signed_in else 302),
        "notifications.settings": ("/notifications/settings", 200 if signed_in else 302),
        "health.health": ("/health", 200),
        # the worklist: for those who review some unit (and platform operators)
        "review.worklist": ("/review", 302 if not signed_in else 200
                            if role in REVIEWER_ROLES | {"platform"} else 403),
    }
    declared = {e for e, kind in EXPECTED.items() if kind in {"page", "api", "public"}}
    assert declared == set(cases), f"cover these plain routes: {declared ^ set(cases)}"
    for _endpoint, (url, want) in cases.items():
        headers = api_headers if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        assert response.status_code == want, f"{role} GET {url}: {response.status_code}"
        response.close()


@pytest.mark.parametrize("role", ROLES)
def test_other_methods(app: Flask, role: str, token_for, targets) -> None:
    client = app.test_client()
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    rules = [(m, r) for r in app.url_map.iter_rules()
             for m in (r.methods or set()) - {"GET", "POST", "HEAD", "OPTIONS"}]
    assert rules
    failures = []
    for method, rule in rules:
        kind, body, ok = OTHER_METHODS[(method, rule.endpoint)]
        for target in TARGET_UNITS:
            url = build_url(rule.endpoint, rule.rule, targets[target])
            response = client.open(url, method=method, json=body, headers=headers)
            want = expected_status(kind, role, target, True, ok)
            if response.status_code != want:
                failures.append(f"{role} {method} {url} ({target}): "
                                f"{response.status_code}, expected {want}")
    assert not failures, "\n".join(failures)


# Each step of a report's loop, by who takes it (the kinds of ``allowed``): any writer of
# the unit hands it over; only its head sends it back or submits; the level receiving it
# returns, accepts and reopens.
REPORT_ACTIONS = {"hand_over": "plan-writer", "send_back": "plan-head", "submit": "plan-head",
                  "return": "plan-reviewer", "accept": "plan-reviewer",
                  "reopen": "plan-reviewer"}


@pytest.mark.parametrize("role", ROLES)
def test_report_actions(app: Flask, role: str, login_as, token_for, targets) -> None:
    """Every action of the report loop × role × target, on the page and in the API. Each
    report is a draft with no task status given, so whoever may take an action is refused
    it for its state (422, nothing changes); anyone else gets 403, or 404 out of reach."""
    from portal.reports.workflow import TRANSITIONS

    assert set(REPORT_ACTIONS) == set(TRANSITIONS), "declare each action in REPORT_ACTIONS"
    client = login_as(role)
    api_client = app.test_client()
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    token = csrf_token(client, "/auth/login" if role == "anonymous" else "/auth/password")
    failures = []
    for action, kind in REPORT_ACTIONS.items():
        for target in TARGET_UNITS:
            ids = targets[target]
            page = client.post(f"/reports/{ids['report_id']}/transitions",
                               data={"action": action, "csrf_token": token})
            api = api_client.post(f"/api/v1/units/{ids['code']}/reports/2026/transitions",
                                  json={"action": action}, headers=headers)
            for answer, is_api in ((page, False), (api, True)):
                want = expected_status(kind, role, target, is_api, 422)
                if answer.status_code != want:
                    failures.append(f"{role} {action} on {target} ({'API' if is_api else 'page'})"
                                    f": {answer.status_code}, expected {want}")
    assert not failures, "\n".join(failures)
    with system_scope("test"):
        from portal.reports.report import UnitReport

        assert set(db.session.scalars(select(UnitReport.status))) == {"draft"}


def test_form_posts_need_csrf(app: Flask, login_as) -> None:
    """Every non-API route that accepts POST refuses a post without the CSRF token."""
    client = login_as("admin")
    posts = [r for r in app.url_map.iter_rules()
             if "POST" in (r.methods or set()) and not r.rule.startswith("/api/")]
    assert len(posts) >= 30
    for rule in posts:
        url = re.sub(r"<(?:int:)?(\w+)>", lambda m: "D1" if m.group(1) == "code" else "1",
                     rule.rule)
        response = client.post(url, data={"username": "u.admin", "password": "x"})
        assert response.status_code == 400, f"POST {url} without CSRF: {response.status_code}"
        assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    # …and the session survived: the refused posts changed nothing.
    assert client.get("/units/D1").status_code == 200




# ---- the administration areas (Flask-Admin) ---------------------------------------------
#
# Every view of /admin is for platform operators, every view of /unit-admin for tenant
# administrators, who see the accounts, memberships and units of the subtrees they
# administer and nothing else. A signed-in caller without the right gets 403 for the area;
# a record outside the administered subtrees is not found (404, docs/tenancy.md) and never
# appears in a list, an export, a lookup, an action or a form's choices.
#
# Each view: (its area, the kind of row it shows). The rows of each kind are made per
# target (own D1, parent P1, child C11, sibling D2, other province QD) by ``admin_rows``.
ADMIN_VIEWS: dict[str, tuple[str, str | None]] = {
    "admin": ("operator", None),                   # the index page and Flask-Admin's files
    "platform_unit": ("operator", "unit"),
    "platform_user_account": ("operator", "account"),
    "platform_membership": ("operator", "membership"),
    "platform_framework": ("operator", "framework"),
    "platform_reporting_period": ("operator", "period"),
    "platform_api_token": ("operator", "token"),
    "platform_audit_entry": ("operator", "audit"),
    "platform_import_accounts": ("operator", None),
    "platform_import_units": ("operator", None),
    "platform_reorganize": ("operator", None),
    "unit_admin": ("tenant-admin", None),
    "tenant_user_account": ("tenant-admin", "account"),
    "tenant_membership": ("tenant-admin", "membership"),
    "tenant_unit": ("tenant-admin", "unit"),
    "tenant_import_accounts": ("tenant-admin", None),
}
# Each route of a view, by its view function: how it is tried (see ``try_admin_route``).
ADMIN_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "index"): "page", ("POST", "index"): "post-empty",   # index pages and imports
    ("GET", "static"): "static",
    ("GET", "index_view"): "list",
    ("GET", "details_view"): "row", ("GET", "edit_view"): "row",
    ("POST", "edit_view"): "edit-row",
    ("GET", "create_view"): "page", ("POST", "create_view"): "create",
    ("POST", "delete_view"): "delete-row",
    ("POST", "action_view"): "action",
    ("GET", "export"): "export",
    ("GET", "ajax_lookup"): "lookup",
    ("POST", "ajax_update"): "update-row",
    ("POST", "reset_password_view"): "reset-row",                # one account's reset
    ("GET", "template"): "page",                                 # the imports' templates
}
ADMIN_ARGUMENTS = {"export_type", "filename", "extension"}
# A value no edit form accepts: every edited model has a bounded text column or a date.
TOO_LONG = "x" * 300


def admin_view_of(endpoint: str) -> str | None:
    """The admin view an endpoint belongs to, or None outside the administration."""
    view = endpoint.rsplit(".", 1)[0]
    if view in ADMIN_VIEWS or view.startswith(("platform_", "tenant_")) or \
            endpoint.startswith(("admin.", "unit_admin.")):
        return view
    return None


def flask_admin_views(app: Flask) -> dict[str, object]:
    """The view objects by endpoint, so a view's own switches (can_edit, …) are read."""
    return {view.endpoint: view for admin in app.extensions["admin"] for view in admin._views}


def may_enter(area: str, role: str) -> bool:
    return role == "platform" if area == "operator" else role == "admin"


def visible_row(area: str, target: str) -> bool:
    """The admin of D1 administers D1 and what is below it; an operator everything."""
    return area == "operator" or target in ("own", "child")


@pytest.fixture
def admin_rows(world):
    """Per row kind and target: (id, a text that identifies the row on a page)."""
    from portal.accounts.api_token import ApiToken
    from portal.accounts.service import create_user, grant, issue_token
    from portal.audit.entry import AuditEntry

    rows: dict[str, dict[str, tuple[int, str]]] = {k: {} for k in (
        "unit", "account", "membership", "framework", "period", "token", "audit")}
    frameworks = {t: make_framework(owner) for t, owner in TARGET_FRAMEWORK_OWNERS.items()
                  if t in ("own", "other")}
    with system_scope("test admin rows"):
        for target, code in TARGET_UNITS.items():
            unit = db.session.scalar(select(Unit).where(Unit.code == code))
            user = create_user(f"m.{target}.matrix", PASSWORD_FOR_ROWS,
                               full_name=f"Matrix {target} person")
            membership = grant(user, unit, "drafter")
            issue_token(user)
            db.session.flush()
            rows["unit"][target] = (unit.id, unit.name)
            rows["account"][target] = (user.id, user.username)
            rows["membership"][target] = (membership.id, user.username)
            rows["token"][target] = (db.session.scalar(select(ApiToken.id).where(
                ApiToken.user_id == user.id)), user.username)
        for target, fid in frameworks.items():
            rows["framework"][target] = (fid, str(fid))
            rows["period"][target] = (db.session.scalar(select(ReportingPeriod.id).where(
                ReportingPeriod.framework_id == fid).limit(1)), str(fid))
            rows["audit"][target] = (db.session.scalar(select(AuditEntry.id).where(
                AuditEntry.unit_id == world.unit_ids[TARGET_FRAMEWORK_OWNERS[target]])
                .limit(1)), "")
        assert db.session.scalar(select(func.count()).select_from(Membership)) >= 11
        db.session.commit()
    return rows


PASSWORD_FOR_ROWS = "Mat-khau-ma-tran-2025"


def snapshot(rows: dict[str, dict[str, tuple[int, str]]]) -> dict:
    """Every column of every row the matrix makes (and how many of each model exist)."""
    from portal.accounts.api_token import ApiToken
    from portal.accounts.user import User
    from portal.audit.entry import AuditEntry
    from portal.frameworks.framework import Framework

    models = {"unit": Unit, "account": User, "membership": Membership, "framework": Framework,
              "period": ReportingPeriod, "token": ApiToken, "audit": AuditEntry}
    out: dict = {}
    with system_scope("test snapshot"):
        db.session.expire_all()
        for kind, model in models.items():
            out[kind, "count"] = db.session.scalar(select(func.count()).select_from(model))
            for target, (row_id, _label) in rows[kind].items():
                row = db.session.get(model, row_id)
                out[kind, target] = None if row is None else {
                    c.key: getattr(row, c.key) for c in model.__mapper__.column_attrs}
    return out


def admin_expectation(view, function: str, how: str, role: str, area: str,
                      target: str | None) -> int:
    """The status a role gets for one try of an admin route."""
    if how == "static":
        return 200
    if role == "anonymous":
        return 302
    if not may_enter(area, role):
        return 403
    switch = {"details_view": "can_view_details", "edit_view": "can_edit",
              "delete_view": "can_delete", "export": "can_export",
              "create_view": "can_create"}.get(function)
    if switch and not getattr(view, switch):
        return 302                       # Flask-Admin sends a switched-off action back
    if how == "update-row" and not view.column_editable_list:
        return 404
    if how == "lookup":
        return 200 if view._form_ajax_refs else 404
    if target is not None and not visible_row(area, target):
        # A form refuses a unit it does not offer; a bulk action skips rows it cannot
        # see (both change nothing: test_admin_areas compares every row before and after).
        return {"create": 200, "action": 302}.get(how, 404)
    return {"page": 200, "post-empty": 200, "list": 200, "row": 200, "edit-row": 200,
            "create": 200, "delete-row": 302, "action": 302, "export": 200,
            "update-row": 200, "reset-row": 200}[how]


@pytest.mark.parametrize("role", ROLES)
def test_admin_areas(app: Flask, role: str, login_as, admin_rows) -> None:
    """Every route of both areas × role × own / parent / child / sibling / other rows."""
    client = login_as(role)
    token = csrf_token(client, "/auth/login" if role == "anonymous" else "/auth/password")
    views = flask_admin_views(app)
    before = snapshot(admin_rows)
    rules = sorted(((r.endpoint, r.rule, m) for r in app.url_map.iter_rules()
                    if admin_view_of(r.endpoint)
                    for m in (r.methods or set()) - {"HEAD", "OPTIONS"}),
                   # reads first, then writes, deletions and bulk actions last
                   key=lambda t: (t[2] == "POST", "action" in t[0], "delete" in t[0], t))
    assert len(rules) >= 127
    failures: list[str] = []

    def check(label: str, response, want: int, hidden: list[str], shown: list[str]) -> None:
        body = response.get_data(as_text=True)
        if response.status_code != want:
            failures.append(f"{role} {label}: {response.status_code}, expected {want}")
        for text_ in hidden:
            if text_ and text_ in body:
                failures.append(f"{role} {label}: shows {text_!r}, a row it may not see")
        if response.status_code == 200:
            for text_ in shown:
                if text_ not in body:
                    failures.append(f"{role} {label}: does not show {text_!r}")
        response.close()

    for endpoint, rule, method in rules:
        view_name, function = endpoint.rsplit(".", 1)
        area, kind = ADMIN_VIEWS[view_name]
        how = ADMIN_ROUTES[method, function]
        view = views.get(view_name)
        url = rule.replace("<export_type>", "csv").replace(
            "<path:filename>", "admin/js/helpers.js").replace("<extension>", "csv")
        rows = admin_rows[kind] if kind else {}
        inside = may_enter(area, role)
        # Outside the area every route answers the same, whatever the row: try it once.
        targets = list(rows) if (rows and inside and how not in ("page", "list", "export",
                                                                   "lookup", "post-empty"))\
            else [None]
        hidden = [label for t, (_i, label) in rows.items() if not visible_row(area, t)] \
            if inside else []
        shown = [label for t, (_i, label) in rows.items() if visible_row(area, t)] \
            if inside and how in ("list", "export") else []
        for target in targets:
            row_id = rows[target][0] if target else (next(iter(rows.values()))[0] if rows
                                                     else 0)
            want = admin_expectation(view, function, how, role, area, target)
            label = f"{method} {url} ({target or '-'})"
            if how in ("page", "list", "static"):
                response = client.get(url)
            elif how == "row":
                response = client.get(f"{url}?id={row_id}")
            elif how == "export":   # (a streamed CSV is read inside the request's context)
                response = client.get(url, buffered=True)
            elif how == "lookup":
                names = list(view._form_ajax_refs) if view and view._form_ajax_refs \
                    else ["user"]
                for name in names:
                    check(f"{label} {name}", client.get(f"{url}?name={name}&query="),
                          want, hidden, [])
                continue
            elif how == "post-empty":
                response = client.post(url, data={"csrf_token": token})
            elif how == "edit-row":
                response = client.post(f"{url}?id={row_id}", data={
                    "csrf_token": token, "name": "", "full_name": TOO_LONG, "role": "bogus",
                    "due_date": "bogus", "email": TOO_LONG})
            elif how == "update-row":
                response = client.post(url, data={"csrf_token": token,
                                                  "list_form_pk": row_id, "name": TOO_LONG})
            elif how in ("delete-row", "reset-row"):
                response = client.post(url, data={"csrf_token": token, "id": row_id})
            elif how == "create":
                # a new record in the target's unit, or in no unit at all
                unit_id = admin_rows["unit"][target][0] if target else ""
                response = client.post(url, data={
                    "csrf_token": token, "username": f"new.{target}", "unit": unit_id,
                    "parent": unit_id, "user": admin_rows["account"]["own"][0],
                    "role": "drafter", "code": f"NEW.{target}", "name": "Mới",
                    "kind": "commune"} if target and not visible_row(area, target)
                    else {"csrf_token": token})
            elif how == "action":
                names = [name for name, _text in view.get_actions_list()[0]] if view and \
                    inside else ["deactivate"]
                for name in names:
                    check(f"{label} {name}", client.post(url, data={
                        "csrf_token": token, "action": name, "rowid": str(row_id)}),
                        want, hidden, [])
                continue
            else:  # pragma: no cover - ADMIN_ROUTES names only the kinds above
                raise AssertionError(how)
            check(label, response, want, hidden if how != "row" else [], shown)
    assert not failures, "\n".join(failures)
    # Nothing outside the caller's reach changed; inside it, only the routes that act did.
    after = snapshot(admin_rows)
    changed = sorted(f"{kind} {target}" for (kind, target), value in before.items()
                     if after[kind, target] != value)
    if role in ("admin", "platform"):
        area = "operator" if role == "platform" else "tenant-admin"
        outside = [c for c in changed if c.split()[1] != "count"
                   and not visible_row(area, c.split()[1])]
        assert not outside, f"{role} changed rows outside its reach: {outside}"
        # …while the deletions inside it were real (so a 404 above is not a broken route)
        deleted = sorted(t for (kind, t), value in after.items()
                         if kind == "membership" and t != "count" and value is None)
        assert deleted == sorted(t for t in TARGET_UNITS if visible_row(area, t))
        with system_scope("test: nothing created outside"):
            assert not db.session.scalars(select(Unit.code).where(
                Unit.code.like("NEW.%"))).all()
            assert db.session.scalar(select(func.count()).select_from(User).where(
                User.username.like("new.%"))) == 0
            hidden_units = [i for t, (i, _n) in admin_rows["unit"].items()
                            if not visible_row(area, t)]
            assert db.session.scalars(select(Membership.unit_id).where(
                Membership.user_id == admin_rows["account"]["own"][0],
                Membership.unit_id.in_(hidden_units))).all() == []
    else:
        assert not changed, f"{role} changed rows in an area it may not enter: {changed}"
