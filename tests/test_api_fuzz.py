"""Schemathesis against ``/api/v1/openapi.json``, signed in as several roles.

Hypothesis draws requests from the published schema — path parameters, query strings
and bodies, valid and not — and every answer must be a clean one: never a 500, always
JSON, and never a word of province Q1, which none of these roles may see. A second pass
sends each operation the real ids of both provinces' units, plans, reports and
consolidations, so the fuzzer's requests reach real rows, not only 404s.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet

# The world and the matrix's objects are built once for the module; each test runs in a
# savepoint rolled back after it (tests/conftest.py, shared_world).
pytestmark = pytest.mark.shared_world

ROLES = ("drafter", "leader", "consolidator", "admin", "anonymous")
# Names and codes only province Q1 holds (tests.conftest.TREE_CSV): an answer that
# carries one has leaked a unit the caller may not see.
FOREIGN = ("Tỉnh Khác", "Huyện Khác", "Xã Khác", '"Q1"', '"QD"', '"QC"')


@pytest.fixture
def schema(app: Flask):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def operations(schema) -> list:
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 12, "the schema lists the API's operations"
    return found


def send(app: Flask, case, headers: dict):
    """The drawn request, sent with exactly these credentials (Schemathesis's own sender
    also tries requests without them, which would hide whether a role's token works)."""
    body = {} if isinstance(case.body, NotSet) else {"json": case.body}
    return app.test_client().open(
        "/api/v1" + case.formatted_path, method=case.method.upper(),
        query_string=case.query or None, headers=headers, **body)


def has_nul(value: object) -> bool:
    """Is there a NUL byte in a string anywhere in ``value`` (keys included)?"""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


def check(case, response, role: str) -> None:
    label = f"{role}: {case.method} {case.formatted_path} {case.query or ''}"
    assert response.status_code < 500, f"{label} -> {response.status_code}"
    if role == "anonymous":   # 401; 404 when the address matches no route (/plans/-1);
        # 400 for a NUL byte anywhere in the request, refused at the door before sign-in
        nul = has_nul([case.formatted_path, case.query, case.body])
        assert response.status_code in ((400, 401, 404) if nul else (401, 404)), \
            f"{label} -> {response.status_code}"
    if response.is_json:
        text = json.dumps(response.get_json(), ensure_ascii=False)
        for word in FOREIGN:
            assert word not in text, f"{label} leaked {word}"
    elif response.status_code != 200:      # errors are JSON too
        pytest.fail(f"{label} -> {response.status_code} without a JSON body")


@pytest.mark.parametrize("role", ROLES)
def test_fuzzed_requests_get_clean_answers_and_leak_nothing(app: Flask, schema, role: str,
                                                            token_for) -> None:
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    strategy = st.one_of([operation.as_strategy() for operation in operations(schema)])
    answered = {True: 0, False: 0}

    @settings(max_examples=150, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def fuzz(case) -> None:
        response = send(app, case, headers)
        check(case, response, role)
        answered[response.status_code < 400] += 1

    fuzz()
    # the tokens work: a signed-in role gets real answers, not only refusals
    assert answered[True] > 0 if role != "anonymous" else answered[True] == 0, answered


def run_with(app: Flask, operation, params: dict, target: str, headers: dict,
             role: str) -> None:
    """A few drawn requests of ``operation`` with its path ids set to a real unit's."""

    @settings(max_examples=5, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def call(case) -> None:
        case.path_parameters = {**(case.path_parameters or {}), **params}
        response = send(app, case, headers)
        check(case, response, role)
        if target == "other" and params and role != "anonymous":
            assert response.status_code in (400, 403, 404, 422), (
                f"{role}: {case.method} {case.formatted_path} on province Q1 -> "
                f"{response.status_code}")

    call()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_with_real_ids_of_both_provinces(app: Flask, schema, role: str,
                                                         token_for, targets) -> None:
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    known = {"code": "code", "plan_id": "plan_id", "consolidation_id": "consolidation_id",
             "framework_id": "framework_id", "year": "year"}
    calls = 0
    for operation in operations(schema):
        for target in ("own", "child", "other"):
            ids = targets[target]
            params = {name: ids[key] for name, key in known.items()
                      if "{" + name + "}" in operation.path}

            run_with(app, operation, params, target, headers, role)
            calls += 1
    assert calls >= 36


# ---- JSON depth and size (issue 14, finding 8) ------------------------------------------

def nested(levels: int, opener: str = "[") -> str:
    """A JSON text ``levels`` deep: lists, or objects ``{"a": {"a": …}}``."""
    if opener == "[":
        return "[" * levels + "1" + "]" * levels
    return '{"a":' * levels + "1" + "}" * levels


TOO_DEEP = "Nội dung JSON lồng nhau sâu hơn 32 cấp; không có gì được đọc."


@pytest.mark.parametrize("levels", [33, 1000, 100_000])
@pytest.mark.parametrize("opener", ["[", "{"])
@pytest.mark.parametrize(("role", "method", "path"), [
    ("drafter", "PUT", "/api/v1/units/D1/reports/2026"),
    ("drafter", "POST", "/api/v1/units/D1/reports/2026/transitions"),
    ("consolidator", "POST", "/api/v1/units/D1/consolidations"),
])
def test_deeply_nested_json_is_a_clear_400(app: Flask, token_for, report_id: int,
                                           role: str, method: str, path: str, levels: int,
                                           opener: str) -> None:
    response = app.test_client().open(path, method=method, data=nested(levels, opener),
                                      content_type="application/json",
                                      headers={"Authorization": f"Bearer {token_for(role)}"})
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": "too_deep", "message": TOO_DEEP}}


def test_json_as_deep_as_allowed_reaches_the_view(app: Flask, token_for, report_id: int) -> None:
    response = app.test_client().put(
        "/api/v1/units/D1/reports/2026", data=nested(32, "{"),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for('drafter')}"})
    assert response.status_code == 200               # read, and nothing in it to save
    assert response.get_json()["status"] == "draft"


def test_an_api_body_over_2_mb_is_refused(app: Flask, token_for, report_id: int) -> None:
    body = json.dumps({"narrative": {"results": "x" * (2 * 1024 * 1024)}})
    response = app.test_client().put(
        "/api/v1/units/D1/reports/2026", data=body, content_type="application/json",
        headers={"Authorization": f"Bearer {token_for('drafter')}"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_with_a_body_takes_deep_json_cleanly(app: Flask, schema, role: str,
                                                             token_for, targets) -> None:
    """The fuzzing's depth pass: every operation that reads a body, every role, real ids."""
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(role)}"}
    ids = targets["own"]
    sent = 0
    for operation in operations(schema):
        if operation.method.upper() not in ("POST", "PUT", "PATCH"):
            continue
        path = operation.path
        for name, key in {"code": "code", "plan_id": "plan_id", "year": "year",
                          "consolidation_id": "consolidation_id",
                          "framework_id": "framework_id"}.items():
            path = path.replace("{" + name + "}", str(ids.get(key, 2026)))
        for levels in (33, 100_000):
            response = app.test_client().open(
                "/api/v1" + path, method=operation.method.upper(), data=nested(levels),
                content_type="application/json", headers=headers)
            label = f"{role}: {operation.method} {path} depth {levels}"
            assert response.status_code < 500, f"{label} -> {response.status_code}"
            assert response.is_json, label
            if role == "anonymous":
                assert response.status_code in (401, 404), label
            elif response.status_code == 400:
                assert response.get_json()["error"]["code"] == "too_deep", label
            sent += 1
    assert sent >= 6


# Values of the wrong type where the schema says a string, a number or an object: the
# schema-driven fuzzing above only sends what the schema allows.
WRONG_TYPES = [[], {}, [1, 2], {"a": 1}, 1, 1.5, True, None, "x" * 300]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
@pytest.mark.parametrize(("role", "method", "path", "field"), [
    ("drafter", "POST", "/api/v1/units/D1/reports/2026/transitions", "action"),
    ("drafter", "POST", "/api/v1/units/D1/reports/2026/transitions", "reason"),
    ("drafter", "PUT", "/api/v1/units/D1/reports/2026", "values"),
    ("drafter", "PUT", "/api/v1/units/D1/reports/2026", "tasks"),
    ("drafter", "PUT", "/api/v1/units/D1/reports/2026", "narrative"),
    ("consolidator", "POST", "/api/v1/units/D1/consolidations", "year"),
])
def test_a_value_of_the_wrong_type_is_a_clear_4xx(app: Flask, token_for, report_id: int,
                                                  role: str, method: str, path: str,
                                                  field: str, value: object) -> None:
    response = app.test_client().open(path, method=method, json={field: value},
                                      headers={"Authorization": f"Bearer {token_for(role)}"})
    assert response.status_code < 500, (field, value, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) >= {"code", "message"}


BIG = str(2**70)


@pytest.mark.parametrize("path", [
    f"/api/v1/units/D1/reports/{BIG}", f"/api/v1/consolidations/{BIG}",
    f"/api/v1/units/D1/aggregates?year={BIG}"])
def test_an_id_or_year_past_64_bits_is_not_found(app: Flask, token_for, path: str) -> None:
    response = app.test_client().get(path, headers={
        "Authorization": f"Bearer {token_for('consolidator')}"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", [f"/reports/{BIG}", f"/plans/{BIG}",
                                  f"/consolidations/{BIG}", f"/frameworks/{BIG}"])
def test_a_page_id_past_64_bits_is_not_found(login_as, path: str) -> None:
    assert login_as("consolidator").get(path).status_code == 404
