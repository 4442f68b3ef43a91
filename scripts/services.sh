#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and Redis for Docrunch's integration tests, bound to
# 127.0.0.1 and run as their own users (postgres, redis) in a fresh temporary
# directory that `stop` removes.
#
#   scripts/services.sh start    start both and wait until they answer (idempotent)
#   scripts/services.sh stop     stop both and remove their directory (safe when nothing runs)
#   scripts/services.sh status   say whether they run (exit 1 if not)
#   scripts/services.sh env      print export lines for the tests: eval "$(scripts/services.sh env)"
#
# Environment:
#   DOCRUNCH_TEST_PG_PORT=5430       PostgreSQL port
#   DOCRUNCH_TEST_REDIS_PORT=6370    Redis port (set both to run a second copy)
#   DOCRUNCH_SERVICES_TIMEOUT=30     seconds to wait for each service
#   DOCRUNCH_SERVICES_STATE=FILE     where start records what it started
#                                    (default .services/PGPORT-REDISPORT.state: outside
#                                    build/, so removing build/ does not orphan them)
#   DOCRUNCH_SERVICES_TMPDIR=/tmp    parent of the temporary directory (must be
#                                    traversable by the postgres and redis users)
#   DOCRUNCH_PG_BINDIR               default /usr/lib/postgresql/15/bin
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

HOST=127.0.0.1
PG_PORT="${DOCRUNCH_TEST_PG_PORT:-5430}"
REDIS_PORT="${DOCRUNCH_TEST_REDIS_PORT:-6370}"
TIMEOUT="${DOCRUNCH_SERVICES_TIMEOUT:-30}"
STATE="${DOCRUNCH_SERVICES_STATE:-$ROOT/.services/$PG_PORT-$REDIS_PORT.state}"
TMP_PARENT="${DOCRUNCH_SERVICES_TMPDIR:-/tmp}"
PG_BINDIR="${DOCRUNCH_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
PG_DB_USER=docrunch
BASE_PREFIX=docrunch-services.

log() { printf 'services: %s\n' "$*"; }
err() { printf 'services: error: %s\n' "$*" >&2; }
die() { err "$*"; exit 1; }

for v in PG_PORT REDIS_PORT TIMEOUT; do
  case "${!v}" in '' | *[!0-9]*) die "$v must be a number, got '${!v}'" ;; esac
done
[ "$PG_PORT" != "$REDIS_PORT" ] || die "PostgreSQL and Redis ports are both $PG_PORT"

# As root the services run as their own users (PostgreSQL refuses root); a
# developer who is not root runs them as themselves.
if [ "$(id -u)" -eq 0 ]; then
  PG_USER=postgres
  REDIS_USER=redis
else
  PG_USER="$(id -un)"
  REDIS_USER="$PG_USER"
fi

# as_user USER CMD...: run CMD as USER, from / so the user can read its cwd.
as_user() {
  local user=$1
  shift
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u "$user" -- "$@")
  else
    (cd / && "$@")
  fi
}

now_ms() { date +%s%3N; }
elapsed() { local ms=$(($(now_ms) - $1)); printf '%d.%01d s' $((ms / 1000)) $((ms % 1000 / 100)); }

# True if something accepts TCP connections on HOST:$1.
port_in_use() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

