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

from tests.builders import TARGET_UNITS
from tests.conftest import csrf_token

# What each GET route requires.
#   read       the unit is in the caller's reach (own unit, or below a subtree role)
#   subtree    the caller reads the unit's whole subtree (leaders, reviewers, …)
#   fw-read    the framework's owner is the caller's unit, above it, or in its subtree
#   fw-manage  fw-read, and the caller maintains the owner's frameworks (else 403)
#   dashboard  read, and the caller reads the unit's whole subtree (else 403)
#   audit      read, and the caller administers the unit or a unit above it (else 403)
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
    "plans.index": "read",
    "reports.index": "read",
    "reports.show": "plan-read",
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
    "api.get_consolidation": "read",
    "consolidations.show": "read",
    "consolidations.progress": "read",
    "consolidations.docx": "read",
    "consolidations.xlsx": "read",
    "api.openapi": "public",
    "static": "public",
    "notifications.index": "page",
    "health.health": "public",
    "audit.unit_log": "audit",
    "audit.unit_log_csv": "audit",
    "audit.object_log": "plan-read",
    "dashboard.show": "dashboard",
    "dashboard.print_view": "dashboard",
    "dashboard.workbook": "dashboard",
    "dashboard.sources": "dashboard",
}
# POST routes: what they require, a harmless invalid payload, and what a caller who
# may act gets for it (the payload is refused, nothing changes).
POSTS: dict[str, tuple[str, dict[str, str], int]] = {
    "auth.logout": ("form", {}, 0),
    "auth.set_language": ("form", {}, 0),
    "auth.login": ("form", {}, 0),
    "auth.password": ("form", {}, 0),
    "notifications.mark_read": ("form", {}, 0),           # the caller's own notices only
    "notifications.email_preference": ("form", {}, 0),
    "frameworks.upload": ("unit-owner", {}, 422),
    "frameworks.start_draft": ("fw-manage", {"from_version": "999"}, 303),
    "frameworks.save_meta": ("fw-manage", {"title": ""}, 422),
    "frameworks.save_node": ("fw-manage", {"kind": "bogus"}, 422),
    "frameworks.indicator": ("fw-manage", {}, 422),
    "frameworks.save_responsibility": ("fw-manage", {"units": "OUTSIDE"}, 422),
    "frameworks.publish_draft": ("fw-manage", {}, 422),
    "frameworks.periods": ("fw-manage", {}, 422),
    "frameworks.save_period_view": ("fw-manage", {}, 422),
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
    "api.start_consolidation": ("consolidator", {}, 400),             # no year given
}
# Other methods: (what they require, a harmless invalid body, the answer to it).
OTHER_METHODS: dict[tuple[str, str], tuple[str, object, int]] = {
    ("PUT", "api.put_report"): ("api-writer", [], 400),               # not a JSON object
}
SUBTREE_ROLES = {"reviewer", "consolidator", "leader", "admin"}
OWNER_ROLES = {"consolidator", "admin"}
WRITER_ROLES = {"drafter", "head"}
REVIEWER_ROLES = {"reviewer", "consolidator"}
# What a platform operator may not do: act as a member of a unit.
MEMBER_ONLY = {"unit-writer", "plan-writer", "plan-head", "api-writer"}
ROLES = ["drafter", "head", "reviewer", "consolidator", "leader", "admin", "platform",
         "anonymous"]
ARGUMENTS = {"code", "framework_id", "node_id", "indicator_id", "responsibility_id",
             "period_id", "filename", "plan_id", "task_id", "target_id", "comment_id", "name",
             "report_id", "value_id", "year", "evidence_id", "consolidation_id",
             "object_type", "object_id"}


def allowed(kind: str, role: str, target: str) -> str:
    """'ok', 'forbidden' or 'hidden' for a signed-in, non-operator role."""
    subtree = role in SUBTREE_ROLES
    if kind in ("read", "unit-owner", "unit-writer", "api-writer", "consolidator",
                "dashboard", "audit") or \
            kind.startswith("plan-"):
        visible = target == "own" or (target == "child" and subtree)
    elif kind == "subtree":
        visible = subtree and target in ("own", "child")
    else:  # fw-read, fw-manage: a framework is read from below its owner too
        visible = target in ("own", "parent") or (target == "child" and subtree)
    if not visible:
        return "hidden"
    if kind in ("fw-manage", "unit-owner"):
        return "ok" if role in OWNER_ROLES and target in ("own", "child") else "forbidden"
    if kind in ("unit-writer", "plan-writer", "api-writer"):
        return "ok" if role in WRITER_ROLES and target == "own" else "forbidden"
    if kind == "consolidator":  # consolidators and leaders of the unit or above it
        return "ok" if role in {"consolidator", "leader"} and target in ("own", "child") \
            else "forbidden"
    if kind == "dashboard":
        return "ok" if subtree else "forbidden"
    if kind == "audit":
        return "ok" if role == "admin" else "forbidden"
    if kind == "plan-head":
        return "ok" if role == "head" and target == "own" else "forbidden"
    if kind == "plan-reviewer":  # the level receiving the plan: never its own unit
        return "ok" if role in REVIEWER_ROLES and target == "child" else "forbidden"
    return "ok"


def expected_status(kind: str, role: str, target: str, api: bool, ok: int = 200) -> int:
    if role == "anonymous":
        return 401 if api else 302
    if role == "platform":
        return 403 if kind in MEMBER_ONLY else ok
    return {"ok": ok, "forbidden": 403, "hidden": 404}[allowed(kind, role, target)]


