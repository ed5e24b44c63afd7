#!/usr/bin/env bash
# Report season under load, on this machine, on loopback, for a bounded time, in two
# models (benchmarks/season_locustfile.py says what each person does):
#
#   open    requests arrive at Poisson times at the rate OFFICERS officers and LEADERS
#           leaders would make (whether or not the server keeps up);
#   closed  each person waits for the answer, thinks, clicks again;
#
# both with the value, narrative and task autosaves, evidence uploads, Word and Excel
# exports (the consolidation's built in the background: prepare, poll, download), the
# report pages and the leaders' dashboards, and one consolidation of the province run
# during the window — against gunicorn + PostgreSQL + Redis + an RQ worker. Every person
# signs in first, paced; the window (WINDOW seconds) starts when the last has. Then, in
# the same run, each model's baseline: the same load on a bare Flask route doing one
# query (benchmarks/bare_app.py) behind the same gunicorn. Prints p50/p95/p99 per kind of
# request, errors, and the ratios to the baseline (benchmarks/season_report.py).
#
#   scripts/pg-setup.sh portal_season --recreate
#   DATABASE_URL=postgresql://portal_app:portal_app@127.0.0.1/portal_season \
#   MIGRATION_DATABASE_URL=postgresql://portal_owner:portal_owner@127.0.0.1/portal_season \
#   REDIS_URL=redis://127.0.0.1:6379/9 benchmarks/season_load.sh [--pgbouncer] [--short]
#
# --pgbouncer  the app, the worker and the baseline through a private PgBouncer in
#              transaction mode (scripts/pgbouncer.sh, POOL server connections, default
#              8) with DATABASE_TRANSACTION_POOLER=1; the data is prepared directly.
# --short      CI's version: one province's data (10 officers, 2 leaders), a 20 s window
#              per model and baseline; exits 1 on any error (never on latency).
#
# Settings: MODELS ("open closed"), OFFICERS and LEADERS (default: all the data has, 300
# and 20), WINDOW (s, default 300), SIGNIN_RATE (open model, sign-ins a second, default
# 2), SPAWN (closed model, people started a second, default 2), WORKERS (gunicorn
# processes, default 4), DRAIN (s, default 30), OUT (default /tmp/season). The data is
# made once (OUT/season.json) and reset before each model's run.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?a new PostgreSQL database (see the header)}"
: "${REDIS_URL:?Redis, for the consolidation jobs and the rate limits}"
bouncer=0 short=0
for arg in "$@"; do
  case "$arg" in
    --pgbouncer) bouncer=1 ;;
    --short) short=1 ;;
    *) echo "usage: $0 [--pgbouncer] [--short]" >&2; exit 2 ;;
  esac
done
data_args=()
if [ "$short" = 1 ]; then
  WINDOW=${WINDOW:-20} OFFICERS=${OFFICERS:-10} LEADERS=${LEADERS:-2} DRAIN=${DRAIN:-60}
  SIGNIN_RATE=${SIGNIN_RATE:-4} SPAWN=${SPAWN:-4} WORKERS=${WORKERS:-2}
  data_args=(--provinces 33 --officers "$OFFICERS" --leaders "$LEADERS")
fi
export WINDOW=${WINDOW:-300} SIGNIN_RATE=${SIGNIN_RATE:-2} DRAIN=${DRAIN:-30}
export OFFICERS=${OFFICERS:-} LEADERS=${LEADERS:-}
WORKERS=${WORKERS:-4} SPAWN=${SPAWN:-2} MODELS=${MODELS:-open closed} POOL=${POOL:-8}
export OUT=${OUT:-/tmp/season}
mkdir -p "$OUT"
[ -x .venv/bin/locust ] || .venv/bin/pip install --quiet -e ".[load]"

export FLASK_APP=composition:create_app SEASON_DATA="$OUT/season.json"
# development: cookies without Secure, as loopback is plain HTTP; the rest as production
export PORTAL_ENV=development SECRET_KEY=season-load LOG_LEVEL=WARNING
# every simulated person signs in from 127.0.0.1: the per-address limit would refuse them
export LOGIN_RATE_LIMIT="100000 per minute" LOGIN_ACCOUNT_RATE_LIMIT="1000 per minute"
export EVIDENCE_DIR="$OUT/evidence"

