#!/usr/bin/env bash
# One command to try the platform: SQLite in instance/, in-process jobs, demo data,
# served on http://127.0.0.1:${PORT:-5000}. Demo accounts are listed in the README.
set -euo pipefail
cd "$(dirname "$0")/.."
# First of all, scripts/setup.sh checks the prerequisites (Python 3.11+, npm) and names
# in one line what is missing.
scripts/setup.sh
export PORTAL_ENV=${PORTAL_ENV:-development}
export FLASK_APP=composition:create_app
.venv/bin/flask db upgrade
# Today's Hưng Yên (December 2026) with its history: the legacy units and their June 2025
# plans, the 1 July 2025 reorganization, the new communes' plans and 2025–2026 reports
# (docs/demo.md). `flask demo seed --legacy` loads old Hưng Yên alone instead.
.venv/bin/flask demo seed
# Embedded mode has no scheduler: send today's reminders now (nobody is told twice;
# e-mails are written to instance/mail). In production the worker or cron does this.
.venv/bin/flask reminders send
echo "Serving on http://127.0.0.1:${PORT:-5000} (Ctrl-C to stop)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
