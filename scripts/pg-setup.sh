#!/usr/bin/env bash
# Creates the two PostgreSQL roles and a database for the platform:
#   portal_owner  owns the schema; migrations run as it
#   portal_app    what the app connects as: not the owner, no BYPASSRLS, so
#                 row-level security applies to every statement it sends
#   portal_bypass for tests only: the same rights as portal_app but BYPASSRLS, so
#                 the suite can prove the ORM guard alone (scripts/test.sh); never
#                 give its password to an app
# Usage: scripts/pg-setup.sh DBNAME [--recreate]    (connects as PGUSER, default postgres)
set -euo pipefail
db=${1:?database name}
recreate=${2:-}
: "${PGHOST:=127.0.0.1}" "${PGUSER:=postgres}"
export PGHOST PGUSER
owner_pw=${PORTAL_OWNER_PASSWORD:-portal_owner}
app_pw=${PORTAL_APP_PASSWORD:-portal_app}
bypass_pw=${PORTAL_BYPASS_PASSWORD:-portal_bypass}

psql -v ON_ERROR_STOP=1 -q -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'portal_owner') THEN
    CREATE ROLE portal_owner LOGIN PASSWORD '${owner_pw}';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'portal_app') THEN
    CREATE ROLE portal_app LOGIN PASSWORD '${app_pw}' NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'portal_bypass') THEN
    CREATE ROLE portal_bypass LOGIN PASSWORD '${bypass_pw}' NOSUPERUSER BYPASSRLS;
  END IF;
END \$\$;
SQL
# portal_bypass has portal_app's rights and nothing more: member of it, not an owner.
psql -v ON_ERROR_STOP=1 -q -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT pg_has_role('portal_bypass', 'portal_app', 'MEMBER') THEN
    GRANT portal_app TO portal_bypass;
  END IF;
END \$\$;
SQL
if [ "$recreate" = "--recreate" ]; then
  psql -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
fi
if ! psql -tA -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql -q -d postgres -c "CREATE DATABASE \"$db\" OWNER portal_owner"
fi
psql -v ON_ERROR_STOP=1 -q -d "$db" <<SQL
GRANT CONNECT ON DATABASE "$db" TO portal_app;
GRANT USAGE ON SCHEMA public TO portal_app;
ALTER DEFAULT PRIVILEGES FOR ROLE portal_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO portal_app;
ALTER DEFAULT PRIVILEGES FOR ROLE portal_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO portal_app;
SQL
