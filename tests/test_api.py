"""The JSON API: shapes of ENGINEERING.md § Interfaces, tokens, 404 outside reach."""

from __future__ import annotations

from flask import Flask

from portal.accounts.service import find_user, revoke_tokens
from portal.extensions import db
from tenants.scoping import system_scope


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_me(app: Flask, token_for) -> None:
    body = app.test_client().get("/api/v1/me", headers=bearer(token_for("leader"))).get_json()
    assert body["username"] == "u.leader"
    assert body["memberships"] == [{"unit": "D1", "role": "leader"}]


def test_unit_and_subtree_for_a_leader(app: Flask, token_for) -> None:
    client, headers = app.test_client(), bearer(token_for("leader"))
    unit = client.get("/api/v1/units/D1", headers=headers).get_json()
    assert sorted(unit.pop("children")) == ["C11", "C12"]
    assert unit == {"code": "D1", "name": "Huyện Một", "kind": "district", "parent": "P1"}
    listing = client.get("/api/v1/units?under=D1", headers=headers).get_json()
    assert listing["units"][0] == {"code": "D1", "name": "Huyện Một", "kind": "district",
                                   "parent": "P1"}
    assert {u["code"]: u["parent"] for u in listing["units"]} == {
        "D1": "P1", "C11": "D1", "C12": "D1"}


def test_a_drafter_sees_only_their_unit(app: Flask, token_for) -> None:
    client, headers = app.test_client(), bearer(token_for("drafter"))
    assert client.get("/api/v1/units/D1", headers=headers).get_json()["children"] == []
    assert [u["code"] for u in client.get("/api/v1/units?under=D1",
                                          headers=headers).get_json()["units"]] == ["D1"]
    for code in ("C11", "P1", "QD", "nope", "' OR 1=1 --"):
        response = client.get(f"/api/v1/units/{code}", headers=headers)
        assert response.status_code == 404
        assert response.get_json() == {"error": {
            "code": "not_found", "message": response.get_json()["error"]["message"]}}


def test_missing_wrong_and_revoked_tokens(app: Flask, world, token_for) -> None:
    client = app.test_client()
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=bearer("tcd_wrong")).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    token = token_for("leader")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with system_scope("test"):
        assert revoke_tokens(find_user("u.leader")) == 1
        db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_tokens_are_stored_hashed(app: Flask, token_for) -> None:
    from sqlalchemy import select

    from portal.accounts.api_token import ApiToken

    token = token_for("leader")
    with system_scope("test"):
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_the_api_ignores_session_cookies(app: Flask, login_as) -> None:
    client = login_as("leader")
    assert client.get("/units/D1").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_missing_under_is_a_clear_400(app: Flask, token_for) -> None:
    response = app.test_client().get("/api/v1/units", headers=bearer(token_for("leader")))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "missing_parameter"


def test_openapi_document_lists_every_api_route(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {"/api/v1" + path.replace("{code}", "<code>")
                  .replace("{framework_id}", "<int:framework_id>")
                  .replace("{plan_id}", "<int:plan_id>").replace("{year}", "<int:year>")
                  .replace("{consolidation_id}", "<int:consolidation_id>")
                  for path in document["paths"]}
    routes = {r.rule for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1") and r.endpoint != "api.openapi"}
    assert routes == documented


def test_openapi_names_every_report_action_and_status(app: Flask) -> None:
    """The transition endpoint takes the loop's six actions; a report has its six statuses."""
    from portal.reports.report import ReportStatus
    from portal.reports.workflow import TRANSITIONS

    document = app.test_client().get("/api/v1/openapi.json").get_json()
    body = document["paths"]["/units/{code}/reports/{year}/transitions"]["post"][
        "requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["action"]["enum"] == list(TRANSITIONS)
    report = document["components"]["schemas"]["Report"]["allOf"][1]
    assert report["properties"]["status"]["enum"] == [s.value for s in ReportStatus]


def test_each_token_has_a_rate_limit(app: Flask, token_for, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    client = app.test_client()
    mine = {"Authorization": f"Bearer {token_for('drafter')}"}
    statuses = [client.get("/api/v1/me", headers=mine).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/me", headers=mine)
    assert refused.get_json()["error"]["code"] == "rate_limited"
    # another token, from the same address, is counted apart
    other = {"Authorization": f"Bearer {token_for('leader')}"}
    assert client.get("/api/v1/me", headers=other).status_code == 200


def test_guessing_tokens_is_stopped_per_address(app: Flask, token_for, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "API_AUTH_FAILURE_LIMIT", "3 per minute")
    client = app.test_client()
    guesses = [client.get("/api/v1/me", environ_base={"REMOTE_ADDR": "10.7.7.7"},
                          headers={"Authorization": f"Bearer tcd_guess{n}"}).status_code
               for n in range(5)]
    assert guesses == [401, 401, 401, 429, 429]
    # a valid token from another address still works; successes are not counted as guesses
    good = {"Authorization": f"Bearer {token_for('drafter')}"}
    assert [client.get("/api/v1/me", headers=good).status_code for _ in range(5)] == [200] * 5
