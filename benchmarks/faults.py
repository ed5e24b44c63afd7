"""PostgreSQL restarted under load: requests fail cleanly and recover without restarting
the app, and no write is lost or half-made.

Starts gunicorn on the database of DATABASE_URL (the data of benchmarks/season_data.py),
signs in officers, and has them autosave their reports and read their pages from
several threads; after a few seconds restarts the PostgreSQL cluster
(``pg_ctlcluster … restart``, so: not in CI, and on a machine whose other databases may
blink). Prints, second by second, what the officers got, then checks every report
against the last write each officer was told was saved.

    DATABASE_URL=postgresql://portal_app:portal_app@127.0.0.1/portal_season \
    SEASON_DATA=/tmp/season/season.json FAULTS_RESTART_CLUSTER=15/main \
    .venv/bin/python benchmarks/faults.py

The cluster restarted is the one DATABASE_URL really points at: found by its port in
``pg_lsclusters`` (:func:`cluster_for`), on this machine only; anything else (a remote
host, no cluster or two on that port, a cluster that is down) is refused, saying why.
Restarting a cluster cuts every database on it, so the script also refuses unless
FAULTS_RESTART_CLUSTER names that very cluster (``version/name``). After the restart it
checks, through DATABASE_URL, that the server's start time changed: a restart that did
not reach the app's database is a failure, never a success.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
THREADS, SECONDS, RESTART_AT = 8, 30, 8
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VERSION = re.compile(r'id="version-narrative-results" value="(\d+)"')


LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


class ClusterRefused(Exception):
    """The script will not restart a PostgreSQL cluster; the message says why."""


@dataclass(frozen=True)
class Cluster:
    version: str
    name: str
    port: int
    status: str

    @property
    def label(self) -> str:
        return f"{self.version}/{self.name}"


def parse_lsclusters(output: str) -> list[Cluster]:
    """The clusters of ``pg_lsclusters --no-header`` (a header line is skipped too)."""
    clusters = []
    for line in output.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[0] == "Ver" or not fields[2].isdigit():
            continue
        clusters.append(Cluster(fields[0], fields[1], int(fields[2]), fields[3]))
    return clusters


def cluster_for(database_url: str, lsclusters_output: str) -> Cluster:
    """The local cluster DATABASE_URL points at, or ClusterRefused saying why not."""
    if not database_url:
        raise ClusterRefused("DATABASE_URL is not set: which database would the fault hit?")
    parts = urlsplit(database_url)
    if not parts.scheme.startswith("postgres"):
        raise ClusterRefused(f"DATABASE_URL is not PostgreSQL ({parts.scheme or 'no scheme'})")
    host = parts.hostname or ""
    if host.startswith("%2f") or host.startswith("%2F"):
        host = unquote(host)
    if host not in LOCAL_HOSTS and not host.startswith("/"):
        raise ClusterRefused(f"DATABASE_URL points at {host}, not this machine: "
                             "pg_ctlcluster can restart only a local cluster")
    port = parts.port or 5432
    clusters = parse_lsclusters(lsclusters_output)
    on_port = [c for c in clusters if c.port == port]
    if not on_port:
        found = ", ".join(f"{c.label} on {c.port}" for c in clusters) or "none"
        raise ClusterRefused(f"no local cluster listens on port {port}, the port of "
                             f"DATABASE_URL (clusters here: {found})")
    if len(on_port) > 1:
        raise ClusterRefused(f"{len(on_port)} clusters are configured on port {port} "
                             f"({', '.join(c.label for c in on_port)}): cannot tell which "
                             "one the app uses")
    cluster = on_port[0]
    if cluster.status != "online":
        raise ClusterRefused(f"cluster {cluster.label} on port {port} is {cluster.status}, "
                             "not online: the app is not using it now")
    return cluster


def consented(cluster: Cluster, consent: str | None) -> None:
    """Restarting cuts every database of the cluster: it must be named, not guessed."""
    if consent != cluster.label:
        raise ClusterRefused(
            f"DATABASE_URL is on cluster {cluster.label} (port {cluster.port}); restarting "
            "it cuts every database on it, other people's included. Set "
            f"FAULTS_RESTART_CLUSTER={cluster.label} to confirm"
            + (f" (it says {consent!r})" if consent else ""))


def server_started(database_url: str) -> str:
    """pg_postmaster_start_time() of the server DATABASE_URL reaches."""
    import psycopg

    url = "postgresql://" + database_url.split("://", 1)[1]
    with psycopg.connect(url, connect_timeout=5) as connection:
        return str(connection.execute("SELECT pg_postmaster_start_time()").fetchone()[0])


class Officer:
    def __init__(self, base: str, account: dict, password: str):
        self.base, self.report = base, account["report_id"]
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.call("/auth/login")[1]
        self.call("/auth/login", {"csrf_token": TOKEN.search(page)[1],
                                  "username": account["username"], "password": password})
        self.reload()
        self.saved: str | None = None        # the last text the server said it saved

    def call(self, path: str, data: dict | None = None, hx: bool = False) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"User-Agent": "portal-faults", **({"HX-Request": "true"} if hx else {})}
        try:
            with self.opener.open(urllib.request.Request(self.base + path, body, headers),
                                  timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return 0, ""                     # no answer at all: the worst outcome

    def reload(self) -> int:
        status, page = self.call(f"/reports/{self.report}")
        if status == 200:
            self.token = TOKEN.search(page)[1]
            self.version = VERSION.search(page)[1]
            self.editable = f'hx-post="/reports/{self.report}/narrative' in page
        return status

    def autosave(self, text: str) -> int:
        status, body = self.call(f"/reports/{self.report}/narrative/results", {
            "csrf_token": self.token, "version": self.version, "text": text}, hx=True)
        if status == 200:
            self.saved = text
            self.version = VERSION.search(body)[1] if VERSION.search(body) else self.version
        elif status == 409:
            self.reload()
        return status


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    try:
        lsclusters = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True,
                                    text=True, check=True).stdout
        cluster = cluster_for(database_url, lsclusters)
        consented(cluster, os.environ.get("FAULTS_RESTART_CLUSTER"))
    except (ClusterRefused, OSError, subprocess.CalledProcessError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    started_before = server_started(database_url)
    data = json.loads(Path(os.environ.get("SEASON_DATA", "/tmp/season/season.json")).read_text())
    env = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": "faults",
           "LOG_LEVEL": "WARNING", "LOGIN_RATE_LIMIT": "100000 per minute",
           "FLASK_APP": "composition:create_app"}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b",
                               f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                              cwd=ROOT, env=env, stderr=open("/tmp/faults-gunicorn.log", "w"))  # noqa: SIM115
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        officers = []              # officers whose report is still in draft (editable)
        for account in data["officers"]:
            officer = Officer(base, account, data["password"])
            if officer.editable:
                officers.append(officer)
            if len(officers) == THREADS:
                break
        seconds: dict[int, Counter] = defaultdict(Counter)
        started = time.monotonic()
        stop = threading.Event()

        def work(officer: Officer, n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                second = int(time.monotonic() - started)
                status = officer.autosave(f"Lần ghi {n}-{i}") if i % 3 else officer.reload()
                seconds[second][status] += 1
                time.sleep(0.05)

        if not officers:
            print("refused: no officer has a report still in draft to autosave",
                  file=sys.stderr)
            return 2
        threads = [threading.Thread(target=work, args=(o, n)) for n, o in enumerate(officers)]
        for thread in threads:
            thread.start()
        time.sleep(RESTART_AT)
        t0 = time.monotonic()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster.version,
                        cluster.name, "restart", "-m", "fast"], check=True)
        restart = time.monotonic() - t0
        time.sleep(SECONDS - RESTART_AT)
        stop.set()
        for thread in threads:
            thread.join()
        started_after = server_started(database_url)
        print(f"{len(officers)} officers autosaving and reading for {SECONDS} s; PostgreSQL "
              f"cluster {cluster.label} (port {cluster.port}) restarted at {RESTART_AT} s "
              f"(took {restart:.1f} s); gunicorn never restarted")
        if started_after == started_before:
            print("FAILED: the app's database server was not restarted (its start time "
                  f"is still {started_before}): the fault never reached it")
            return 1
        print("second  answers (status: count)")
        total: Counter = Counter()
        for second in sorted(seconds):
            total.update(seconds[second])
            print(f"{second:>6}  " + ", ".join(f"{s or 'no answer'}: {c}"
                                               for s, c in sorted(seconds[second].items())))
        print("total   " + ", ".join(f"{s or 'no answer'}: {c}" for s, c in sorted(total.items())))
        after = [s for s in sorted(seconds) if s > RESTART_AT + restart + 1]
        recovered = all(set(seconds[s]) <= {200, 409} for s in after)
        print(f"500 answers: {total[500]}; no answer: {total[0]}; "
              f"all answers 200 again from second {int(RESTART_AT + restart + 1)}: {recovered}")
        # nothing lost, nothing half-made: each report holds the last text said to be saved
        lost = 0
        for officer in officers:
            status = officer.reload()
            page = officer.call(f"/reports/{officer.report}")[1]
            if status != 200 or (officer.saved and officer.saved not in page):
                lost += 1
        print(f"reports whose last saved text is missing afterwards: {lost} of {len(officers)}")
        return 0 if recovered and not lost and not total[500] else 1
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
