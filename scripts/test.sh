#!/usr/bin/env bash
# The test command. SQLite by default; PostgreSQL and Redis when DATABASE_URL and
# REDIS_URL say so (.ci/run does). On PostgreSQL the suite runs twice more, so that
# each tenancy layer is proven by itself (docs/tenancy.md § Each layer alone):
#   - with the ORM guard off: PostgreSQL row-level security alone keeps units apart;
#   - as portal_bypass (BYPASSRLS) with the guard on: the ORM guard alone does.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
export PORTAL_ENV=testing

.venv/bin/ruff check composition portal tenants blueprints tests wsgi.py
.venv/bin/lint-imports   # the layers contracts of pyproject.toml ([tool.importlinter])
.venv/bin/mypy composition portal tenants blueprints

# Two pytest-xdist workers, one per core (TEST_WORKERS=1: one process, no xdist). Each
# worker has databases of its own (tests/conftest.py): on PostgreSQL they are made here,
# the configured names with _gw0, _gw1, … appended, by scripts/pg-setup.sh (which needs
# the server's superuser, as .ci/run has; elsewhere set TEST_WORKERS=1).
workers=${TEST_WORKERS:-2}
parallel=()
if [ "$workers" -gt 1 ]; then
  parallel=(-n "$workers" --dist loadgroup)
  case "${DATABASE_URL:-}" in
    postgres*)
      for ((i = 0; i < workers; i++)); do
        for url in "$DATABASE_URL" "${E2E_DATABASE_URL:-}"; do
          [ -n "$url" ] || continue
          name=${url##*/}
          scripts/pg-setup.sh "${name%%\?*}_gw$i" --recreate
        done
      done
      ;;
  esac
fi
if [ "$workers" -gt 1 ] && [ $# -eq 0 ]; then
  # The job-recovery drills time worker processes against Redis outages and kills: beside
  # a second test worker on a 2-core machine they miss their deadlines, so they run alone,
  # in one process, after the rest.
  # (--durations: the slowest tests in the log, where the run's time goes)
  .venv/bin/pytest "${parallel[@]}" --ignore=tests/test_job_recovery.py --durations=25
  .venv/bin/pytest tests/test_job_recovery.py
else
  .venv/bin/pytest "${parallel[@]}" "$@"
fi

# The passes that prove one tenancy layer alone leave out the suites that read no tenant
# data through the app's scope, which would only run the same code again: parsers and
# their properties, the corpus read three ways (OCR), the translations, the CSS contrast,
# the Word export's linearity, the fresh clone (its own SQLite), upload archives (refused
# before anything is read or stored), the Citus catalogue check, the job-recovery drills
# with their own worker processes and Redis, the fault script's cluster choice, the
# faults drills (Redis stopped, the database gone: they prove recovery, through pages the
# other suites run under each layer), and the organisation's key on a PKCS#11 token (its
# tests read one record through pages tested elsewhere).
SAME_IN_EVERY_PASS=(--ignore=tests/test_parser.py --ignore=tests/test_properties.py
  --ignore=tests/test_corpus.py --ignore=tests/test_translations.py
  --ignore=tests/test_contrast.py --ignore=tests/test_export_linear.py
  --ignore=tests/test_fresh_clone.py --ignore=tests/test_uploads.py
  --ignore=tests/test_citus_check.py --ignore=tests/test_job_recovery.py
  --ignore=tests/test_faults_script.py --ignore=tests/test_faults.py
  --ignore=tests/test_signing_pkcs11.py)

case "${DATABASE_URL:-}" in
  postgres*)
    echo "== again with the ORM guard off: PostgreSQL row-level security alone =="
    TENANT_ORM_GUARD=off .venv/bin/pytest "${parallel[@]}" -m "not browser" "${SAME_IN_EVERY_PASS[@]}" "$@"
    echo "== again as a role that bypasses row-level security: the ORM guard alone =="
    # Same database, same rights as portal_app, but BYPASSRLS (scripts/pg-setup.sh).
    # Left out: the tests that assert row-level security itself (marker rls), which this
    # role skips on purpose (the passes above run them), and the backup's restore.
    bypass_url=$(printf '%s' "$DATABASE_URL" |
      sed -E "s#^(postgres[a-z+]*://)[^@]*@#\1portal_bypass:${PORTAL_BYPASS_PASSWORD:-portal_bypass}@#")
    DATABASE_URL=$bypass_url TENANT_RLS=bypassed .venv/bin/pytest "${parallel[@]}" -m "not browser and not rls" \
      "${SAME_IN_EVERY_PASS[@]}" \
      --deselect tests/test_backup.py::test_a_backup_restores_into_a_new_database_that_serves \
      "$@"
    ;;
esac
