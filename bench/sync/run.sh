#!/usr/bin/env bash
# Outbox throughput on SQLite and PostgreSQL: events applied per second for
# 10,000 and 100,000 events (index + markdown targets), the idempotent
# re-run, and the floor (plain INSERTs in one transaction), medians of 3.
#
#   bench/sync/run.sh [-n RUNS] [-e "10000 100000"] [-b BATCH]
#
# PostgreSQL: DOCRUNCH_TEST_POSTGRES_URL (scripts/services.sh env); a
# database docrunch_sync_bench is created on that server and dropped after.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS=3
EVENTS="10000 100000"
BATCH=200
while getopts "n:e:b:" opt; do
  case "$opt" in
    n) RUNS="$OPTARG" ;;
    e) EVENTS="$OPTARG" ;;
    b) BATCH="$OPTARG" ;;
    *) exit 2 ;;
  esac
done
cd "$ROOT"
JOBS="${JOBS:-2}" scripts/build.sh --target docrunch_sync_bench >/dev/null
BIN="$ROOT/build/bench/sync/docrunch_sync_bench"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) load=$(cut -d' ' -f1-3 /proc/loadavg)"
for n in $EVENTS; do
  # --keep-pages: the pages stay until the trap removes $SCRATCH at the end,
  # so no run creates its pages right after 100,000 were deleted (see
  # sync_bench.cpp: inode allocation slows down past recently deleted ones).
  "$BIN" --events "$n" --sqlite "$SCRATCH" --batch "$BATCH" --runs "$RUNS" --keep-pages 1 | tail -1
  if [ -n "${DOCRUNCH_TEST_POSTGRES_URL:-}" ]; then
    admin="$DOCRUNCH_TEST_POSTGRES_URL"
    url="${admin%/*}/docrunch_sync_bench"
    psql -q "$admin" -c "DROP DATABASE IF EXISTS docrunch_sync_bench" -c "CREATE DATABASE docrunch_sync_bench" >/dev/null
    "$BIN" --events "$n" --postgres "$url" --docs "$SCRATCH" --batch "$BATCH" --runs "$RUNS" \
      --keep-pages 1 | tail -1
    psql -q "$admin" -c "DROP DATABASE IF EXISTS docrunch_sync_bench" >/dev/null
  else
    echo "# postgres skipped: DOCRUNCH_TEST_POSTGRES_URL unset"
  fi
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
