#!/usr/bin/env bash
# The restore drill: back up the portal's database and files the way docs/operations.md says,
# restore both into a fresh database and folder, migrate, and check that the restored portal
# holds the same deals, discounts, attachments and events, and every attachment's file.
#
#   scripts/restore_drill.sh                 # a throwaway source: migrate, demo data, 3 files
#   SOURCE_DATABASE_URL=postgres://... MEDIA_ROOT=/srv/media scripts/restore_drill.sh
#                                            # drill against an existing database (read only)
#
# PG_URL is the server the drill creates its databases on (postgres://postgres@127.0.0.1:5432).
# Exits non-zero when anything differs. Every database and folder it made is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PY="${PY:-.venv/bin/python}"
stamp="$(date +%s)_$$"
work="$(mktemp -d)"
made_dbs=()
cleanup() {
  for db in "${made_dbs[@]}"; do
    psql "${PG_URL}/postgres" -q -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
createdb_() { psql "${PG_URL}/postgres" -q -c "CREATE DATABASE $1"; made_dbs+=("$1"); }
# The portal's commands, without a broker or an e-mail server: events stay in the outbox.
portal() {
  CELERY_BROKER_URL="" REDIS_URL="" DATABASE_POOL=false LOG_LEVEL=WARNING \
    EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend "$PY" manage.py "$@"
}

started=$SECONDS
if [ -n "${SOURCE_DATABASE_URL:-}" ]; then
  source_url="$SOURCE_DATABASE_URL"
  source_media="${MEDIA_ROOT:-media}"
else
  echo "--- source: a fresh database with the demo data"
  createdb_ "portal_drill_src_${stamp}"
  source_url="${PG_URL}/portal_drill_src_${stamp}"
  source_media="$work/media"
  DATABASE_URL="$source_url" MEDIA_ROOT="$source_media" portal migrate --no-input -v 0
  DATABASE_URL="$source_url" MEDIA_ROOT="$source_media" portal seed_demo >/dev/null
  DATABASE_URL="$source_url" MEDIA_ROOT="$source_media" portal restore_check --add-attachments 3 >/dev/null
fi
before="$(DATABASE_URL="$source_url" MEDIA_ROOT="$source_media" portal restore_check)"
echo "source:   $before"

echo "--- backup: the database first (pg_dump -Fc), then the files"
pg_dump -Fc --no-owner --no-privileges -d "$source_url" -f "$work/portal.dump"
mkdir -p "$source_media"
cp -a "$source_media" "$work/media-backup"

echo "--- restore into a fresh database and folder, then migrate"
createdb_ "portal_drill_restored_${stamp}"
restored_url="${PG_URL}/portal_drill_restored_${stamp}"
pg_restore --no-owner --no-privileges --exit-on-error -d "$restored_url" "$work/portal.dump"
DATABASE_URL="$restored_url" MEDIA_ROOT="$work/media-backup" portal migrate --no-input -v 0
after="$(DATABASE_URL="$restored_url" MEDIA_ROOT="$work/media-backup" portal restore_check)"
echo "restored: $after"

if [ "$before" != "$after" ]; then
  echo "RESTORE DRILL FAILED: the restored portal differs from the source" >&2
  exit 1
fi
echo "restore drill passed in $((SECONDS - started)) s"
