"""Fixtures: one migrated database per run, each test inside a rolled-back transaction.

SQLite by default; PostgreSQL when DATABASE_URL says so (then the app connects as
the non-owner role and migrations run as MIGRATION_DATABASE_URL, see .ci/run).
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, select

from composition import create_app
from portal.config import TestingConfig
from portal.extensions import db, limiter
from tenants.scoping import system_scope
from tenants.unit import Unit

# The browser tests' live deployment, chromium and helpers (tests/browsing.py).
pytest_plugins = ["tests.browsing"]

PASSWORD = "Mat-khau-2025"


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def guard_on() -> bool:
    return os.environ.get("TENANT_ORM_GUARD", "on").lower() not in {"0", "off", "false", "no"}


def pytest_configure(config):
    if not guard_on() and not on_postgres():
        pytest.exit("TENANT_ORM_GUARD=off proves PostgreSQL row-level security; without "
                    "PostgreSQL no layer would be left. Set DATABASE_URL.", returncode=4)


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist reads the groups (its own hook)
def pytest_collection_modifyitems(config, items):
    # The browser tests share one live deployment (tests/browsing.py). The journeys of
    # PRODUCT.md (tests/test_browser.py) start from the bare demo, as a new installation
    # is; the other browser modules run after them, on what the journeys left (the
    # accessibility pass, for one, fills the province with reports).
    items.sort(key=lambda item: item.module.__name__ != "tests.test_browser"
               if "browser" in item.keywords else False)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("browser"))
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a fresh context, as in production.

    pytest-flask keeps a request context pushed for the whole test; without this,
    requests would share its app context, so ``g`` (Flask-Login's cached user, the
    CSRF token) and the database session would leak from one request to the next.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3"))
    application = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url,
                             TENANT_ORM_GUARD=guard_on(),
                             EVIDENCE_DIR=str(tmp_path_factory.mktemp("evidence")))
    application.test_client_class = IsolatedClient
    with application.app_context():
        flask_migrate.upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter does


@contextmanager
def _bound_to(connection: Connection) -> Iterator[None]:
    """Make every session and ``engine.connect()`` use ``connection``; app commits become
    savepoints inside its transaction."""
    engine = db.engine
    with mock.patch.object(engine, "connect", lambda: connection), \
            mock.patch.object(connection, "close", lambda: None), \
            mock.patch.object(connection, "begin", connection.begin_nested), \
            mock.patch.dict(db.session.session_factory.kw,
                            {"join_transaction_mode": "create_savepoint"}):
        db.session.remove()
        yield
        db.session.remove()


def _shares_world(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("shared_world") is not None


@pytest.fixture(autouse=True)
def _isolate(app: Flask, request: pytest.FixtureRequest) -> Iterator[None]:
    """Run the test in a transaction that is rolled back; app commits become savepoints.
    In a module marked ``shared_world``, the test's transaction is a savepoint inside the
    module's, so each test starts from the world as it was built."""
    shared = request.getfixturevalue("shared_world") if _shares_world(request) else None
    with app.app_context():
        connection = shared.connection if shared else db.engine.connect()
        outer = connection.begin_nested() if shared else connection.begin()
        with _bound_to(connection):
            limiter.reset()
            yield
        outer.rollback()
        if shared is None:
            connection.close()


@dataclass
class SharedWorld:
    world: World
    targets: dict[str, dict]
    connection: Connection


@pytest.fixture(scope="module")
def shared_world(app: Flask) -> Iterator[SharedWorld]:
    """The world and the permission matrix's objects, built once for a module marked
    ``pytestmark = pytest.mark.shared_world`` — for modules whose tests share the same
    large set-up (the permission matrix, the hostile requests, the API fuzzing). There
    ``world`` and ``targets`` are this fixture's, and each test runs in a savepoint of
    the module's transaction (``_isolate``), rolled back after it: what one test
    changes the next never sees."""
    from tests.builders import build_targets

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        with _bound_to(connection):
            world = make_world()
            built = SharedWorld(world, build_targets(world), connection)
    try:
        yield built
    finally:
        outer.rollback()
        connection.close()


# ---- data ------------------------------------------------------------------------

TREE_CSV = """code,name,type,level,parent_code
P1,Tỉnh Một,tỉnh,1,
D1,Huyện Một,huyện,2,P1
C11,Xã Một Một,xã,3,D1
C12,Xã Ân Thi Một,xã,3,D1
D2,Huyện Hai,huyện,2,P1
C21,Xã Hai Một,xã,3,D2
Q1,Tỉnh Khác,tỉnh,1,
QD,Huyện Khác,huyện,2,Q1
QC,Xã Khác,xã,3,QD
"""

ROLES = ("drafter", "head", "reviewer", "consolidator", "leader", "admin", "clerk")


@dataclass
class World:
    """Two provinces; one account per role, each holding its role in district D1."""

    unit_ids: dict[str, int]
    usernames: dict[str, str]  # role (or "platform", "nobody") -> username


def make_world() -> World:
    from portal.accounts.service import create_user, grant
    from tenants.tree import add_unit, import_units, read_unit_csv

    with system_scope("test data"):
        import_units(read_unit_csv(TREE_CSV.encode()))
        add_unit("P1.SKHCN", "Sở Khoa học và Công nghệ", "department", "P1")
        units = {u.code: u for u in db.session.scalars(select(Unit))}
        usernames = {}
        for role in ROLES:
            user = create_user(f"u.{role}", PASSWORD, full_name=f"Người {role}")
            grant(user, units["D1"], role)
            usernames[role] = user.username
        create_user("u.platform", PASSWORD, platform_admin=True)
        usernames["platform"] = "u.platform"
        create_user("u.nobody", PASSWORD)
        usernames["nobody"] = "u.nobody"
        db.session.commit()
        ids = {code: unit.id for code, unit in units.items()}
    return World(unit_ids=ids, usernames=usernames)