pg_ready() { "$PG_BINDIR/pg_isready" -q -h "$HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1; }
redis_ready() { [ "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# wait_for NAME CHECK_FUNCTION: poll until it succeeds or TIMEOUT passes.
wait_for() {
  local deadline=$((SECONDS + TIMEOUT))
  until "$2"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# Prints the last lines of a log file, if any, to stderr.
show_log() {
  local file=$1
  if [ -s "$file" ]; then
    printf -- '--- last lines of %s ---\n' "$file" >&2
    tail -n 25 "$file" >&2
    printf -- '---\n' >&2
  fi
}

BASE=""
load_state() {
  BASE=""
  local key value
  while IFS='=' read -r key value; do
    case "$key" in
      base) BASE="$value" ;;
      pg_port) PG_PORT="$value" ;;
      redis_port) REDIS_PORT="$value" ;;
    esac
  done <"$STATE"
}

write_state() {
  mkdir -p "$(dirname "$STATE")"
  printf 'base=%s\npg_port=%s\nredis_port=%s\n' "$BASE" "$PG_PORT" "$REDIS_PORT" >"$STATE"
}

# Process $1 exists and is not a zombie. (A daemonized server's parent is
# PID 1, which may take a second or two to reap it: kill -0 alone would wait
# for that.)
alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Process $1 is alive and its command name starts with $2.
pid_is() {
  local pid=$1 name=$2 comm
  alive "$pid" || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  [[ "$comm" == "$name"* ]]
}

# wait_gone PID SECONDS
wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while alive "$pid"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

stop_postgres() {
  local data="$BASE/pg-data" pid
  [ -f "$data/postmaster.pid" ] || return 0
  pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
  if as_user "$PG_USER" "$PG_BINDIR/pg_ctl" -D "$data" stop -m fast -w -t "$TIMEOUT" >/dev/null 2>&1; then
    log "postgres on $HOST:$PG_PORT stopped"
  elif pid_is "$pid" postgres; then
    err "pg_ctl stop failed; killing postgres pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || err "postgres pid $pid did not exit"
  fi
}

stop_redis() {
  local pidfile="$BASE/redis/redis.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  pid_is "$pid" redis-server || return 0
  # SIGTERM: redis shuts down cleanly and, with save "", writes nothing.
  kill -TERM "$pid" 2>/dev/null || true
  if wait_gone "$pid" 10; then
    log "redis on $HOST:$REDIS_PORT stopped"
  else
    err "redis pid $pid ignored SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || err "redis pid $pid did not exit"
  fi
}

cmd_stop() {
  if [ ! -f "$STATE" ]; then
    log "nothing to stop (no ${STATE#"$ROOT"/})"
    return 0
  fi
  load_state
  if [ -n "$BASE" ] && [ -d "$BASE" ]; then
    stop_postgres
    stop_redis
    # Only ever remove a directory this script made.
    case "$(basename "$BASE")" in
      "$BASE_PREFIX"*) rm -rf -- "$BASE" && log "removed $BASE" ;;
      *) err "not removing unexpected directory '$BASE'" ;;
    esac
  fi
  rm -f -- "$STATE"
}

# Stops whatever start got going, shows the log and fails.
start_failed() {
  local message=$1 logfile=${2:-}
  err "$message"
  [ -z "$logfile" ] || show_log "$logfile"
  cmd_stop >&2 || true
  exit 1
}

check_prerequisites() {
  local missing=()
  local f
  for f in initdb pg_ctl pg_isready; do
    [ -x "$PG_BINDIR/$f" ] || missing+=("$PG_BINDIR/$f")
  done
  for f in redis-server redis-cli; do
    command -v "$f" >/dev/null 2>&1 || missing+=("$f")
  done
  [ "${#missing[@]}" -eq 0 ] || die "not installed: ${missing[*]} (run scripts/setup.sh)"
  for f in "$PG_USER" "$REDIS_USER"; do
    id -u "$f" >/dev/null 2>&1 || die "user '$f' does not exist (the Debian packages create it; run scripts/setup.sh)"
  done
}