def build_url(endpoint: str, rule: str, ids: dict) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if endpoint.startswith("reports.") and name in ("task_id", "name"):
            return str(ids["report_task_id"]) if name == "task_id" else "results"
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


# The two administration areas (Flask-Admin): every view of /admin is for platform
# operators, every view of /unit-admin for tenant administrators (scoped to their
# subtrees: tests/test_admin.py). Signed-in callers without the right get 403.
ADMIN_AREAS = {"admin": "operator", "platform_": "operator", "unit_admin": "tenant-admin",
               "tenant_": "tenant-admin"}


def admin_area(endpoint: str) -> str | None:
    blueprint = endpoint.split(".", 1)[0]
    for prefix, area in ADMIN_AREAS.items():
        if blueprint == prefix or (prefix.endswith("_") and blueprint.startswith(prefix)):
            return area
    return None


def test_every_route_is_declared(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if admin_area(rule.endpoint):
            continue
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        if "GET" in methods:
            assert rule.endpoint in EXPECTED, f"declare GET {rule.rule} in the matrix"
        if "POST" in methods:
            assert rule.endpoint in POSTS, f"declare POST {rule.rule} in the matrix"
        for method in methods - {"GET", "POST"}:
            assert (method, rule.endpoint) in OTHER_METHODS, (
                f"declare {method} {rule.rule} in the matrix")
        assert set(rule.arguments) <= ARGUMENTS, (
            f"{rule.rule}: teach the matrix the arguments {set(rule.arguments) - ARGUMENTS}")


def scoped_rules(app: Flask, method: str, kinds: set[str]) -> list[tuple[str, str]]:
    table = EXPECTED if method == "GET" else {k: v[0] for k, v in POSTS.items()}
    return sorted((r.endpoint, r.rule) for r in app.url_map.iter_rules()
                  if method in (r.methods or set()) and table.get(r.endpoint) in kinds)


@pytest.mark.parametrize("role", ROLES)
def test_get_routes(app: Flask, role: str, login_as, token_for, targets) -> None:  # type: ignore[no-untyped-def]
    page_client = login_as(role)
    api_client = app.test_client()
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    routes = scoped_rules(app, "GET", {"read", "subtree", "fw-read", "fw-manage",
                                       "plan-read", "dashboard", "audit"})
    assert len(routes) >= 24
    failures = []
    for endpoint, rule in routes:
        api = rule.startswith("/api/")
        for target in TARGET_UNITS:
            url = build_url(endpoint, rule, targets[target])
            response = (api_client.get(url, headers=headers) if api
                        else page_client.get(url))
            want = expected_status(EXPECTED[endpoint], role, target, api)
            if response.status_code != want:
                failures.append(f"{role} GET {url} ({target}): {response.status_code}, "
                                f"expected {want}")
            if api and want in (401, 404):
                assert "error" in response.get_json()
            response.close()  # streamed bodies (file downloads) hold their file open
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_post_routes(app: Flask, role: str, login_as, token_for, targets) -> None:  # type: ignore[no-untyped-def]
    client = login_as(role)
    api_client = app.test_client()
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    token = csrf_token(client, "/auth/login" if role == "anonymous" else "/auth/password")
    routes = scoped_rules(app, "POST", {"unit-owner", "fw-manage", "unit-writer", "plan-writer",
                                        "plan-head", "plan-reviewer", "plan-read", "read"})
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
            want = expected_status(kind, role, target, api, ok)
            if response.status_code != want:
                failures.append(f"{role} POST {url} ({target}): {response.status_code}, "
                                f"expected {want}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_plain_routes(app: Flask, role: str, login_as, token_for) -> None:  # type: ignore[no-untyped-def]
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
        "health.health": ("/health", 200),
    }
    declared = {e for e, kind in EXPECTED.items() if kind in {"page", "api", "public"}}
    assert declared == set(cases), f"cover these plain routes: {declared ^ set(cases)}"
    for _endpoint, (url, want) in cases.items():
        headers = api_headers if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        assert response.status_code == want, f"{role} GET {url}: {response.status_code}"
        response.close()


@pytest.mark.parametrize("role", ROLES)
def test_other_methods(app: Flask, role: str, token_for, targets) -> None:  # type: ignore[no-untyped-def]
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


def test_form_posts_need_csrf(app: Flask, login_as) -> None:  # type: ignore[no-untyped-def]
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


@pytest.mark.parametrize("role", ROLES)
def test_admin_areas(app: Flask, role: str, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(role)
    pages = sorted((r.endpoint, r.rule) for r in app.url_map.iter_rules()
                   if admin_area(r.endpoint) and (r.endpoint.endswith((".index_view", ".index",
                                                                       ".create_view"))))
    assert len(pages) >= 20
    failures = []
    for endpoint, rule in pages:
        area = admin_area(endpoint)
        allowed = (role == "platform") if area == "operator" else (role == "admin")
        want = 302 if role == "anonymous" else 200 if allowed else 403
        if allowed and endpoint.endswith(".create_view"):
            want = None   # a view that creates nothing redirects; either way it is allowed
        response = client.get(rule)
        ok = response.status_code in (200, 302) if want is None else \
            response.status_code == want
        if not ok:
            failures.append(f"{role} GET {rule}: {response.status_code}, expected {want}")
    assert not failures, "\n".join(failures)
