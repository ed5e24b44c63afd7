#!/usr/bin/env bash
# 50 concurrent leaders on the province dashboard, against gunicorn on PostgreSQL, on
# loopback only, for a bounded time; then the same load on /health (one trivial database
# query) as the baseline of the same run. Prints requests/s, p50/p95/p99 and errors.
#
# Needs the data `benchmarks/dashboard.py --keep` leaves in DATABASE_URL (PostgreSQL):
#   scripts/pg-setup.sh portal_bench --recreate
#   DATABASE_URL=postgresql://portal_app:portal_app@127.0.0.1/portal_bench \
#   MIGRATION_DATABASE_URL=postgresql://portal_owner:portal_owner@127.0.0.1/portal_bench \
#     .venv/bin/python benchmarks/dashboard.py --keep
#   DATABASE_URL=postgresql://portal_app:portal_app@127.0.0.1/portal_bench \
#     benchmarks/dashboard_load.sh
# Settings: WORKERS (gunicorn processes, default 3), DURATION (default 30s),
# CONNECTIONS (default 50), YEAR (default 2030).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?the PostgreSQL database filled by benchmarks/dashboard.py --keep}"
WORKERS=${WORKERS:-3} DURATION=${DURATION:-30s} CONNECTIONS=${CONNECTIONS:-50} YEAR=${YEAR:-2030}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export DATABASE_URL PORTAL_ENV=production SECRET_KEY=load-test REDIS_URL=${REDIS_URL:-} LOG_LEVEL=WARNING
.venv/bin/gunicorn -w "$WORKERS" -b "127.0.0.1:$port" --log-level warning wsgi:app &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "$base/health" >/dev/null && break; sleep 0.2; done

# Sign in as the province's leader once; every connection reuses the session cookie.
# (Cookies are Secure in production: carry them by hand over plain loopback HTTP.)
cookie=$(BASE=$base .venv/bin/python - <<'PY'
import os, re, urllib.parse, urllib.request
base = os.environ["BASE"]

class Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):  # stay on the answer: we want its cookie
        return None

opener = urllib.request.build_opener(Keep)
opener.addheaders = [("User-Agent", "portal-load-test")]  # Flask-Login's strong protection
def cookies(response):
    return "; ".join(h.split(";", 1)[0] for h in response.headers.get_all("Set-Cookie") or [])
first = opener.open(base + "/auth/login")
jar, page = cookies(first), first.read().decode()
token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
request = urllib.request.Request(base + "/auth/login", urllib.parse.urlencode({
    "username": "bench.leader", "password": "Bench-mark-2026", "csrf_token": token}).encode(),
    headers={"Cookie": jar, "User-Agent": "portal-load-test"})
try:
    answer = opener.open(request)
except urllib.error.HTTPError as redirect:   # 302 to the home page: signed in
    answer = redirect
print(cookies(answer))
PY
)
status=$(curl -s -A portal-load-test -H "Cookie: $cookie" "$base/units/33/dashboard?year=$YEAR" -o /dev/null -w '%{http_code}')
[ "$status" = 200 ] || { echo "the dashboard answered $status: is the data loaded?" >&2; exit 1; }

echo "== $CONNECTIONS concurrent leaders, province 33 dashboard ($YEAR), $WORKERS gunicorn workers, $DURATION =="
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 30s -s benchmarks/percentiles.lua \
  -H "Cookie: $cookie" -H "User-Agent: portal-load-test" "$base/units/33/dashboard?year=$YEAR" | sed -n '/^requests:/,$p' | tee /tmp/dashboard-load.txt
echo "== baseline: the same load on /health (one database query) =="
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 30s -s benchmarks/percentiles.lua \
  "$base/health" | sed -n '/^requests:/,$p' | tee /tmp/health-load.txt
.venv/bin/python - <<'PY'
import re
def rps(path):
    return float(re.search(r"= ([\d.]+) requests/s", open(path).read()).group(1))
dash, base = rps("/tmp/dashboard-load.txt"), rps("/tmp/health-load.txt")
print(f"throughput ratio /health : dashboard = {base / dash:.1f}x")
PY
