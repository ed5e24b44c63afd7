"""Sign-in that does not starve the season (issue 22 item 3): argon2id at OWASP's
parameters, old hashes made again at sign-in, and at most k hashes at once per machine."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.low_level import Type
from flask import Flask
from sqlalchemy import select

from portal.accounts import hash_gate, passwords
from portal.accounts.user import User
from portal.extensions import db
from tenants.scoping import system_scope
from tests.conftest import PASSWORD, World, csrf_token


def test_the_default_parameters_meet_owasps_minimums() -> None:
    hasher = passwords._HASHERS["default"]
    assert hasher.type is Type.ID
    # OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 (or an equivalent trade-off)
    assert hasher.memory_cost >= 19 * 1024 and hasher.time_cost >= 2 and hasher.parallelism >= 1
    assert "$argon2id$v=19$m=19456,t=2,p=1$" in hasher.hash("Mat-khau-2025")


def test_an_old_hash_is_made_again_at_the_next_sign_in(app: Flask, world: World,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "PASSWORD_HASH_PROFILE", "default")
    with system_scope("test"):
        user = db.session.scalar(select(User).where(User.username == world.usernames["head"]))
        user.password_hash = PasswordHasher().hash(PASSWORD)   # argon2-cffi's defaults
        db.session.commit()
    client = app.test_client()
    response = client.post("/auth/login", data={"username": world.usernames["head"],
                                                "password": PASSWORD,
                                                "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    db.session.expire_all()
    with system_scope("test"):
        stored = db.session.scalar(select(User.password_hash)
                                   .where(User.username == world.usernames["head"]))
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords._HASHERS["default"].verify(stored, PASSWORD)


def _hold_every_slot(folder: Path, slots: int) -> list[int]:
    folder.mkdir(parents=True, exist_ok=True)
    held = []
    for i in range(slots):
        fd = os.open(folder / f"slot-{i}", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.append(fd)
    return held


def test_a_sign_in_finding_every_slot_taken_gets_a_polite_503(
        app: Flask, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "PASSWORD_HASH_SLOTS", 2)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_WAIT", 0.2)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_LOCK_DIR", str(tmp_path))
    held = _hold_every_slot(tmp_path, 2)   # as two other web processes hashing
    client = app.test_client()
    form = {"username": world.usernames["head"], "password": PASSWORD,
            "csrf_token": csrf_token(client)}
    started = time.monotonic()
    response = client.post("/auth/login", data=form)
    assert 0.2 <= time.monotonic() - started < 2
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert "thử lại sau giây lát" in response.get_data(as_text=True)
    with system_scope("test"):
        user = db.session.scalar(select(User).where(User.username == world.usernames["head"]))
        assert user.failed_logins == 0 and user.last_login_at is None  # nothing changed
    os.close(held.pop())                   # one of them finished
    response = client.post("/auth/login", data=form)
    assert response.status_code == 302
    for fd in held:
        os.close(fd)


def test_at_most_k_hashes_run_at_once(app: Flask, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "PASSWORD_HASH_SLOTS", 2)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_WAIT", 30)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_LOCK_DIR", str(tmp_path))
    running, most, lock = [0], [0], threading.Lock()
    real_hash = passwords._HASHERS["test"].hash

    def slow_hash(password: str) -> str:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        try:
            return real_hash(password)
        finally:
            with lock:
                running[0] -= 1

    class Slow:
        hash = staticmethod(slow_hash)

    monkeypatch.setitem(passwords._HASHERS, "test", Slow())

    def sign_up() -> None:
        with app.app_context():
            passwords.hash_password("Mat-khau-2025")

    threads = [threading.Thread(target=sign_up) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 2


def test_the_slot_is_freed_when_the_hash_fails(app: Flask, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "PASSWORD_HASH_SLOTS", 1)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_WAIT", 0)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_LOCK_DIR", str(tmp_path))
    assert not passwords.verify_password("not an argon2 hash", "x")
    with hash_gate.hashing_slot() as slot:
        assert slot == 0
