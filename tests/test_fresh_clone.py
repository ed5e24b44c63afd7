"""The project carries its own data and says what it lacks (issue 13 item 1).

The repository's committed HEAD is cloned into an empty folder with no ``../shared`` beside
it; the demo is migrated, seeded and reorganized from there, with this venv's Python but
the clone's source. ``scripts/setup.sh`` and ``scripts/run.sh`` name in one line what is missing.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_USERNAMES = {"canbo.xa", "chutich.xa", "chuyenvien.skhcn", "canbo.skhcn",
                  "giamdoc.skhcn", "tonghop.skhcn", "lanhdao.tinh", "quantri.tinh", "vanhanh",
                  "tonghop.bo", "lanhdao.bo"}
LEGACY_USERNAMES = {"canbo.xa", "chutich.xa", "chuyenvien.huyen", "lanhdao.huyen",
                    "canbo.skhcn", "giamdoc.skhcn", "tonghop.skhcn", "lanhdao.tinh",
                    "quantri.tinh", "vanhanh"}
# Runs the Flask command line after printing where the app factory and the domain came from.
FLASK_FROM_HERE = ("import sys, composition.app, portal; print(composition.app.__file__); "
                   "print(portal.__file__); from flask.cli import main; main()")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fresh")
    target = folder / "tcdlcl-portal"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True,
                   capture_output=True)
    assert sorted(p.name for p in folder.iterdir()) == ["tcdlcl-portal"]  # no ../shared
    return target


def clone_env(clone: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL",
                          "PORTAL_DATA_DIR", "RATELIMIT_STORAGE_URI", "FLASK_APP",
                          "TENANT_ORM_GUARD", "E2E_DATABASE_URL", "E2E_MIGRATION_DATABASE_URL"}}
    env.update(PORTAL_ENV="development", FLASK_APP="composition:create_app",
               SECRET_KEY="fresh-clone", PYTHONPATH=str(clone))
    return env


def flask(clone: Path, *args: str, database: str | None = None) -> list[str]:
    env = clone_env(clone)
    if database:                                # another SQLite file in the clone's instance
        env["DATABASE_URL"] = f"sqlite:///{clone / 'instance' / database}"
    done = subprocess.run([sys.executable, "-c", FLASK_FROM_HERE, *args], cwd=clone,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [str(clone / "composition" / "app.py"),   # the clone's code ran
                         str(clone / "portal" / "__init__.py")]
    return lines[2:]


def test_the_data_is_in_the_clone(clone: Path) -> None:
    assert sorted(p.name for p in (clone / "portal" / "data").iterdir()) == [
        "KH-108-UBND-2025.txt", "QD-1703-TTg-2024.txt", "README.md", "__init__.py",
        "admin-units-vn-2025-07.csv", "admin-units-vn-legacy-2025-01.csv",
        "reorg-2025-07-hung-yen.csv"]
    # the way a path to ../shared was spelled (ROOT.parent / "shared" / "data"); none left
    spelled = subprocess.run(["git", "grep", "-n", "-F", '/ "shared"', "--", "*.py", "*.sh",
                              "Makefile", ":!tests/test_fresh_clone.py"],
                             cwd=clone, capture_output=True, text=True)
    assert (spelled.returncode, spelled.stdout) == (1, "")       # 1: git grep found nothing


def test_demo_seed_in_a_fresh_clone(clone: Path) -> None:
    flask(clone, "db", "upgrade")
    assert flask(clone, "demo", "seed") == [        # today's Hưng Yên, with its history
        "national plan 1703/QĐ-TTg: loaded as framework 1, published; Báo cáo của tỉnh "
        "gửi Bộ Khoa học và Công nghệ: by 15/12 each year",
        "units until 30/06/2025 (the ministry, old Hưng Yên, old Thái Bình, bodies): "
        "411 added",
        "Plan 108 framework: loaded as framework 2, published, with 5 validation rules",
        "Plan 108 implements 1703/QĐ-TTg: 9 indicators mapped to the national ones",
        "plans under Plan 108 in June 2025: 32 issued, 6 with the chair, 10 drafts",
        "reorganization of 01/07/2025 (with lineage): 104 units created, 381 closed, "
        "19 units above closed, 2 roles moved, 40 plans kept by the old units",
        "demo accounts of today's structure: 9 created (password HungYen@2025)",
        "plans of the new communes from July 2025: 99 started",
        "reports 2025: 101 accepted, 8 missing, 3 submitted",
        "reports 2026: 32 accepted, 17 draft, 16 missing, 8 returned, 33 submitted, "
        "6 with the chair",
    ]
    database = clone / "instance" / "portal.sqlite3"             # the clone's own instance
    with sqlite3.connect(database) as connection:
        units = connection.execute("SELECT kind, valid_to IS NULL, count(*) FROM unit "
                                   "GROUP BY kind, valid_to IS NULL").fetchall()
        usernames = {row[0] for row in connection.execute("SELECT username FROM user_account")}
        links, plans, reports = connection.execute(
            "SELECT (SELECT count(*) FROM unit_lineage), (SELECT count(*) FROM unit_plan), "
            "(SELECT count(*) FROM unit_report)").fetchone()
    assert {(kind, bool(now)): n for kind, now, n in units} == {
        ("nation", True): 1, ("province", True): 1, ("commune", True): 104,
        ("department", True): 9,
        ("province", False): 1, ("district", False): 18, ("commune", False): 381}
    assert usernames == DEMO_USERNAMES
    assert (links, plans, reports) == (400, 147, 200)
    assert flask(clone, "demo", "reports") == [
        "demo reports: today's demo has its plans and reports already"]

    # the legacy demo, and the other default of the command line: the official 2025
    # mapping, from the clone too
    flask(clone, "db", "upgrade", database="legacy.sqlite3")
    assert flask(clone, "demo", "seed", "--legacy", database="legacy.sqlite3") == [
        "units of Hưng Yên: 150 added, 0 already present",
        "departments and bodies: 9 added, 0 already present",
        "demo accounts: 10 created (password HungYen@2025)",
        "Plan 108 framework: loaded as framework 1, published, with 5 validation rules",
    ]
    with sqlite3.connect(clone / "instance" / "legacy.sqlite3") as connection:
        units = connection.execute("SELECT kind, count(*) FROM unit GROUP BY kind").fetchall()
        usernames = {row[0] for row in connection.execute("SELECT username FROM user_account")}
    assert dict(units) == {"province": 1, "district": 10, "commune": 139, "department": 9}
    assert usernames == LEGACY_USERNAMES
    assert flask(clone, "demo", "reorganize", database="legacy.sqlite3") == [
        "units of Thái Bình: 251 added, 0 already present",
        "reorganization of 01/07/2025: 104 units created, 381 closed, 19 units above closed, "
        "2 memberships moved, 2 to review",
        "  to review: chuyenvien.huyen: reviewer @ 325",
        "  to review: lanhdao.huyen: leader @ 325",
    ]


def tool_folder(tmp_path: Path, python: str | None, npm: bool) -> str:
    """A PATH holding only bash, dirname and the given python3 and npm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname"):
        (bin_dir / tool).symlink_to(next(Path(d) / tool for d in ("/usr/bin", "/bin")
                                         if (Path(d) / tool).exists()))
    if python == "current":
        (bin_dir / "python3").symlink_to(sys.executable)
    elif python is not None:                                    # a python3 of that version
        (bin_dir / "python3").write_text(f"#!/bin/sh\necho {python}\n")
        (bin_dir / "python3").chmod(0o755)
    if npm:
        (bin_dir / "npm").write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / "npm").chmod(0o755)
    return str(bin_dir)


@pytest.mark.parametrize(("script", "python", "npm", "line"), [
    ("setup.sh", "current", False, "missing: npm (Node.js) - install it and try again"),
    ("run.sh", "current", False, "missing: npm (Node.js) - install it and try again"),
    ("setup.sh", "3.9", True,
     "missing: Python 3.11 to 3.13 (python3 is 3.9) - install it and try again"),
    ("run.sh", None, False,
     "missing: Python 3.11 to 3.13 (python3 is not on PATH); npm (Node.js) - install them "
     "and try again"),
])
def test_scripts_name_what_is_missing_in_one_line(
        clone: Path, tmp_path: Path, script: str, python: str | None, npm: bool,
        line: str) -> None:
    env = {"PATH": tool_folder(tmp_path, python, npm), "HOME": str(tmp_path)}
    done = subprocess.run(["/bin/bash", str(clone / "scripts" / script)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", line + "\n")
    assert not (clone / ".venv").exists() and not (clone / "node_modules").exists()
