"""Behind PgBouncer in transaction mode (issue 22 item 5): the tenant context is
transaction-local and never leaks from one client's transaction to another's on the
same server connection; psycopg prepares no statement there.

A private PgBouncer with ONE server connection (tests/private_postgres.py) in front of
the test database, so that every transaction below runs on the same PostgreSQL backend.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from composition import create_app
from portal.config import TestingConfig
from portal.extensions import db
from tenants import rls
from tenants.scoping import Scope, use_scope
from tests.private_postgres import pgbouncer

pytestmark = pytest.mark.postgres


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="module")
def bouncer_url() -> Iterator[str]:
    with pgbouncer(os.environ["DATABASE_URL"], pool_size=1) as url:
        yield url


@pytest.fixture
def two_units() -> Iterator[tuple[int, int]]:
    """Two committed units (made as the owner, outside the test's rolled-back transaction,
    as the bouncer's connection cannot see that one)."""
    tag = uuid.uuid4().hex[:8]
    with psycopg.connect(os.environ["MIGRATION_DATABASE_URL"], autocommit=True) as owner:
        ids = tuple(owner.execute(
            "INSERT INTO unit (code, name, search_name, kind) VALUES (%s, %s, %s, 'unit')"
            " RETURNING id", (f"PGB-{tag}-{n}", f"Đơn vị {n}", f"don vi {n}")).fetchone()[0]
            for n in ("a", "b"))
        try:
            yield ids  # type: ignore[misc]
        finally:
            owner.execute("DELETE FROM unit WHERE id = ANY(%s)", (list(ids),))


@pytest.fixture
def engine(bouncer_url: str) -> Iterator[Engine]:
    engine = create_engine(_psycopg(bouncer_url), connect_args={"prepare_threshold": None})
    rls.install(engine)
    yield engine
    engine.dispose()


def _visible(connection, ids: tuple[int, int]) -> set[int]:
    return set(connection.execute(text("SELECT id FROM unit WHERE id = ANY(:ids)"),
                                  {"ids": list(ids)}).scalars())


@pytest.mark.rls
def test_interleaved_transactions_on_one_server_connection_never_see_each_others_unit(
        engine: Engine, two_units: tuple[int, int]) -> None:
    a, b = two_units
    seen: dict[str, object] = {}
    a_in_transaction, b_waiting = threading.Event(), threading.Event()

    def client_a() -> None:
        with use_scope(Scope(units=frozenset({a}))), engine.begin() as connection:
            seen["a_pid"] = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            seen["a_first"] = _visible(connection, two_units)
            a_in_transaction.set()
            b_waiting.wait(5)
            time.sleep(0.3)     # B's transaction is queued at the bouncer meanwhile
            seen["a_second"] = _visible(connection, two_units)
            seen["a_committed"] = time.monotonic()

    def client_b() -> None:
        a_in_transaction.wait(5)
        with use_scope(Scope(units=frozenset({b}))):
            b_waiting.set()
            with engine.begin() as connection:
                seen["b_pid"] = connection.execute(text("SELECT pg_backend_pid()")).scalar()
                seen["b_started"] = time.monotonic()
                seen["b"] = _visible(connection, two_units)

    threads = [threading.Thread(target=client_a), threading.Thread(target=client_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # a third client, no scope at all, then A's own connection again with no scope
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        leftovers = connection.execute(text(
            "SELECT coalesce(current_setting('app.unit_ids', true), ''),"
            " coalesce(current_setting('app.scope_all', true), '')")).one()
        nothing = _visible(connection, two_units)
    assert seen["a_pid"] == seen["b_pid"] == pid          # one server connection for all
    assert seen["b_started"] > seen["a_committed"]       # B ran between A's transactions
    assert seen["a_first"] == seen["a_second"] == {a}
    assert seen["b"] == {b}
    assert tuple(leftovers) == ("", "") and nothing == set()


def test_a_session_level_setting_would_leak_there(bouncer_url: str) -> None:
    """Why it must be transaction-local: the same bouncer hands a session-level setting
    of one client to the next one (the check above would catch such a change)."""
    with psycopg.connect(bouncer_url, autocommit=True, prepare_threshold=None) as one:
        one.execute("SELECT set_config('app.unit_ids', '424242', false)")
    try:
        with psycopg.connect(bouncer_url, autocommit=True, prepare_threshold=None) as other:
            leaked = other.execute("SELECT current_setting('app.unit_ids', true)").fetchone()
        assert leaked == ("424242",)
    finally:
        with psycopg.connect(bouncer_url, autocommit=True, prepare_threshold=None) as any_:
            any_.execute("RESET app.unit_ids")


def test_the_app_behind_a_transaction_pooler_prepares_no_statement(bouncer_url: str) -> None:
    pooled = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=bouncer_url,
                        DATABASE_TRANSACTION_POOLER=True)
    with pooled.app_context():
        one, two = db.engine.connect(), db.engine.connect()
        assert one.connection.driver_connection.prepare_threshold is None  # type: ignore[union-attr]
        try:
            # the same statement again and again from two clients: psycopg would prepare
            # it after 5 runs, and the second client would find the name taken
            for _ in range(8):
                for connection in (one, two):
                    with connection.begin():
                        assert connection.execute(text("SELECT count(*) FROM unit WHERE id > :n"),
                                                  {"n": 0}).scalar() is not None
        finally:
            one.close()
            two.close()
        db.engine.dispose()


def test_without_that_setting_psycopg_fails_behind_the_pooler(bouncer_url: str) -> None:
    """The failure the setting prevents, shown on the same bouncer."""
    one = psycopg.connect(bouncer_url, prepare_threshold=0)
    two = psycopg.connect(bouncer_url, prepare_threshold=0)
    try:
        with pytest.raises(psycopg.errors.DuplicatePreparedStatement):
            for _ in range(3):
                for connection in (one, two):
                    connection.execute("SELECT count(*) FROM unit WHERE id > %s", (0,))
                    connection.commit()
    finally:
        one.close()
        two.close()


def test_the_tenant_settings_are_sent_as_set_local_in_the_transaction(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The form Citus propagates to its workers (docs/operations.md § Ready for Citus):
    ``SET LOCAL`` before the transaction's first statement, gone after its commit."""
    sent: list[str] = []
    make = rls.set_local_sql

    def recorded(wanted: tuple[str, str, str]) -> str:
        sent.append(make(wanted))
        return sent[-1]

    monkeypatch.setattr(rls, "set_local_sql", recorded)
    with use_scope(Scope(units=frozenset({7, 11}), subtree_roots=frozenset({3}))), \
            engine.begin() as connection:
        inside = connection.execute(text(
            "SELECT current_setting('app.unit_ids', true),"
            " current_setting('app.unit_roots', true)")).one()
    with engine.begin() as connection:   # the same server connection (one in the pool)
        after = connection.execute(text(
            "SELECT coalesce(current_setting('app.unit_ids', true), '')")).scalar()
    assert tuple(inside) == ("7,11", "3")
    assert after == ""
    assert sent[0] == ("SET LOCAL app.scope_all = ''; SET LOCAL app.unit_roots = '3';"
                       " SET LOCAL app.unit_ids = '7,11'")


@pytest.mark.parametrize("value", ["1; RESET ALL", "1'--", "on,1", " 1", "-1"])
def test_a_value_settings_for_cannot_make_is_refused_before_it_is_quoted(value: str) -> None:
    with pytest.raises(ValueError):
        rls.set_local_sql(("", value, ""))
