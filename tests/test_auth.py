"""Sign-in, sign-out, passwords, rate limits, cookies, redirects."""

from __future__ import annotations

from flask import Flask

from portal.accounts.passwords import verify_password
from portal.accounts.service import find_user
from portal.config import ProductionConfig
from portal.extensions import db
from tenants.scoping import system_scope
from tests.conftest import PASSWORD, csrf_token, login


def test_sign_in_and_out(app: Flask, world) -> None:
    client = app.test_client()
    response = login(client, "u.drafter")
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").location == "/units/D1"
    page = client.get("/units/D1").get_data(as_text=True)
    assert "Huyện Một" in page and "Người drafter" in page
    token = csrf_token(client, "/units/D1")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/units/D1").status_code == 302  # back to the sign-in page


def test_wrong_password_unknown_user_and_inactive_account_look_the_same(
        app: Flask, world) -> None:
    with system_scope("test"):
        find_user("u.head").active = False
        db.session.commit()
    answers = []
    for username, password in (("u.drafter", "wrong-password-1"), ("nobody.here", PASSWORD),
                               ("u.head", PASSWORD)):
        response = login(app.test_client(), username, password)
        answers.append((response.status_code,
                        "Tên đăng nhập hoặc mật khẩu không đúng" in response.get_data(
                            as_text=True)))
    assert answers == [(422, True)] * 3


def test_usernames_are_case_and_space_insensitive(app: Flask, world) -> None:
    assert login(app.test_client(), "  U.Drafter ").status_code == 302


def test_next_is_followed_only_on_this_site(app: Flask, world) -> None:
    for target, expected in (("/units/D1", "/units/D1"), ("https://evil.example/", "/"),
                             ("//evil.example/x", "/"), ("/\\evil.example", "/"),
                             ("javascript:alert(1)", "/")):
        client = app.test_client()
        token = csrf_token(client)
        response = client.post("/auth/login", data={
            "username": "u.drafter", "password": PASSWORD, "csrf_token": token,
            "next": target})
        assert response.location == expected, target


def test_login_is_rate_limited_per_address(app: Flask, world, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    client = app.test_client()
    env = {"REMOTE_ADDR": "10.9.9.9"}
    token = csrf_token(client)
    statuses = [client.post("/auth/login", environ_base=env, data={
        "username": "u.drafter", "password": "wrong-password-1", "csrf_token": token,
    }).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    blocked = client.post("/auth/login", environ_base=env, data={
        "username": "u.drafter", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    assert "quá nhiều lần" in blocked.get_data(as_text=True)
    # another address is not affected
    assert login(app.test_client(), "u.drafter").status_code == 302


def test_login_is_rate_limited_per_account_and_address(app: Flask, world, monkeypatch) -> None:
    """Refused sign-ins for one account from one address are limited; another address of
    the same account is not (a stranger's wrong passwords do not stop the owner), and
    successful sign-ins are not counted."""
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "2 per minute")

    def attempt(address: str, password: str) -> int:
        client = app.test_client()
        token = csrf_token(client)
        return client.post("/auth/login", environ_base={"REMOTE_ADDR": address}, data={
            "username": "u.leader", "password": password, "csrf_token": token}).status_code

    assert [attempt("10.0.0.1", "bad-pass-99") for _ in range(3)] == [422, 422, 429]
    assert attempt("10.0.0.1", PASSWORD) == 429          # that address, that account: held
    assert attempt("10.0.0.2", "bad-pass-99") == 422     # another address is counted apart
    assert [attempt("10.0.0.3", PASSWORD) for _ in range(3)] == [302, 302, 302]


def test_change_password(app: Flask, world, login_as) -> None:
    client = login_as("leader")
    other_session = login_as("leader")
    token = csrf_token(client, "/auth/password")

    def change(current: str, new: str, confirm: str | None = None):
        return client.post("/auth/password", data={
            "current": current, "new": new, "confirm": confirm or new, "csrf_token": token})

    bad = change("not-my-password-1", "Mot-mat-khau-moi-1")
    assert bad.status_code == 422 and "Mật khẩu hiện tại không đúng" in bad.get_data(as_text=True)
    short = change(PASSWORD, "ngan1")
    assert "ít nhất 10 ký tự" in short.get_data(as_text=True)
    mismatch = change(PASSWORD, "Mot-mat-khau-moi-1", "khac-han-2")
    assert "không khớp" in mismatch.get_data(as_text=True)
    assert change(PASSWORD, "Mot-mat-khau-moi-1").status_code == 302
    with system_scope("test"):
        assert verify_password(find_user("u.leader").password_hash, "Mot-mat-khau-moi-1")
    assert client.get("/units/D1").status_code == 200          # this session stays
    assert other_session.get("/units/D1").status_code == 302   # others are signed out


def test_session_cookie_flags(app: Flask, world) -> None:
    client = app.test_client()
    response = login(client, "u.drafter")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE


def test_production_refuses_to_start_without_a_secret(monkeypatch) -> None:
    import pytest

    from composition import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_clients_in_one_test_do_not_share_a_user(app: Flask, login_as) -> None:
    leader = login_as("leader")
    anonymous = app.test_client()
    assert leader.get("/units/C11").status_code == 200
    assert anonymous.get("/units/C11").status_code == 302
    assert login_as("drafter").get("/units/C11").status_code == 404


def test_rate_limits_live_in_redis_when_configured(app: Flask, world) -> None:
    """In CI (REDIS_URL set) the counters are shared through real Redis."""
    import os

    import pytest

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set; the limiter uses memory")
    import redis

    assert app.config["RATELIMIT_STORAGE_URI"] == url
    connection = redis.Redis.from_url(url)
    login(app.test_client(), "u.drafter", "wrong-password-1")
    keys = [k.decode() for k in connection.keys("*")]
    connection.close()
    assert any("login" in k for k in keys), keys


def test_too_many_failures_lock_the_account_until_released(app, world, login_as) -> None:
    client = app.test_client()
    for _attempt in range(app.config["LOCKOUT_ATTEMPTS"]):
        assert login(client, "u.drafter", "Sai-mat-khau-1").status_code == 422
    # locked: even the right password is refused, with the same words
    refused = login(client, "u.drafter")
    assert refused.status_code == 422
    assert "bị khóa" in refused.get_data(as_text=True)
    with system_scope("test"):
        user = find_user("u.drafter")
        assert user.locked_until is not None
    # an administrator of the unit releases it
    admin = login_as("admin")
    token = csrf_token(admin, "/auth/password")
    admin.post("/unit-admin/user_account/action/", data={
        "action": "unlock", "rowid": [str(user.id)], "csrf_token": token})
    assert login(app.test_client(), "u.drafter").status_code == 302


def test_a_temporary_password_is_changed_before_anything_else(app, world) -> None:
    with system_scope("test"):
        find_user("u.leader").must_change_password = True
        db.session.commit()
    client = app.test_client()
    assert login(client, "u.leader").headers["Location"].endswith("/auth/password")
    for page in ("/units/D1", "/units/D1/dashboard", "/notifications"):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/auth/password"), page
    assert client.get("/auth/password").status_code == 200
