#!/usr/bin/env bash
# Runs a command with the services that the test suite needs, bound to 127.0.0.1, then stops them.
#
# Started here (each on a free port, in a throwaway directory removed on exit):
#   - PostgreSQL 15 (Debian postgresql-15)  -> COFFER_TEST_POSTGRES_URL
#   - an S3-compatible server (moto, in a venv under the target dir) -> COFFER_TEST_S3_ENDPOINT
#   - Redis (Debian redis-server), if installed -> COFFER_TEST_REDIS_URL
#   - an SMTP sink (aiosmtpd, same venv) writing a Maildir -> COFFER_TEST_SMTP_URL,
#     COFFER_TEST_MAILDIR (messages land in $COFFER_TEST_MAILDIR/new)
# COFFER_TEST_REQUIRE_SERVICES=1 makes the tests fail instead of skipping when one is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d /tmp/coffer-test-services.XXXXXX)
chmod 755 "$WORK"
PGBIN=/usr/lib/postgresql/15/bin
PG_DATA="$WORK/pg/data"
MOTO_PID=""
SMTP_PID=""
REDIS_PORT=""

log() { echo "with-test-services: $*" >&2; }

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  set +e
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
  fi
  if [ -n "$MOTO_PID" ]; then kill "$MOTO_PID" 2>/dev/null; wait "$MOTO_PID" 2>/dev/null; fi
  if [ -n "$SMTP_PID" ]; then kill "$SMTP_PID" 2>/dev/null; wait "$SMTP_PID" 2>/dev/null; fi
  if [ -n "$REDIS_PORT" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port, shared with the app's scripts (the file only defines functions).
source "$ROOT/scripts/app-server.sh"

wait_for() { # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then return 1; fi
    sleep 0.2
  done
}

# --- PostgreSQL 15 ------------------------------------------------------------------------
if [ -x "$PGBIN/initdb" ]; then
  PG_PORT=$(free_port)
  mkdir -p "$WORK/pg"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$WORK/pg"; fi
  as_postgres "$PGBIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
  as_postgres "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/pg.log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK/pg -c fsync=off -c max_connections=400" \
    start >/dev/null
  export COFFER_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
else
  log "PostgreSQL 15 not installed (run scripts/setup.sh); PostgreSQL tests will not run"
fi

# --- S3 (moto) ----------------------------------------------------------------------------
VENV="$TARGET/test-services/venv"
if [ ! -x "$VENV/bin/moto_server" ]; then
  log "installing moto[server] into $VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
fi
S3_PORT=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
if wait_for 30 curl -sf "http://127.0.0.1:$S3_PORT/"; then
  export COFFER_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  log "S3 (moto) on 127.0.0.1:$S3_PORT"
else
  log "moto did not start; see its log:"; cat "$WORK/moto.log" >&2; exit 1
fi

# --- SMTP sink (aiosmtpd) -----------------------------------------------------------------
if [ ! -x "$VENV/bin/aiosmtpd" ]; then
  log "installing aiosmtpd into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'
fi
SMTP_PORT=$(free_port)
MAILDIR="$WORK/maildir"
mkdir -p "$MAILDIR/cur" "$MAILDIR/new" "$MAILDIR/tmp"
"$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAILDIR" \
  >"$WORK/smtp.log" 2>&1 &
SMTP_PID=$!
if wait_for 30 python3 -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT)).close()"; then
  export COFFER_TEST_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
  export COFFER_TEST_MAILDIR="$MAILDIR"
  log "SMTP sink (aiosmtpd) on 127.0.0.1:$SMTP_PORT, Maildir $MAILDIR"
else
  log "aiosmtpd did not start; see its log:"; cat "$WORK/smtp.log" >&2; exit 1
fi

# --- Redis (optional) ---------------------------------------------------------------------
if command -v redis-server >/dev/null; then
  REDIS_PORT=$(free_port)
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$WORK/redis.pid" --dir "$WORK" --logfile "$WORK/redis.log" >/dev/null
  if wait_for 10 redis-cli -p "$REDIS_PORT" ping; then
    export COFFER_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    log "Redis on 127.0.0.1:$REDIS_PORT"
  else
    REDIS_PORT=""
  fi
fi

export COFFER_TEST_REQUIRE_SERVICES=1
"$@"
