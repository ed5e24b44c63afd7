#!/usr/bin/env bash
# Restores a backup of scripts/backup.sh into a NEW database made by scripts/pg-setup.sh:
#   scripts/pg-setup.sh portal_restored
#   MIGRATION_DATABASE_URL=postgresql://portal_owner:…@host/portal_restored \
#   EVIDENCE_DIR=/srv/evidence-restored scripts/restore.sh /backups/portal-20261202T…Z
# Checks the files' checksums first; restores as the schema owner, then grants the app
# role what pg-setup.sh grants (row-level security policies and the audit log's
# immutability triggers come back with the tables).
set -euo pipefail
folder=${1:?the backup folder}
url=${MIGRATION_DATABASE_URL:?MIGRATION_DATABASE_URL (the owner of the new database)}
url=${url/postgresql+psycopg:/postgresql:}
app_role=${APP_ROLE:-portal_app}
( cd "$folder" && sha256sum --quiet -c SHA256SUMS )
pg_restore --exit-on-error --no-owner --no-privileges --single-transaction \
  --dbname="$url" "$folder/database.dump"
psql -v ON_ERROR_STOP=1 -q "$url" <<SQL
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "$app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "$app_role";
SQL
if [ -f "$folder/evidence.tar.gz" ]; then
  : "${EVIDENCE_DIR:?EVIDENCE_DIR: where the evidence files go}"
  mkdir -p "$EVIDENCE_DIR"
  tar -C "$EVIDENCE_DIR" -xzf "$folder/evidence.tar.gz"
fi
echo "restored $folder"
