#!/usr/bin/env bash
# A consistent backup of one installation: the database (pg_dump, custom format, taken as
# the schema owner) and the evidence files, into one folder named by the time.
#   MIGRATION_DATABASE_URL=postgresql://portal_owner:…@host/db EVIDENCE_DIR=/srv/evidence \
#     scripts/backup.sh /backups
# Restore with scripts/restore.sh; docs/operations.md § Backups says how often and how
# the restore is tested.
set -euo pipefail
target=${1:?the folder to write the backup into}
url=${MIGRATION_DATABASE_URL:-${DATABASE_URL:?MIGRATION_DATABASE_URL (the schema owner)}}
url=${url/postgresql+psycopg:/postgresql:}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
folder="$target/portal-$stamp"
mkdir -p "$folder"
# --no-owner/--no-privileges: the restore gives everything to the owner it runs as and
# grants the app role again, so a backup restores into a database set up by pg-setup.sh.
pg_dump --format=custom --no-owner --no-privileges --file="$folder/database.dump" "$url"
if [ -n "${EVIDENCE_DIR:-}" ] && [ -d "$EVIDENCE_DIR" ]; then
  tar -C "$EVIDENCE_DIR" -czf "$folder/evidence.tar.gz" .
fi
( cd "$folder" && sha256sum ./* > SHA256SUMS )
echo "$folder"