@pytest.fixture
def world(request: pytest.FixtureRequest) -> World:
    if _shares_world(request):
        return request.getfixturevalue("shared_world").world
    return make_world()


@pytest.fixture
def targets(world: World, request: pytest.FixtureRequest) -> dict[str, dict]:
    """The permission matrix's objects per target (tests.builders.build_targets)."""
    from tests.builders import build_targets

    if _shares_world(request):
        return request.getfixturevalue("shared_world").targets
    return build_targets(world)


@pytest.fixture
def province(world: World) -> int:
    """The dashboard's small province P1 (tests.builders.build_dashboard_province): its
    framework id. tests/test_aggregate.py defines a province of its own."""
    from tests.builders import build_dashboard_province

    return build_dashboard_province()


@pytest.fixture
def plan_id(world: World) -> int:
    """District D1's plan implementing province P1's framework (a draft)."""
    from portal.plans.service import start_plan
    from tests.builders import framework, make_framework

    fid = make_framework("P1")
    with system_scope("test"):
        plan = start_plan(db.session.scalar(select(Unit).where(Unit.code == "D1")),
                          framework(fid), None)
        db.session.commit()
        return plan.id


@pytest.fixture
def mailbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder e-mails are written to (no MAIL_SERVER): read it with builders.read_mail."""
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path / "mail"))
    return tmp_path / "mail"


@pytest.fixture
def count_queries(app: Flask) -> Callable[[Callable[[], object]], int]:
    """count_queries(action) -> how many SQL statements ``action()`` sent to the database."""

    def _count(action: Callable[[], object]) -> int:
        statements: list[str] = []

        def listener(connection, cursor, statement, *rest) -> None:
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            action()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    return _count


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                   r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/auth/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    token = csrf_token(client)
    return client.post("/auth/login", data={"username": username, "password": password,
                                            "csrf_token": token})


@pytest.fixture
def login_as(app: Flask, world: World):
    """login_as(role) -> a test client signed in as that role's account."""

    def _login(role: str) -> FlaskClient:
        client = app.test_client()
        if role != "anonymous":
            response = login(client, world.usernames[role])
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


@pytest.fixture
def token_for(world: World):
    from portal.accounts.service import find_user, issue_token

    def _token(role: str) -> str:
        with system_scope("test token"):
            token = issue_token(find_user(world.usernames[role]))
            db.session.commit()
        return token

    return _token


@pytest.fixture
def report_id(world) -> int:
    """District D1's 2026 report on province P1's plan, with D1's plan issued."""
    from sqlalchemy import select

    from portal.frameworks.period import ReportingPeriod
    from portal.plans.service import start_plan
    from portal.reports.service import open_report
    from tenants.unit import Unit
    from tests.builders import framework, make_framework

    fid = make_framework("P1")
    with system_scope("test"):
        unit = db.session.scalar(select(Unit).where(Unit.code == "D1"))
        plan = start_plan(unit, framework(fid), None)
        plan.revisions[-1].status = "issued"
        period = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == fid, ReportingPeriod.year == 2026))
        report = open_report(unit, period, None)
        db.session.commit()
        return report.id


@pytest.fixture
def province_reviewer(world: World) -> str:
    """A reviewer of province P1 — the level that receives district D1's report and plan
    (PRODUCT.md § Roles); ``login_as``/``token_for`` take the name returned."""
    from sqlalchemy import select

    from portal.accounts.service import create_user, grant
    from tenants.unit import Unit

    with system_scope("test data"):
        user = create_user("u.p1.reviewer", PASSWORD, full_name="Người duyệt của tỉnh")
        grant(user, db.session.scalar(select(Unit).where(Unit.code == "P1")), "reviewer")
        db.session.commit()
    world.usernames["province reviewer"] = "u.p1.reviewer"
    return "province reviewer"


@dataclass
class NationalWorld:
    """The ministry above two provinces (issue 21), apart from ``world``'s units so no
    count there changes: ministry BKHCN (kind nation) above provinces NA and NB, each with
    a district and a commune; a consolidator and a leader of the ministry, a leader of NA."""

    unit_ids: dict[str, int]
    usernames: dict[str, str]


NATIONAL_UNITS = [("BKHCN", "Bộ Khoa học và Công nghệ", "nation", None),
                  ("NA", "Tỉnh Bắc A", "province", "BKHCN"),
                  ("NA.D1", "Huyện A Một", "district", "NA"),
                  ("NA.C11", "Xã A Một Một", "commune", "NA.D1"),
                  ("NB", "Tỉnh Nam B", "province", "BKHCN"),
                  ("NB.D1", "Huyện B Một", "district", "NB"),
                  ("NB.C11", "Xã B Một Một", "commune", "NB.D1")]


@pytest.fixture
def national_world(world: World) -> NationalWorld:
    from portal.accounts.service import create_user, grant
    from tenants.tree import add_unit

    with system_scope("test data"):
        units = {code: add_unit(code, name, kind, parent)
                 for code, name, kind, parent in NATIONAL_UNITS}
        people = {"ministry consolidator": ("u.bo.tonghop", "BKHCN", "consolidator"),
                  "ministry leader": ("u.bo.lanhdao", "BKHCN", "leader"),
                  "province leader": ("u.na.lanhdao", "NA", "leader"),
                  "province admin": ("u.na.quantri", "NA", "admin")}
        for role, (username, code, granted) in people.items():
            grant(create_user(username, PASSWORD, full_name=role), units[code], granted)
            world.usernames[role] = username
        db.session.commit()
        ids = {code: unit.id for code, unit in units.items()}
    return NationalWorld(unit_ids=ids, usernames=world.usernames)
