#!/usr/bin/env bash
# The API's contract, checked from outside with tools nobody here wrote (run by .ci/run):
#   1. schemathesis against a live gunicorn on 127.0.0.1 (demo data, a partner admin's token):
#      every check, the stateful phase following the schema's links (so PATCH and revoke are
#      reached); any failure fails the script.
#   2. a client generated from the served schema by openapi-python-client walks the partner's
#      path: register -> VNG approves (the review service) -> stages -> won -> discount ->
#      customer discount -> revoke, with Idempotency-Key replays and cursor paging.
# The database is a throwaway SQLite file. CONTRACT_MAX_EXAMPLES (default 8) bounds
# schemathesis; about two minutes on a busy 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PATH="$PWD/$BIN:$PATH"  # openapi-python-client formats what it writes with ruff
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATABASE_URL="sqlite:///${work}/contract.sqlite3"
# DEBUG on: the HTML pages a probe of other paths meets need no collected static files; the
# API answers the same either way.
export DEBUG=true ALLOWED_HOSTS=127.0.0.1 SITE_URL="http://127.0.0.1:${port}"
export SECRET_KEY="contract-check-$(date +%s)-$$-not-a-real-secret-key-0123456789"
# Generous: schemathesis is to find contract faults, not the limit (tests/api covers 429).
export API_RATE_LIMIT=100000/minute
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
export DJANGO_SETTINGS_MODULE=partner_portal.settings
# No broker: e-mails and webhooks go in the web process (REDIS_URL unset).
unset REDIS_URL CELERY_BROKER_URL || true

echo "=== contract check: database, demo data, token ==="
$BIN/python manage.py migrate --no-input -v0
$BIN/python manage.py seed_demo >/dev/null
token="$($BIN/python manage.py shell -c "exec(open('scripts/contract/make_token.py').read())" \
  | sed -n 's/^CONTRACT_TOKEN=//p')"
test -n "$token"

# gunicorn.conf.py's logging (JSON to the console) would take the two files below over: its
# request-line limit is all the check needs from it.
: > "${work}/gunicorn.conf.py"
$BIN/gunicorn partner_portal.wsgi:application -c "${work}/gunicorn.conf.py" \
  --bind "127.0.0.1:${port}" --workers 2 --limit-request-line 8190 \
  --access-logfile "${work}/access.log" --error-logfile "${work}/gunicorn.log" &
server_pid=$!
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:${port}/api/v1/schema/" 2>/dev/null && break
  sleep 0.5
done
curl -fsS -o "${work}/schema.json" -H "Accept: application/vnd.oai.openapi+json" \
  "http://127.0.0.1:${port}/api/v1/schema/?format=json"

echo "=== schemathesis (all checks, stateful) ==="
PYTHONPATH=. SCHEMATHESIS_HOOKS=scripts.contract.hooks $BIN/schemathesis \
  --config-file scripts/contract/schemathesis.toml run "http://127.0.0.1:${port}/api/v1/schema/" \
  --checks all --phases examples,coverage,fuzzing,stateful \
  --max-examples "${CONTRACT_MAX_EXAMPLES:-8}" --seed 24 --workers 1 \
  -H "Authorization: Bearer ${token}" -H "Accept-Language: en" \
  --report junit --report-dir "${work}/report" --no-color

echo "=== generated client (openapi-python-client) walks the partner's path ==="
$BIN/openapi-python-client generate --path "${work}/schema.json" --output-path "${work}/client" \
  --meta none --overwrite >/dev/null
PYTHONPATH="${work}" $BIN/python scripts/contract/walk.py "http://127.0.0.1:${port}" "${token}"

if grep -q "Traceback" "${work}/gunicorn.log"; then
  echo "server errors during the contract check:" >&2
  cat "${work}/gunicorn.log" >&2
  exit 1
fi
echo "contract check passed: schemathesis sent $(grep -c '"schemathesis/' "${work}/access.log") requests, the generated client $(grep -c '"python-httpx/' "${work}/access.log")"
