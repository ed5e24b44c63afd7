#!/usr/bin/env bash
# Report season under load, on this machine, on loopback, for a bounded time:
#   300 officers editing (htmx autosaves) and submitting their 2027 reports,
#   20 leaders on the dashboards, and a consolidation of the province running again
#   and again in the RQ worker meanwhile —
# against gunicorn + PostgreSQL + Redis. Then, in the same run, the baseline: as many
# users with the same think time on a bare Flask route doing one query
# (benchmarks/bare_app.py) behind the same gunicorn. Prints throughput, p50/p95/p99
# and errors per kind of request, and the ratios.
#
#   scripts/pg-setup.sh portal_season --recreate
#   DATABASE_URL=postgresql://portal_app:portal_app@127.0.0.1/portal_season \
#   MIGRATION_DATABASE_URL=postgresql://portal_owner:portal_owner@127.0.0.1/portal_season \
#   REDIS_URL=redis://127.0.0.1:6379/9 benchmarks/season_load.sh
#
# Settings: WORKERS (gunicorn processes, default 4), DURATION (each run, default 300s),
# USERS (default 320 = 300 officers + 20 leaders), SPAWN (users started a second,
# default 2: each sign-in costs an argon2id hash, about half a CPU-second, so 320 people
# signing in within seconds would be a different test). Statistics are reset once every
# user has signed in (benchmarks/season_locustfile.py counts them): the figures are those
# of the working period after the last sign-in; DURATION includes the sign-in ramp.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?a new PostgreSQL database (see the header)}"
: "${REDIS_URL:?Redis, for the consolidation jobs and the rate limits}"
WORKERS=${WORKERS:-4} DURATION=${DURATION:-300s} USERS=${USERS:-320} SPAWN=${SPAWN:-2}
out=${OUT:-/tmp/season}
mkdir -p "$out"
[ -x .venv/bin/locust ] || .venv/bin/pip install --quiet -e ".[load]"

export FLASK_APP=composition:create_app SEASON_DATA="$out/season.json"
# development: cookies without Secure, as loopback is plain HTTP; the rest as production
export PORTAL_ENV=development SECRET_KEY=season-load LOG_LEVEL=WARNING
# every simulated person signs in from 127.0.0.1: the per-address limit would refuse them
export LOGIN_RATE_LIMIT="100000 per minute" LOGIN_ACCOUNT_RATE_LIMIT="1000 per minute"
redis-cli -u "$REDIS_URL" flushdb >/dev/null

if [ ! -s "$SEASON_DATA" ]; then
  echo "== preparing the data (demo province, 300 officers, 20 leaders) =="
  /usr/bin/time -f "prepared in %e s" .venv/bin/python benchmarks/season_data.py "$SEASON_DATA"
fi

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

serve() {  # serve APP: gunicorn on $port, wait until it answers
  .venv/bin/gunicorn -w "$WORKERS" -b "127.0.0.1:$port" --log-level warning \
    --access-logfile /dev/null "$1" 2>>"$out/gunicorn.log" &
  server=$!; pids+=("$server")
  for _ in $(seq 100); do curl -fs -o /dev/null "$base${2:-/health}" && return; sleep 0.2; done
  echo "the server did not start" >&2; exit 1
}

export USERS
swarm() {  # swarm NAME CLASSES...: locust, headless, statistics to $out/NAME_stats.csv
  local name=$1; shift
  .venv/bin/locust -f benchmarks/season_locustfile.py --headless --only-summary \
    -u "$USERS" -r "$SPAWN" -t "$DURATION" --host "$base" \
    --csv "$out/$name" "$@" >"$out/$name.log" 2>&1 || true
}

echo "== report season: $USERS users ($WORKERS gunicorn workers, $DURATION) =="
serve wsgi:app
.venv/bin/flask worker >"$out/worker.log" 2>&1 & pids+=($!)
# the consolidator launches the province's consolidation, waits for it, reads it for
# PAUSE seconds (default 20), launches it again: a new snapshot every half minute or so
touch "$out/consolidating"
BASE=$base OUT=$out .venv/bin/python - <<'PY' &
import json, os, time, urllib.request
base, out = os.environ["BASE"], os.environ["OUT"]
data = json.load(open(os.environ["SEASON_DATA"]))
auth = {"Authorization": "Bearer " + data["consolidator_token"], "Content-Type": "application/json"}
def call(path, body=None):
    req = urllib.request.Request(base + path, headers=auth, method="POST" if body else "GET",
                                 data=json.dumps(body).encode() if body else None)
    with urllib.request.urlopen(req, timeout=60) as answer:
        return json.load(answer)
runs = []
while os.path.exists(out + "/consolidating"):
    started = time.monotonic()
    job = call(f"/api/v1/units/{data['province']}/consolidations", {"year": data["consolidation_year"]})
    while job["status"] in ("queued", "running") and os.path.exists(out + "/consolidating"):
        time.sleep(1)
        job = call(f"/api/v1/consolidations/{job['id']}")
    if job["status"] in ("done", "failed"):
        runs.append((job["status"], time.monotonic() - started))
    time.sleep(float(os.environ.get("PAUSE", "20")))
with open(out + "/consolidations.txt", "w") as f:
    done = [s for st, s in runs if st == "done"]
    f.write(f"consolidations of province {data['province']} ({data['consolidation_year']}) during the load: "
            f"{len(done)} done, {len(runs) - len(done)} failed"
            + (f", {min(done):.1f}-{max(done):.1f} s each\n" if done else "\n"))
PY
consolidator=$!
swarm season Officer Leader
rm -f "$out/consolidating"; wait "$consolidator" || true
cleanup; pids=()

echo "== baseline: $USERS users on a bare Flask route doing one query =="
DATABASE_URL=$DATABASE_URL serve benchmarks.bare_app:app /one-query
swarm bare Bare
cleanup; pids=()

.venv/bin/python benchmarks/season_report.py "$out"
