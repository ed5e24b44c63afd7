"""Every route × every role × own / child / sibling / other-province unit.

Routes come from ``app.url_map``: a route added later without an entry in
``EXPECTED`` fails ``test_every_route_is_declared``, so the matrix grows with the app.
The expectations are written out here, independently of the app's own access code.
"""

from __future__ import annotations

import pytest
from flask import Flask

# What each kind of route requires.
#   read     the unit must be in the caller's reach (own unit, or below a subtree role)
#   subtree  the caller must read the unit's whole subtree (leaders, reviewers, …)
#   page     any signed-in user; anonymous callers are sent to sign in
#   api      any valid token; anonymous callers get 401
#   public   anyone
#   post     changes state: a form post, CSRF-protected
EXPECTED: dict[str, str] = {
    "units.home": "page",
    "units.show": "read",
    "units.search": "subtree",
    "auth.login": "public",
    "auth.logout": "post",
    "auth.password": "page",
    "auth.set_language": "post",
    "api.me": "api",
    "api.unit": "read",
    "api.units": "read",
    "api.openapi": "public",
    "static": "public",
}
SUBTREE_ROLES = {"reviewer", "consolidator", "leader", "admin"}
ROLES = ["drafter", "head", "reviewer", "consolidator", "leader", "admin", "platform",
         "anonymous"]
# Every role account holds its role in D1.
TARGETS = {"own": "D1", "child": "C11", "sibling": "D2", "other_province": "QD"}


def unit_routes(app: Flask) -> list[tuple[str, str]]:
    rules = []
    for rule in app.url_map.iter_rules():
        if EXPECTED.get(rule.endpoint) in {"read", "subtree"}:
            rules.append((rule.endpoint, rule.rule))
    return sorted(rules)


def url_for_target(endpoint: str, rule: str, code: str) -> str:
    if "<code>" in rule:
        return rule.replace("<code>", code) + ("?q=x" if endpoint == "units.search" else "")
    if endpoint == "api.units":
        return f"{rule}?under={code}"
    raise AssertionError(f"teach the matrix how to address {endpoint} ({rule})")


def expected_status(kind: str, role: str, target: str, api: bool) -> int:
    if role == "anonymous":
        return 401 if api else 302
    if role == "platform":
        return 200
    if target == "own":
        return 200 if kind == "read" or role in SUBTREE_ROLES else 404
    if target == "child":
        return 200 if role in SUBTREE_ROLES else 404
    return 404  # sibling, other province


def test_every_route_is_declared(app: Flask) -> None:
    undeclared = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(EXPECTED))
    assert not undeclared, f"add these routes to the permission matrix: {undeclared}"
    for rule in app.url_map.iter_rules():
        args = set(rule.arguments)
        assert args <= {"code", "filename"}, (
            f"{rule.rule}: teach the matrix the arguments {args - {'code', 'filename'}}")


@pytest.mark.parametrize("role", ROLES)
def test_unit_routes(app: Flask, role: str, login_as, token_for) -> None:  # type: ignore[no-untyped-def]
    page_client = login_as(role)
    api_client = app.test_client()
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    failures = []
    routes = unit_routes(app)
    assert routes, "no unit routes found"
    for endpoint, rule in routes:
        api = rule.startswith("/api/")
        for target, code in TARGETS.items():
            url = url_for_target(endpoint, rule, code)
            client = api_client if api else page_client
            response = client.get(url, headers=headers if api else {})
            want = expected_status(EXPECTED[endpoint], role, target, api)
            if response.status_code != want:
                failures.append(f"{role} GET {url} ({target}): {response.status_code}, "
                                f"expected {want}")
            if want == 404 and api:
                assert response.get_json()["error"]["code"] == "not_found"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_plain_routes(app: Flask, role: str, login_as, token_for) -> None:  # type: ignore[no-untyped-def]
    client = login_as(role)
    api_headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    signed_in = role != "anonymous"
    cases = {
        # endpoint: (url, expected status)
        "units.home": ("/", 200 if role == "platform" else 302),
        "auth.login": ("/auth/login", 302 if signed_in else 200),
        "auth.password": ("/auth/password", 200 if signed_in else 302),
        "api.me": ("/api/v1/me", 200 if signed_in else 401),
        "api.openapi": ("/api/v1/openapi.json", 200),
        "static": ("/static/css/portal.css", 200),
    }
    declared = {e for e, kind in EXPECTED.items() if kind in {"page", "api", "public"}}
    assert declared == set(cases), f"cover these plain routes: {declared ^ set(cases)}"
    for _endpoint, (url, want) in cases.items():
        headers = api_headers if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        assert response.status_code == want, f"{role} GET {url}: {response.status_code}"
        response.close()


def test_form_posts_need_csrf(app: Flask, login_as) -> None:  # type: ignore[no-untyped-def]
    """Every non-API route that accepts POST refuses a post without the CSRF token."""
    client = login_as("drafter")
    posts = [r for r in app.url_map.iter_rules()
             if "POST" in (r.methods or set()) and not r.rule.startswith("/api/")]
    assert posts
    for rule in posts:
        url = rule.rule.replace("<code>", "D1")
        response = client.post(url, data={"username": "u.drafter", "password": "x"})
        assert response.status_code == 400, f"POST {url} without CSRF: {response.status_code}"
        assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    # …and the session survived: the refused posts changed nothing.
    assert client.get("/units/D1").status_code == 200
