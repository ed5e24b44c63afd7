#!/usr/bin/env bash
# A private PgBouncer in transaction mode in front of one PostgreSQL database, for the
# tests and the load test (docs/operations.md § Behind PgBouncer). Its own port, its own
# configuration and user list in DIR; nothing of the machine's is touched.
#
#   scripts/pgbouncer.sh start DIR postgresql://USER:PW@HOST:PORT/DB [POOL_SIZE]
#       -> prints the port it listens on (127.0.0.1); DIR/pgbouncer.pid, DIR/pgbouncer.log
#   scripts/pgbouncer.sh stop DIR
#   scripts/pgbouncer.sh url URL PORT   -> URL with its host and port replaced by PgBouncer's
#
# The user list holds the platform's three roles with the passwords pg-setup.sh gives
# them (PORTAL_APP_PASSWORD, PORTAL_OWNER_PASSWORD, PORTAL_BYPASS_PASSWORD). PgBouncer
# refuses to run as root: as root it runs as the postgres user.
set -euo pipefail
cmd=${1:?start, stop or url}
bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

case "$cmd" in
  url)
    printf '%s' "${2:?url}" | sed -E "s#@[^/]*/#@127.0.0.1:${3:?port}/#"
    ;;
  start)
    dir=${2:?directory} target=${3:?database url} pool=${4:-${PGBOUNCER_POOL_SIZE:-4}}
    [ -x "$bin" ] || { echo "pgbouncer is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
    mkdir -p "$dir"
    rest=${target#*://}; rest=${rest#*@}
    hostport=${rest%%/*}; dbname=${rest#*/}; dbname=${dbname%%\?*}
    host=${hostport%%:*}; port=5432
    [ "$hostport" != "$host" ] && port=${hostport##*:}
    listen=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
$dbname = host=$host port=$port dbname=$dbname

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $listen
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = $pool
max_client_conn = 1000
; the platform sets no session state: its tenant settings are SET LOCAL
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
    {
      printf '"portal_app" "%s"\n' "${PORTAL_APP_PASSWORD:-portal_app}"
      printf '"portal_owner" "%s"\n' "${PORTAL_OWNER_PASSWORD:-portal_owner}"
      printf '"portal_bypass" "%s"\n' "${PORTAL_BYPASS_PASSWORD:-portal_bypass}"
    } >"$dir/userlist.txt"
    chmod 600 "$dir/userlist.txt"
    if [ "$(id -u)" = 0 ]; then
      chown -R postgres "$dir"
      runuser -u postgres -- "$bin" -d "$dir/pgbouncer.ini"
    else
      "$bin" -d "$dir/pgbouncer.ini"
    fi
    for _ in $(seq 50); do
      python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $listen), 0.2)" \
        2>/dev/null && { echo "$listen"; exit 0; }
      sleep 0.1
    done
    echo "pgbouncer did not start: $(tail -3 "$dir/pgbouncer.log" 2>/dev/null)" >&2; exit 1
    ;;
  stop)
    dir=${2:?directory}
    [ -s "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    ;;
  *) echo "usage: $0 start DIR URL [POOL_SIZE] | stop DIR | url URL PORT" >&2; exit 2 ;;
esac