cmd_start() {
  if [ -f "$STATE" ]; then
    load_state
    if [ -n "$BASE" ] && [ -d "$BASE" ] && pg_ready && redis_ready; then
      log "already running: postgres $HOST:$PG_PORT, redis $HOST:$REDIS_PORT (base $BASE)"
      return 0
    fi
    log "cleaning up after an earlier start that is no longer running"
    cmd_stop
  fi

  check_prerequisites
  local port name
  for port in "$PG_PORT" "$REDIS_PORT"; do
    if [ "$port" = "$PG_PORT" ]; then name=PostgreSQL; else name=Redis; fi
    if port_in_use "$port"; then
      die "port $port on $HOST (for $name) is already in use by another process;" \
        "stop it, or pick free ports with DOCRUNCH_TEST_PG_PORT / DOCRUNCH_TEST_REDIS_PORT"
    fi
  done

  local t0
  t0="$(now_ms)"
  BASE="$(mktemp -d "$TMP_PARENT/${BASE_PREFIX}XXXXXX")"
  chmod 755 "$BASE"
  # Recorded before anything starts, so stop can clean up a half-done start.
  write_state

  install -d -o "$PG_USER" -g "$(id -gn "$PG_USER")" -m 0700 "$BASE/pg-data" "$BASE/pg-run"
  install -d -o "$REDIS_USER" -g "$(id -gn "$REDIS_USER")" -m 0700 "$BASE/redis"

  # --- PostgreSQL ---
  # -N (no fsync of the new cluster's files) only saves time: the cluster is thrown away.
  if ! as_user "$PG_USER" "$PG_BINDIR/initdb" -D "$BASE/pg-data" -U "$PG_DB_USER" --auth=trust \
    -E UTF8 --locale=C.UTF-8 -N >"$BASE/initdb.log" 2>&1; then
    start_failed "initdb failed" "$BASE/initdb.log"
  fi
  if ! as_user "$PG_USER" "$PG_BINDIR/pg_ctl" -D "$BASE/pg-data" -l "$BASE/pg-run/postgres.log" \
    -w -t "$TIMEOUT" -o "-p $PG_PORT -c listen_addresses=$HOST -k $BASE/pg-run" \
    start >"$BASE/pg_ctl.log" 2>&1; then
    cat "$BASE/pg_ctl.log" >&2
    start_failed "PostgreSQL did not start on $HOST:$PG_PORT" "$BASE/pg-run/postgres.log"
  fi
  wait_for PostgreSQL pg_ready ||
    start_failed "PostgreSQL on $HOST:$PG_PORT did not answer pg_isready within $TIMEOUT s" \
      "$BASE/pg-run/postgres.log"
  log "postgres 15 ready on $HOST:$PG_PORT after $(elapsed "$t0")"

  # --- Redis ---
  t0="$(now_ms)"
  if ! as_user "$REDIS_USER" redis-server --bind "$HOST" --port "$REDIS_PORT" --daemonize yes \
    --pidfile "$BASE/redis/redis.pid" --dir "$BASE/redis" --logfile "$BASE/redis/redis.log" \
    --save "" --appendonly no >"$BASE/redis-start.log" 2>&1; then
    cat "$BASE/redis-start.log" >&2
    start_failed "redis-server did not start on $HOST:$REDIS_PORT" "$BASE/redis/redis.log"
  fi
  wait_for Redis redis_ready ||
    start_failed "Redis on $HOST:$REDIS_PORT did not answer PING within $TIMEOUT s" \
      "$BASE/redis/redis.log"
  log "redis ready on $HOST:$REDIS_PORT after $(elapsed "$t0")"
  log "base directory $BASE (state in ${STATE#"$ROOT"/})"
}

cmd_status() {
  if [ ! -f "$STATE" ]; then
    log "not started (no ${STATE#"$ROOT"/})"
    return 1
  fi
  load_state
  local rc=0
  if pg_ready; then log "postgres: up on $HOST:$PG_PORT"; else log "postgres: DOWN on $HOST:$PG_PORT"; rc=1; fi
  if redis_ready; then log "redis: up on $HOST:$REDIS_PORT"; else log "redis: DOWN on $HOST:$REDIS_PORT"; rc=1; fi
  log "base directory $BASE"
  return "$rc"
}

cmd_env() {
  printf 'export DOCRUNCH_TEST_POSTGRES_URL=postgresql://%s@%s:%s/postgres\n' "$PG_DB_USER" "$HOST" "$PG_PORT"
  printf 'export DOCRUNCH_TEST_REDIS_URL=redis://%s:%s/0\n' "$HOST" "$REDIS_PORT"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *)
    printf 'usage: %s start|stop|status|env\n' "$0" >&2
    exit 2
    ;;
esac
