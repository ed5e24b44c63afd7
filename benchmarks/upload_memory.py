"""Benchmark: the memory an upload costs a worker — hostile files against normal ones.

Each case runs in its own subprocess (a fresh interpreter, as a fresh worker): the app
is built on a temporary SQLite database with the test tree and accounts, the file is
read from disk (built beforehand by the parent, so building it costs the child nothing),
and one request sends it through the test client. The child prints its peak RSS
(``resource.getrusage``) before and after the request; the parent prints each case's
growth next to the growth of a normal upload of the same kind, measured in the same run.

    .venv/bin/python benchmarks/upload_memory.py

The stated bound (docs/frameworks.md § Uploads): no upload request grows a worker by
more than 150 MB above its size before the request.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BOUND_MB = 150

from tests import hostile_files as files  # noqa: E402 - after the path to the checkout

DOCX, XLSX = "docx: normal plan (400 items)", "xlsx: normal import (4,000 rows)"
# case -> (file builder, target, role, file name, baseline case)
CASES = {
    DOCX: (lambda: files.plain_docx(400), "framework", "consolidator", "kh.docx", None),
    "docx: largest accepted (6.9 MB XML)": (lambda: files.docx_largest(6.9), "framework",
                                            "consolidator", "lon.docx", DOCX),
    "docx: 100 MB of XML": (lambda: files.docx_bomb(100), "framework", "consolidator",
                            "bom.docx", DOCX),
    "docx: billion laughs": (files.docx_laughs, "framework", "consolidator", "lol.docx", DOCX),
    "docx: 3,000 parts": (files.zip_of_parts, "framework", "consolidator", "parts.docx", DOCX),
    XLSX: (lambda: files.plain_xlsx(4000), "accounts", "admin", "tai-khoan.xlsx", None),
    "xlsx: 500,000 rows": (lambda: files.xlsx_rows(500_000), "accounts", "admin", "rows.xlsx",
                           XLSX),
    "xlsx: 50,000 distinct rows": (lambda: files.xlsx_rows(50_000, distinct=True), "accounts",
                                   "admin", "rows.xlsx", XLSX),
    "xlsx: DOCTYPE entity": (files.xlsx_entity, "accounts", "admin", "lol.xlsx", XLSX),
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: KiB


def only(names: list[str]) -> None:
    """Run only the named cases (and their baselines): ``--only "docx: 100 MB of XML"``."""
    for name in [n for n in CASES if n not in names and n not in
                 {CASES[m][4] for m in names}]:
        del CASES[name]


def child(target: str, role: str, path: str, filename: str) -> None:
    """One upload in this process; prints {status, before, after} as JSON."""
    import io

    os.environ.setdefault("PORTAL_ENV", "testing")
    import flask_migrate

    from composition import create_app
    from portal.config import TestingConfig
    from tests.conftest import IsolatedClient, csrf_token, login, make_world

    database = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
                     EVIDENCE_DIR=str(database.parent / "evidence"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        flask_migrate.upgrade()
        world = make_world()
    data = Path(path).read_bytes()
    client = app.test_client()
    login(client, world.usernames[role])
    if target == "framework":
        url, field, page = "/units/D1/frameworks", "document", "/units/D1/frameworks"
    else:
        url, field, page = "/unit-admin/import-accounts/", "file", "/auth/password"
    token = csrf_token(client, page)
    client.get(page)                       # warm: templates compiled, modules imported
    before = peak_mb()
    response = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": token, field: (io.BytesIO(data), filename)})
    after = peak_mb()
    print(json.dumps({"status": response.status_code, "before": before, "after": after,
                      "size_kb": len(data) / 1024}))


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    results: dict[str, dict] = {}
    for name, (builder, target, role, filename, _baseline) in CASES.items():
        path = folder / filename
        path.write_bytes(builder())
        out = subprocess.run(  # noqa: S603 - this interpreter, this script
            [sys.executable, __file__, "--child", target, role, str(path), filename],
            capture_output=True, text=True, check=True, cwd=ROOT,
            env={**os.environ, "PORTAL_ENV": "testing"})
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{'case':36} {'file':>9} {'status':>6} {'before':>8} {'peak':>8} {'growth':>8} "
          f"{'vs normal':>10}")
    worst = 0.0
    for name, (_b, _t, _r, _f, baseline) in CASES.items():
        r = results[name]
        growth = r["after"] - r["before"]
        worst = max(worst, growth)
        versus = "" if baseline is None else \
            f"{growth - (results[baseline]['after'] - results[baseline]['before']):+8.1f}"
        print(f"{name:36} {r['size_kb']:7.0f}KB {r['status']:>6} {r['before']:7.1f}M "
              f"{r['after']:7.1f}M {growth:7.1f}M {versus:>10}")
    print(f"largest growth of a request: {worst:.1f} MB; stated bound: {BOUND_MB} MB — "
          + ("holds" if worst <= BOUND_MB else "EXCEEDED"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:6])
    else:
        if sys.argv[1:2] == ["--only"]:
            only(sys.argv[2:])
        main()
