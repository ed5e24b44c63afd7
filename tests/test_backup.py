"""The backup is tested by restoring it: scripts/backup.sh of a live installation, then
scripts/restore.sh into a new database, which must hold the same rows, be at the same
migration, keep row-level security for the app role, and serve a sign-in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text

from tests.live import ROOT

pytestmark = pytest.mark.postgres

UNITS = """code,name,type,level,parent_code
77,Tỉnh Sao Lưu,tỉnh,1,
770,Huyện Một,huyện,2,77
77001,Xã Một,xã,3,770
77002,Xã Hai,xã,3,770
"""
TABLES = ("unit", "unit_closure", "user_account", "membership", "audit_entry",
          "alembic_version")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        found = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar()  # noqa: S608
                 for t in TABLES}
        found["revision"] = connection.execute(text("SELECT version_num FROM alembic_version")
                                               ).scalar()
    engine.dispose()
    return found


def test_a_backup_restores_into_a_new_database_that_serves(tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.fail("pg_dump and pg_restore come with PostgreSQL's client (postgresql-client)")
    owner = os.environ["MIGRATION_DATABASE_URL"]
    app_url = os.environ["DATABASE_URL"]
    source, restored = "portal_backup_source", "portal_backup_restored"
    for name in (source, restored):
        subprocess.run([str(ROOT / "scripts/pg-setup.sh"), name, "--recreate"], check=True,
                       capture_output=True)
    evidence = tmp_path / "evidence"
    (evidence / "ab").mkdir(parents=True)
    (evidence / "ab" / "ab12").write_bytes(b"%PDF-1.4 minh chung")
    env = {**os.environ, "FLASK_APP": "composition:create_app", "PORTAL_ENV": "development",
           "DATABASE_URL": with_database(app_url, source),
           "MIGRATION_DATABASE_URL": with_database(owner, source),
           "EVIDENCE_DIR": str(evidence)}
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    for step in (["db", "upgrade"], ["units", "import", str(tmp_path / "units.csv")],
                 ["users", "create", "saoluu.xa", "--unit", "77001", "--role", "drafter",
                  "--password", "Sao-luu-2026!"]):
        subprocess.run([sys.executable, "-m", "flask", *step], env=env, cwd=ROOT, check=True,
                       capture_output=True)

    done = subprocess.run([str(ROOT / "scripts/backup.sh"), str(tmp_path / "backups")],
                          env=env, check=True, capture_output=True, text=True)
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert (folder / "database.dump").stat().st_size > 0
    restore_env = {**env, "MIGRATION_DATABASE_URL": with_database(owner, restored),
                   "DATABASE_URL": with_database(app_url, restored),
                   "EVIDENCE_DIR": str(tmp_path / "evidence-restored")}
    subprocess.run([str(ROOT / "scripts/restore.sh"), str(folder)], env=restore_env,
                   check=True, capture_output=True)

    before = counts(with_database(owner, source))
    after = counts(with_database(owner, restored))
    assert after == before and before["unit"] == 4 and before["audit_entry"] > 0
    assert (tmp_path / "evidence-restored" / "ab" / "ab12").read_bytes().startswith(b"%PDF")
    # row-level security came back: the app role sees no unit outside a request's reach
    engine = create_engine(with_database(app_url, restored).replace(
        "postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM unit")).scalar() == 0
    engine.dispose()
    # and the restored installation serves: its account signs in, as the app role
    script = ("from composition import create_app\n"
              "app = create_app()\n"
              "c = app.test_client()\n"
              "import re\n"
              "page = c.get('/auth/login').get_data(as_text=True)\n"
              "token = re.search(r'name=\"csrf_token\" (?:type=\"hidden\" )?value=\"([^\"]+)\"',"
              " page)[1]\n"
              "r = c.post('/auth/login', data={'csrf_token': token, 'username': 'saoluu.xa',"
              " 'password': 'Sao-luu-2026!'})\n"
              "print(r.status_code, c.get('/units/77001').status_code)\n")
    served = subprocess.run([sys.executable, "-c", script], env=restore_env, cwd=ROOT,
                            check=True, capture_output=True, text=True)
    assert served.stdout.split()[-2:] == ["302", "200"], served.stdout + served.stderr