if [ ! -s "$SEASON_DATA" ]; then
  echo "== preparing the data ${data_args[*]} =="
  /usr/bin/time -f "prepared in %e s" .venv/bin/python benchmarks/season_data.py \
    "$SEASON_DATA" "${data_args[@]}" | grep -v '^INFO'
fi
# People counted as in the data unless told (the locustfile reads the same variables)
people=$(.venv/bin/python -c "import json, os; d = json.load(open('$SEASON_DATA'))
print(int(os.environ.get('OFFICERS') or len(d['officers'])) + int(os.environ.get('LEADERS') or len(d['leaders'])))")

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
pids=()
bouncer_dir=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
}
trap 'cleanup; [ -z "$bouncer_dir" ] || scripts/pgbouncer.sh stop "$bouncer_dir"' EXIT

direct_url=$DATABASE_URL
app_url=$DATABASE_URL
via="PostgreSQL directly"
if [ "$bouncer" = 1 ]; then
  bouncer_dir=$(mktemp -d); chmod 755 "$bouncer_dir"; bouncer_dir="$bouncer_dir/pgbouncer"
  bouncer_port=$(scripts/pgbouncer.sh start "$bouncer_dir" "$DATABASE_URL" "$POOL")
  app_url=$(scripts/pgbouncer.sh url "$DATABASE_URL" "$bouncer_port")
  via="PgBouncer, transaction mode, $POOL server connections"
  export DATABASE_TRANSACTION_POOLER=1
fi

serve() {  # serve APP [PATH]: gunicorn on $port, wait until PATH answers
  DATABASE_URL=$app_url .venv/bin/gunicorn -w "$WORKERS" -b "127.0.0.1:$port" --timeout 60 \
    --log-level warning --access-logfile /dev/null "$1" 2>>"$OUT/gunicorn.log" &
  pids+=($!)
  for _ in $(seq 150); do curl -fs -o /dev/null "$base${2:-/health}" && return; sleep 0.2; done
  echo "the server did not start (see $OUT/gunicorn.log)" >&2; exit 1
}

swarm() {  # swarm RUN USERS RATE CLASSES...: one headless Locust run, figures in OUT/RUN_*
  # (its time limit is only a safety net: the window ends the run)
  local run=$1 users=$2 rate=$3; shift 3
  local limit
  limit=$(awk -v p="$people" -v r="$SIGNIN_RATE" -v s="$SPAWN" -v w="$WINDOW" -v d="$DRAIN" \
    'BEGIN { print int(4 * p / (r < s ? r : s) + w + d + 900) }')
  rm -f "$OUT/${run}_stats.json" "$OUT/${run}_signins.json" "$OUT/${run}_notes.json"
  RUN=$run .venv/bin/locust -f benchmarks/season_locustfile.py --headless --only-summary \
    -u "$users" -r "$rate" -t "${limit}s" --host "$base" "$@" >"$OUT/$run.log" 2>&1 || true
}

for model in $MODELS; do
  echo "== $model model: $people people, window ${WINDOW} s, $WORKERS gunicorn workers, $via =="
  DATABASE_URL=$direct_url .venv/bin/python benchmarks/season_data.py "$SEASON_DATA" --reset \
    | grep -v '^INFO' || true
  redis-cli -u "$REDIS_URL" flushdb >/dev/null
  serve wsgi:app
  DATABASE_URL=$app_url .venv/bin/flask worker >"$OUT/worker.log" 2>&1 & pids+=($!)
  if [ "$model" = open ]; then
    swarm open 2 2 Arrivals Consolidator
  else
    swarm closed $(( people + 1 )) "$SPAWN" Officer Leader Consolidator
  fi
  cleanup; pids=()
  echo "== $model model's baseline: the same load on a bare Flask route doing one query =="
  serve benchmarks.bare_app:app /one-query
  if [ "$model" = open ]; then
    swarm bare_open 1 1 BareArrivals
  else
    swarm bare_closed "$people" 50 Bare
  fi
  cleanup; pids=()
done

strict=()
[ "$short" = 1 ] && strict=(--strict)
.venv/bin/python benchmarks/season_report.py "$OUT" $MODELS "${strict[@]}" \
  --title "$people people, window ${WINDOW} s, $WORKERS gunicorn workers, $via"
