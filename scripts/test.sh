#!/usr/bin/env bash
# The test command. SQLite by default; PostgreSQL and Redis when DATABASE_URL and
# REDIS_URL say so (.ci/run does). On PostgreSQL the suite runs a second time with
# the ORM guard switched off, to prove row-level security alone keeps units apart.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
export PORTAL_ENV=testing

.venv/bin/ruff check composition portal tenants blueprints tests wsgi.py
.venv/bin/lint-imports   # the layers contracts of pyproject.toml ([tool.importlinter])
.venv/bin/mypy composition portal tenants blueprints
.venv/bin/pytest "$@"

case "${DATABASE_URL:-}" in
  postgres*)
    echo "== again with the ORM guard off: PostgreSQL row-level security alone =="
    TENANT_ORM_GUARD=off .venv/bin/pytest -m "not browser" "$@"
    ;;
esac
