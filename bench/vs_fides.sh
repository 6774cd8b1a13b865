#!/usr/bin/env bash
# Benchmark: warm access and erasure latency, persondata vs Fides (Ethyca) 2.78.2, on the same
# five-table webshop in PostgreSQL. Not part of `make test`.
#
#   bench/vs_fides.sh [--runs N] [--warmup N] [--no-write] [--logs DIR]
#
# Needs: the project's .venv (make install), PostgreSQL on 127.0.0.1:5432 (user postgres, trust),
# redis-server, and a Python 3.10-3.13 for Fides's own virtualenv (bench/.fides-venv, created and
# filled with `pip install ethyca-fides==2.78.2` on the first run: a few minutes of downloads).
# Everything it starts or creates — a password-protected redis-server on a free loopback port, the
# Fides webserver on another, three throwaway databases, a work directory — is stopped, dropped
# and removed at the end, also on failure or Ctrl-C.
# Writes the figures to bench/results/vs_fides.md (unless --no-write); --logs DIR keeps the Fides
# server log, the Redis log and both sides' JSON there.
#
# Environment overrides: FIDES_VENV, FIDES_PYTHON, PGHOST, PGPORT, PGUSER, FIDES_LOG_LEVEL (INFO).
set -euo pipefail

FIDES_VERSION=2.78.2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
PY="$ROOT/.venv/bin/python"
VENV="${FIDES_VENV:-$BENCH/.fides-venv}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER
RUNS=5
WARMUP=3
WRITE=1
LOGS=""

die() { echo "vs_fides: $*" >&2; exit 2; }
say() { echo "vs_fides: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --warmup) WARMUP="${2:?--warmup needs a number}"; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    --logs) LOGS="${2:?--logs needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number, not '$RUNS'"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "--warmup must be a number, not '$WARMUP'"

# --- what must be there ------------------------------------------------------------------------
[ -x "$PY" ] || die "the project's virtualenv is missing ($PY): run 'make install' first"
command -v redis-server >/dev/null || die "redis-server is not installed (Debian: apt-get install redis-server)"
command -v psql >/dev/null || die "psql is not installed (Debian: apt-get install postgresql-client)"
psql -d postgres -qAtc "SELECT 1" >/dev/null 2>&1 \
  || die "PostgreSQL does not answer on $PGHOST:$PGPORT as user $PGUSER (trust): start it first"

pick_python() {
  local c
  for c in "${FIDES_PYTHON:-}" python3.11 python3.12 python3.10 python3.13 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
    if "$c" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 13)))' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

fides_installed() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$FIDES_VERSION" <<'EOF' 2>/dev/null
import importlib.metadata as m, sys
sys.exit(m.version("ethyca-fides") != sys.argv[1])
EOF
}

if ! fides_installed; then
  FPY=$(pick_python) || die "no Python 3.10-3.13 found for Fides's virtualenv (set FIDES_PYTHON)"
  say "installing ethyca-fides==$FIDES_VERSION into $VENV with $FPY (first run: several minutes)"
  "$FPY" -m venv "$VENV" || die "could not create the virtualenv $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "ethyca-fides==$FIDES_VERSION" \
    || die "pip install ethyca-fides==$FIDES_VERSION failed (see above)"
  fides_installed || die "ethyca-fides $FIDES_VERSION is not importable in $VENV after installing"
fi

# --- clean-up of everything started or created below -----------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vs_fides.XXXXXX")
SUFFIX="$(date +%s)_$$"
APP_DB="vsfides_app_$SUFFIX"
SHOP_DB="vsfides_shop_$SUFFIX"
STATE_DB="vsfides_state_$SUFFIX"
DBS=()
REDIS_PID=""
FIDES_PID=""
CHILD=""

