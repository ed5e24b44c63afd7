"""Private PostgreSQL servers for the scale-out tests (issue 22): a PgBouncer in
transaction mode in front of the test database, and a primary with a streaming replica,
each on free ports in a temporary folder of its own. The machine's own cluster and its
configuration are never touched (the bouncer only connects to it as a client).

PostgreSQL and PgBouncer refuse to run as root; as root these run as the postgres user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.getuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


def _folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    if os.getuid() == 0:
        shutil.chown(folder, "postgres")
    return folder


def with_port(url: str, port: int, database: str | None = None) -> str:
    head, _, rest = url.partition("@")
    _hostport, _, path = rest.partition("/")
    return f"{head}@127.0.0.1:{port}/{database or path}"


@contextmanager
def pgbouncer(target_url: str, pool_size: int = 1) -> Iterator[str]:
    """A private PgBouncer (transaction mode, ``pool_size`` server connections) in front
    of ``target_url``'s database; yields ``target_url`` pointed at it."""
    folder = _folder("portal-pgbouncer-")
    try:
        port = subprocess.run([str(ROOT / "scripts/pgbouncer.sh"), "start", str(folder),
                               target_url, str(pool_size)], check=True,
                              capture_output=True, text=True).stdout.strip()
        yield with_port(target_url, int(port))
    finally:
        subprocess.run([str(ROOT / "scripts/pgbouncer.sh"), "stop", str(folder)], check=False)
        time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Cluster:
    folder: Path
    port: int

    def url(self, user: str, database: str) -> str:
        return f"postgresql://{user}:{user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        return subprocess.run([str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                               "-U", "postgres", "-d", database, "-tAX", "-v",
                               "ON_ERROR_STOP=1", "-c", sql], check=True,
                              capture_output=True, text=True).stdout.strip()

    def stop(self) -> None:
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                      "stop"], timeout=60)


def _start(folder: Path, port: int) -> Cluster:
    _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-w", "-t", "60",
                  "-l", str(folder / "log"), "-o", f"-p {port} -k {folder}", "start"],
                 timeout=90)
    return Cluster(folder, port)


@contextmanager
def primary_and_replica(database: str) -> Iterator[tuple[Cluster, Cluster]]:
    """A private primary (initdb'd here, trust on loopback, the platform's roles and
    ``database`` made by scripts/pg-setup.sh) and a streaming replica of it made by
    ``pg_basebackup -R``; both stopped and removed afterwards."""
    root = _folder("portal-replication-")
    primary_dir, replica_dir = root / "primary", root / "replica"
    started: list[Cluster] = []
    try:
        for d in (primary_dir, replica_dir):
            d.mkdir()
            if os.getuid() == 0:
                shutil.chown(d, "postgres")
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(primary_dir / "data"), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                     timeout=120)
        with (primary_dir / "data/postgresql.conf").open("a") as conf:
            conf.write("listen_addresses = '127.0.0.1'\nwal_level = replica\n"
                       "max_wal_senders = 4\nfsync = off\nshared_buffers = 32MB\n"
                       "max_connections = 60\n")
        with (primary_dir / "data/pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        primary = _start(primary_dir, free_port())
        started.append(primary)
        env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(primary.port),
               "PGUSER": "postgres"}
        subprocess.run([str(ROOT / "scripts/pg-setup.sh"), database], check=True, env=env,
                       capture_output=True, text=True)
        _as_postgres([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                      "-U", "postgres", "-D", str(replica_dir / "data"), "-R", "-X", "stream",
                      "-c", "fast",
                      "--no-sync"], timeout=120)
        replica = _start(replica_dir, free_port())
        started.append(replica)
        yield primary, replica
    finally:
        for cluster in reversed(started):
            with suppress(subprocess.SubprocessError):
                cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
