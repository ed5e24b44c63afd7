"""A live deployment for the end-to-end tests: its own database, migrated and loaded with
the demo, a web server, and — when Redis is available (CI) — an RQ worker."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Live:
    env: dict[str, str]
    workdir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    url: str = ""
    # the test PKI the signing journey uses (tests.signing_pki.configure_live)
    signing: dict = field(default_factory=dict)

    def script(self, code: str, *args: str) -> str:
        """Run Python ``code`` against the deployment's database (its environment and
        working directory); its standard output."""
        done = subprocess.run([sys.executable, "-c", code, *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def flask(self, *args: str, **kwargs) -> subprocess.Popen:
        with open(self.workdir / f"{args[0]}-{len(self.processes)}.log", "w") as log:
            # the child keeps its own copy of the descriptor
            process = subprocess.Popen([sys.executable, "-m", "flask", *args], env=self.env,
                                       cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, **kwargs)
        self.processes.append(process)
        return process

    def start_server(self) -> str:
        port = free_port()
        self.flask("run", "--port", str(port), "--no-reload")
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                urllib.request.urlopen(self.url + "/auth/login", timeout=1)
                return self.url
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def start_worker(self) -> subprocess.Popen:
        return self.flask("worker")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        ARTIFACTS.mkdir(exist_ok=True)
        for log in self.workdir.glob("*.log"):
            (ARTIFACTS / log.name).write_text(log.read_text())


def _empty_postgresql(url: str, app_role: str) -> None:
    """Drop everything the schema owner made, so each live deployment starts afresh."""
    from sqlalchemy import create_engine, text

    engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    with engine.begin() as connection:
        connection.execute(text("DROP OWNED BY CURRENT_USER"))
        # DROP OWNED also drops the owner's default privileges: give them back
        # (as scripts/pg-setup.sh sets them).
        for objects, privileges in (("TABLES", "SELECT, INSERT, UPDATE, DELETE"),
                                    ("SEQUENCES", "USAGE, SELECT")):
            connection.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                                    f'GRANT {privileges} ON {objects} TO "{app_role}"'))
    engine.dispose()


def prepare(workdir: Path, *, redis_db: int | None = None, step_delay: float = 0,
            redis_url: str | None = None, seed_args: tuple[str, ...] = (),
            sqlite: bool = False) -> Live:
    """Migrate and seed a database of its own; Redis database ``redis_db`` of REDIS_URL, or
    the Redis at ``redis_url``, if asked.

    ``seed_args`` are those of ``flask demo seed``: none loads today's demo (new Hưng
    Yên, December 2026, with its history); the journeys of PRODUCT.md and the drills pass
    ``("--legacy",)`` — they start from old Hưng Yên, whose districts review their
    communes, with the demo's units and accounts of before 1 July 2025. ``sqlite`` keeps
    the deployment in SQLite even when E2E_DATABASE_URL names PostgreSQL (that database
    belongs to the shared deployment of tests/browsing.py)."""
    env = {**os.environ, "PORTAL_ENV": "development", "FLASK_APP": "composition:create_app",
           "SECRET_KEY": "live-test", "CONSOLIDATION_STEP_DELAY": str(step_delay),
           "EVIDENCE_DIR": str(workdir / "evidence"),
           # every journey signs in from 127.0.0.1: the per-address limit of production
           # (10 a minute, tested in test_auth) would refuse the later journeys
           "LOGIN_RATE_LIMIT": "300 per minute"}
    if os.environ.get("E2E_DATABASE_URL") and not sqlite:
        env["DATABASE_URL"] = os.environ["E2E_DATABASE_URL"]
        env["MIGRATION_DATABASE_URL"] = os.environ.get("E2E_MIGRATION_DATABASE_URL", "")
        _empty_postgresql(env["MIGRATION_DATABASE_URL"] or env["DATABASE_URL"],
                          app_role=urlsplit(env["DATABASE_URL"]).username or "portal_app")
    else:
        env["DATABASE_URL"] = "sqlite:///" + str(workdir / "live.db")
        env.pop("MIGRATION_DATABASE_URL", None)
    if redis_url is None and redis_db is not None and os.environ.get("REDIS_URL"):
        redis_url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + f"/{redis_db}"
    if redis_url:
        env["REDIS_URL"] = redis_url
        from redis import Redis

        connection = Redis.from_url(env["REDIS_URL"])
        connection.flushdb()
        connection.close()
    else:
        env.pop("REDIS_URL", None)
    for step in (["db", "upgrade"], ["demo", "seed", *seed_args]):
        subprocess.run([sys.executable, "-m", "flask", *step], env=env, cwd=ROOT,
                       check=True, capture_output=True)
    return Live(env=env, workdir=workdir)


class Visitor:
    """A person without a browser: cookies, CSRF tokens and plain HTTP against a Live."""

    TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = ""

    def request(self, path: str, data: dict | None = None,
                headers: dict | None = None) -> tuple[int, str, str]:
        """(status, body, final url); redirects followed, errors returned, not raised."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.url

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request(path)

    def post(self, path: str, **data: str) -> tuple[int, str, str]:
        return self.request(path, {"csrf_token": self.token, **data})

    def sign_in(self, username: str, password: str) -> Visitor:
        _, page, _ = self.get("/auth/login")
        self.token = self.TOKEN.search(page)[1]
        status, _, url = self.post("/auth/login", username=username, password=password)
        assert "/auth/login" not in url, f"{username} could not sign in ({status})"
        _, page, _ = self.get("/auth/password")     # a new session: its own token
        self.token = self.TOKEN.search(page)[1]
        return self