stop() {  # stop a process we started: TERM, then KILL after 15 s
  local pid="$1" i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop "$CHILD"
  stop "$FIDES_PID"
  stop "$REDIS_PID"
  local db
  for db in "${DBS[@]}"; do
    psql -d postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 \
      || say "could not drop database $db: drop it by hand"
  done
  if [ -n "$LOGS" ]; then
    mkdir -p "$LOGS" && cp "$WORK"/*.log "$WORK"/*.json "$LOGS"/ 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$WORK/fides.log" ]; then
    say "last lines of the Fides server log:"; tail -n 25 "$WORK/fides.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Long steps run in the background and are waited for, so that a signal stops them at once.
run() { "$@" & CHILD=$!; local rc=0; wait "$CHILD" || rc=$?; CHILD=""; return "$rc"; }

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for db in "$APP_DB" "$SHOP_DB" "$STATE_DB"; do
  psql -d postgres -qc "CREATE DATABASE \"$db\"" >/dev/null || die "could not create database $db"
  DBS+=("$db")
done

# --- the webshop -------------------------------------------------------------------------------
SHOP_URL="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/$SHOP_DB"
STATE_URL="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/$STATE_DB"
run "$PY" "$BENCH/fides/webshop.py" build "$SHOP_URL"
"$PY" "$BENCH/fides/webshop.py" reset-sql >"$WORK/reset.sql"
LOAD_START=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || true)

# --- Redis (password-protected, loopback) and the Fides webserver -----------------------------
REDIS_PORT=$(free_port)
REDIS_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --requirepass "$REDIS_PASSWORD" --save '' \
  --appendonly no --dir "$WORK" --daemonize no >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 1 50); do
  [ "$(REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
  kill -0 "$REDIS_PID" 2>/dev/null || { cat "$WORK/redis.log" >&2; die "redis-server did not start"; }
  sleep 0.2
done

FIDES_PORT=$(free_port)
export FIDES__SECURITY__OAUTH_ROOT_CLIENT_ID="bench_root"
FIDES__SECURITY__OAUTH_ROOT_CLIENT_SECRET=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
export FIDES__SECURITY__OAUTH_ROOT_CLIENT_SECRET
FIDES_ENV=(
  FIDES__DATABASE__SERVER="$PGHOST" FIDES__DATABASE__PORT="$PGPORT" FIDES__DATABASE__USER="$PGUSER"
  FIDES__DATABASE__PASSWORD="${PGPASSWORD:-}" FIDES__DATABASE__DB="$APP_DB"
  FIDES__REDIS__HOST=127.0.0.1 FIDES__REDIS__PORT="$REDIS_PORT" FIDES__REDIS__PASSWORD="$REDIS_PASSWORD"
  FIDES__REDIS__DB_INDEX=0
  FIDES__SECURITY__ENV=prod
  FIDES__SECURITY__APP_ENCRYPTION_KEY="$("$PY" -c 'import secrets; print(secrets.token_hex(16))')"
  FIDES__USER__ANALYTICS_OPT_OUT=true FIDES__CLI__ANALYTICS_ID=vs_fides
  FIDES__CLI__SERVER_HOST=127.0.0.1 FIDES__CLI__SERVER_PORT="$FIDES_PORT"
  FIDES__CELERY__TASK_ALWAYS_EAGER=true
  FIDES__EXECUTION__REQUIRE_MANUAL_REQUEST_APPROVAL=false
  FIDES__EXECUTION__SUBJECT_IDENTITY_VERIFICATION_REQUIRED=false
  FIDES__EXECUTION__TASK_RETRY_COUNT=0 FIDES__EXECUTION__TASK_RETRY_DELAY=0
  FIDES__LOGGING__LEVEL="${FIDES_LOG_LEVEL:-INFO}"
  FIDES__CONFIG_PATH="$WORK/fides.toml"  # no such file: environment and defaults only
)

say "starting Fides $FIDES_VERSION on 127.0.0.1:$FIDES_PORT (first start migrates its database, ~1 min)"
(cd "$WORK" && mkdir -p fides_uploads \
  && exec env "${FIDES_ENV[@]}" "$VENV/bin/python" -m uvicorn fides.api.main:app \
       --host 127.0.0.1 --port "$FIDES_PORT" --log-level warning) >"$WORK/fides.log" 2>&1 &
FIDES_PID=$!
START=$(date +%s)
until curl -sf "http://127.0.0.1:$FIDES_PORT/health" >/dev/null 2>&1; do
  kill -0 "$FIDES_PID" 2>/dev/null || die "the Fides webserver exited during start-up"
  [ $(( $(date +%s) - START )) -lt 300 ] || die "the Fides webserver did not answer /health within 300 s"
  sleep 1
done
say "Fides up after $(( $(date +%s) - START )) s; $WARMUP warm-up + $RUNS timed requests of each kind and side"

# persondata's requests alternate with Fides's (same load); both are timed in their own process.
PD_CMD=$(printf '%q ' "$PY" "$BENCH/fides/persondata_side.py" --serve --shop-url "$SHOP_URL" \
  --state-url "$STATE_URL")
run env "${FIDES_ENV[@]}" "$VENV/bin/python" "$BENCH/fides/drive.py" --url "http://127.0.0.1:$FIDES_PORT" \
  --shop-db "$SHOP_DB" --pg-host "$PGHOST" --pg-port "$PGPORT" --pg-user "$PGUSER" \
  --reset-sql "$WORK/reset.sql" --dataset "$BENCH/fides/webshop_dataset.yml" \
  --uploads "$WORK/fides_uploads" --persondata "$PD_CMD" --runs "$RUNS" --warmup "$WARMUP" \
  >"$WORK/results.json"
stop "$FIDES_PID"; FIDES_PID=""
LOAD_END=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || true)

# --- figures ------------------------------------------------------------------------------------
OUT=()
[ "$WRITE" = 1 ] && OUT=(--out "$BENCH/results/vs_fides.md")
echo
"$PY" "$BENCH/fides/report.py" --results "$WORK/results.json" \
  --command "bench/vs_fides.sh --runs $RUNS --warmup $WARMUP" --runs "$RUNS" --warmup "$WARMUP" \
  --load "$LOAD_START at the start, $LOAD_END at the end" "${OUT[@]}"
